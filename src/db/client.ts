import { PrismaClient } from '../generated/prisma/client.ts';
import { PrismaClient as PostgresPrismaClient } from '../generated/prisma-pg/client.ts';
import type { SqlDriverAdapter } from '@prisma/driver-adapter-utils';
import { createAdapter, databaseKind, tuneSqlite, type AdapterOptions, type DatabaseKind } from './adapter.ts';
import { createReader, type ReadSql } from './reads.ts';

/**
 * The database client. Prisma generates one client per provider (prisma/schema.prisma for SQLite and the
 * derived prisma/postgresql/schema.prisma); both have the same models and API, so the code is typed against
 * the SQLite one and receives whichever matches DATABASE_URL.
 */
export type Db = PrismaClient & {
  /** Runs a hand-written read on Prisma's own connection, around Prisma's query compiler (reads.ts). */
  read: ReadSql;
  /** Which database it is, for the few statements each database's planner needs written its own way. */
  kind: DatabaseKind;
};
/** The client handed to a transaction callback. */
export type Tx = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

/**
 * Opens the database named by `url` through its driver adapter. `onQuery`, when given, is called once per
 * SQL statement: tests count statements with it to prove that list queries do not grow with the page size.
 * It also receives the statement's duration in milliseconds (the metrics time statements with it).
 */
export function createDb(
  url: string,
  options: { poolSize?: number; onQuery?: (sql: string, durationMs: number) => void; wrapDriver?: AdapterOptions['wrapDriver'] } = {},
): Db {
  let connected: SqlDriverAdapter | null = null;
  const settings = {
    adapter: createAdapter(url, { readConnection: true, poolSize: options.poolSize, wrapDriver: options.wrapDriver, onConnect: (adapter) => (connected = adapter) }),
    log: options.onQuery ? [{ emit: 'event' as const, level: 'query' as const }] : [],
  };
  const client = databaseKind(url) === 'postgresql' ? new PostgresPrismaClient(settings) : new PrismaClient(settings);
  const connection = async () => {
    if (!connected) await client.$connect();
    return connected!;
  };
  const db = Object.assign(client, { read: createReader(connection, options.onQuery), kind: databaseKind(url) }) as Db;
  if (options.onQuery) {
    const onQuery = options.onQuery;
    db.$on('query' as never, (event: { query: string; duration: number }) => onQuery(event.query, event.duration));
  }
  // SQLite: write-ahead logging and planner statistics, before anything else runs on the connection (adapter.ts).
  if (databaseKind(url) === 'sqlite') void tuneSqlite(db);
  return db;
}
