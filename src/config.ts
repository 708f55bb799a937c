import fs from 'node:fs';
import path from 'node:path';
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
  /**
   * JWT_SECRET: the HS256 secret tokens are signed with. Required in production. In development, when unset,
   * a secret is generated once into data/dev-jwt-secret (and announced), so `npm run token` signs with it too.
   */
  jwtSecret: string;
  /** Where the development secret came from, when JWT_SECRET was not set. */
  jwtSecretFile: string | null;
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

const DEV_SECRET_FILE = path.resolve('data/dev-jwt-secret');

/** The development signing secret: read from its file, or generated into it on first use. */
function developmentSecret(file: string): string {
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const secret = randomBytes(32).toString('hex');
  fs.writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

/** Reads the configuration from an environment; throws a readable error for anything invalid. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const nodeEnv = env.NODE_ENV ?? 'development';
  let jwtSecret = env.JWT_SECRET ?? '';
  let jwtSecretFile: string | null = null;
  if (!jwtSecret) {
    if (nodeEnv === 'production') {
      throw new Error('JWT_SECRET must be set when NODE_ENV=production');
    }
    jwtSecretFile = DEV_SECRET_FILE;
    jwtSecret = developmentSecret(jwtSecretFile);
  }
  const maxPageSize = intFromEnv(env, 'MAX_PAGE_SIZE', 100);
  return {
    nodeEnv,
    port: intFromEnv(env, 'PORT', 4000, 0),
    host: env.HOST || '0.0.0.0',
    databaseUrl: env.DATABASE_URL || DEFAULT_DATABASE_URL,
    databasePoolSize: intFromEnv(env, 'DATABASE_POOL_SIZE', 10),
    jwtSecret,
    jwtSecretFile,
    maxPageSize,
    defaultPageSize: Math.min(intFromEnv(env, 'DEFAULT_PAGE_SIZE', 20), maxPageSize),
  };
}
