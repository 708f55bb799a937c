import { randomBytes } from 'node:crypto';
import { DEFAULT_DATABASE_URL } from './db/defaults.ts';

/**
 * Every environment variable the gateway reads, parsed once, with its default and meaning.
 * The README's configuration table is written from this file.
 */
export interface Config {
  /** NODE_ENV: `production` refuses to start without JWT_SECRET and hides development helpers. */
  nodeEnv: string;
  /** PORT (default 4000) and HOST (default 0.0.0.0): where the HTTP server listens. */
  port: number;
  host: string;
  /** DATABASE_URL (default `file:./data/gateway.db`): `file:` for SQLite, `postgresql://` for PostgreSQL. */
  databaseUrl: string;
  /** DATABASE_POOL_SIZE (default 10): connections in the PostgreSQL pool. */
  databasePoolSize: number;
  /** JWT_SECRET: the HS256 secret tokens are signed with. Generated (and announced) in development when unset. */
  jwtSecret: string;
  /** True when the secret was generated for this process, so tokens die with it. */
  jwtSecretGenerated: boolean;
  /** MAX_PAGE_SIZE (default 100): the largest `first` a connection accepts. */
  maxPageSize: number;
  /** DEFAULT_PAGE_SIZE (default 20): the page size when `first` is omitted. */
  defaultPageSize: number;
}

function intFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 1): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`${name} must be an integer >= ${min}, got "${raw}"`);
  }
  return value;
}

/** Reads the configuration from an environment; throws a readable error for anything invalid. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const nodeEnv = env.NODE_ENV ?? 'development';
  let jwtSecret = env.JWT_SECRET ?? '';
  let jwtSecretGenerated = false;
  if (!jwtSecret) {
    if (nodeEnv === 'production') {
      throw new Error('JWT_SECRET must be set when NODE_ENV=production');
    }
    jwtSecret = randomBytes(32).toString('hex');
    jwtSecretGenerated = true;
  }
  const maxPageSize = intFromEnv(env, 'MAX_PAGE_SIZE', 100);
  return {
    nodeEnv,
    port: intFromEnv(env, 'PORT', 4000, 0),
    host: env.HOST || '0.0.0.0',
    databaseUrl: env.DATABASE_URL || DEFAULT_DATABASE_URL,
    databasePoolSize: intFromEnv(env, 'DATABASE_POOL_SIZE', 10),
    jwtSecret,
    jwtSecretGenerated,
    maxPageSize,
    defaultPageSize: Math.min(intFromEnv(env, 'DEFAULT_PAGE_SIZE', 20), maxPageSize),
  };
}
