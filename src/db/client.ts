import { PrismaClient } from '../generated/prisma/client.ts';
import { createAdapter } from './adapter.ts';

export type Db = PrismaClient;
/** The client handed to a transaction callback. */
export type Tx = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

/**
 * Opens the database named by `url` through its driver adapter. `onQuery`, when given, is called once per
 * SQL statement: tests count statements with it to prove that list queries do not grow with the page size.
 */
export function createDb(url: string, options: { poolSize?: number; onQuery?: (sql: string) => void } = {}): Db {
  const db = new PrismaClient({
    adapter: createAdapter(url, { poolSize: options.poolSize }),
    log: options.onQuery ? [{ emit: 'event', level: 'query' }] : [],
  });
  if (options.onQuery) {
    const onQuery = options.onQuery;
    db.$on('query' as never, (event: { query: string }) => onQuery(event.query));
  }
  return db;
}
