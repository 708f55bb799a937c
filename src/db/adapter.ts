import path from 'node:path';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';

/** The databases the gateway runs on, chosen by the scheme of DATABASE_URL. */
export type DatabaseKind = 'sqlite' | 'postgresql';

/** Tells which database a DATABASE_URL names; anything else is a configuration error. */
export function databaseKind(url: string): DatabaseKind {
  if (url.startsWith('file:')) return 'sqlite';
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return 'postgresql';
  throw new Error(`DATABASE_URL must start with file: (SQLite) or postgresql:// (PostgreSQL), got "${url.split(':')[0]}:…"`);
}

/** The SQLite file a `file:` URL names, resolved against the working directory. */
export function sqliteFilePath(url: string): string {
  const file = url.slice('file:'.length).split('?')[0];
  return path.resolve(file);
}

/**
 * The Prisma driver adapter for a DATABASE_URL. Used both by the running gateway and by the Prisma CLI
 * (prisma.config.ts), so migrations and queries always reach the same database.
 */
export function createAdapter(url: string, options: { poolSize?: number } = {}) {
  if (databaseKind(url) === 'sqlite') {
    return new PrismaBetterSQLite3({ url: sqliteFilePath(url), timeout: 10_000 });
  }
  return new PrismaPg({ connectionString: url, max: options.poolSize ?? 10 });
}
