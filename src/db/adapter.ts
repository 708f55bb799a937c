import path from 'node:path';
import { parse as parseConnectionString } from 'pg-connection-string';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import type { IsolationLevel, SqlDriverAdapter, SqlDriverAdapterFactory, SqlMigrationAwareDriverAdapterFactory, SqlQuery, Transaction } from '@prisma/driver-adapter-utils';
import type BetterSqlite3 from 'better-sqlite3';
import { DEFAULT_POOL_SIZE } from './defaults.ts';

/** The databases the gateway runs on, chosen by the scheme of DATABASE_URL. */
export type DatabaseKind = 'sqlite' | 'postgresql';

/** Tells which database a DATABASE_URL names; anything else is a configuration error. */
export function databaseKind(url: string): DatabaseKind {
  if (url.startsWith('file:')) return 'sqlite';
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return 'postgresql';
  throw new Error(`DATABASE_URL must start with file: (SQLite) or postgresql:// (PostgreSQL), got "${url.split(':')[0]}:…"`);
}

/**
 * DATABASE_URL checked once, at start-up (config.ts, prisma.config.ts): a database the gateway speaks, and a
 * PostgreSQL URL that parses. A malformed one (`postgresql://u:p@@@:notaport/db`) started a gateway that
 * answered every request with an internal error and a `/ready` of "unreachable", and made `npm run migrate`
 * say only "External error". The URL is never repeated in the message: it holds the password.
 */
export function checkDatabaseUrl(url: string): string {
  // Read as the driver reads it (pg's own parser), which takes what a WHATWG URL does not: no host, with the
  // socket folder in `?host=` (`postgresql://user:pass@/db?host=/cloudsql/…`).
  if (databaseKind(url) === 'postgresql' && !parsesAsConnectionString(url)) {
    throw new Error(
      'DATABASE_URL is not a valid URL: postgresql://USER:PASSWORD@HOST:PORT/DATABASE, with any special character in the user or password percent-encoded (@ as %40)',
    );
  }
  return url;
}

function parsesAsConnectionString(url: string): boolean {
  try {
    parseConnectionString(url);
    return true;
  } catch {
    return false;
  }
}

/** The SQLite file a `file:` URL names, resolved against the working directory. */
export function sqliteFilePath(url: string): string {
  const file = url.slice('file:'.length).split('?')[0];
  return path.resolve(file);
}

export interface AdapterOptions {
  /** PostgreSQL: connections in the pool (default DEFAULT_POOL_SIZE). */
  poolSize?: number;
  /**
   * SQLite: reads outside a transaction on a connection of their own, writes outside one after the open
   * transaction (SqliteAdapterFactory). The gateway's client sets it; the Prisma CLI does not.
   */
  readConnection?: boolean;
  /** Called with each connection Prisma opens through the adapter. */
  onConnect?: (adapter: SqlDriverAdapter) => void;
  /** Puts something between the driver and the gateway's guards (tests inject faults there). */
  wrapDriver?: (driver: SqlMigrationAwareDriverAdapterFactory) => SqlMigrationAwareDriverAdapterFactory;
}

/**
 * The Prisma driver adapter for a DATABASE_URL. Used both by the running gateway and by the Prisma CLI
 * (prisma.config.ts), so migrations and queries always reach the same database.
 */
export function createAdapter(url: string, options: AdapterOptions = {}): SqlMigrationAwareDriverAdapterFactory {
  const driver = createDriverAdapter(url, options);
  const factory = releaseFailedTransactions(options.wrapDriver ? options.wrapDriver(driver) : driver);
  const onConnect = options.onConnect;
  if (!onConnect) return factory;
  // Hands over the connection Prisma opens, for the reads that run on it directly (reads.ts).
  return override(factory, {
    connect: async () => {
      const adapter = await factory.connect();
      onConnect(adapter);
      return adapter;
    },
  });
}

/** The driver adapter itself, without the guard of releaseFailedTransactions (tests put faults between). */
export function createDriverAdapter(url: string, options: Pick<AdapterOptions, 'poolSize' | 'readConnection'> = {}): SqlMigrationAwareDriverAdapterFactory {
  if (databaseKind(url) === 'sqlite') {
    return new SqliteAdapterFactory({ url: sqliteFilePath(url), timeout: 10_000 }, options.readConnection ?? false);
  }
  return new PrismaPg({ connectionString: url, max: options.poolSize ?? DEFAULT_POOL_SIZE, options: SESSION_SETTINGS });
}

/**
 * Settings of every PostgreSQL session the gateway opens. JIT compilation off: the gateway's statements are
 * short, and once the planner's estimate of one passed `jit_above_cost` (a replay page over a large log, with
 * the table analyzed), compiling it took 0.6-0.8 s where running it took 7-33 ms. An `options` parameter in
 * DATABASE_URL replaces these (pg reads the URL's parameters over the ones given here).
 */
const SESSION_SETTINGS = '-c jit=off';

const ROLLBACK = { sql: 'ROLLBACK', args: [], argTypes: [] } satisfies SqlQuery;

/**
 * Prisma 6.19 ends an interactive transaction by sending COMMIT (or ROLLBACK) through the transaction and
 * only then calling its commit() (or rollback()), which is what releases it: SQLite's adapter unlocks its
 * single-writer mutex, PostgreSQL's returns the connection to the pool. When that last statement fails
 * (the connection dropped, a disk error, SQLITE_BUSY), neither is called: on SQLite every later write
 * then waits forever; on PostgreSQL the connection stays checked out, inside its transaction and holding
 * its row locks, until the pool runs dry. This wrapper finishes the job: a failed COMMIT is followed by a
 * ROLLBACK (best effort: the connection may be gone), and the transaction is released either way; the
 * error still reaches Prisma, so the mutation fails as it should. No adapter option covers this, hence the
 * wrapper (a Proxy, so the adapters' own classes and private fields are untouched).
 */
export function releaseFailedTransactions<F extends SqlDriverAdapterFactory>(factory: F): F {
  return override<SqlDriverAdapterFactory>(factory, {
    connect: async () => {
      const adapter = await factory.connect();
      return override(adapter, {
        startTransaction: async (isolationLevel?: IsolationLevel) => guardEnd(await adapter.startTransaction(isolationLevel)),
      });
    },
  }) as F;
}

function guardEnd(transaction: Transaction): Transaction {
  return override(transaction, {
    executeRaw: async (query: SqlQuery) => {
      const ending = query.sql === 'COMMIT' || query.sql === 'ROLLBACK';
      if (!ending) return transaction.executeRaw(query);
      try {
        return await transaction.executeRaw(query);
      } catch (error) {
        if (query.sql === 'COMMIT') await transaction.executeRaw(ROLLBACK).catch(() => undefined);
        await transaction.rollback().catch(() => undefined);
        throw error;
      }
    },
  });
}

/** `target` with some methods replaced; every other property read from it, methods bound to it. */
function override<T extends object>(target: T, replaced: Partial<T>): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      if (Object.hasOwn(replaced, property)) return replaced[property as keyof T];
      const value = Reflect.get(object, property, receiver);
      return typeof value === 'function' ? value.bind(object) : value;
    },
  });
}

/** Prepared statements kept per SQLite connection, by SQL text (least recently used dropped first). */
const STATEMENT_CACHE_SIZE = 500;

/**
 * The better-sqlite3 adapter as the gateway needs it. Two changes:
 *
 * - Statements prepared once: the adapter compiles every statement's SQL again on each run
 *   (`prepare(sql).bind(args)`), which costs as much as running the small queries of a page. Each connection
 *   gets a `prepare` that returns a cached statement behind the same few methods the adapter calls, binding
 *   the arguments on each run instead of once.
 * - With `readConnection`, reads outside a transaction see only committed data, and writes outside one wait
 *   for the open transaction to end. The adapter holds one connection and runs every statement on it,
 *   inside a transaction or not; an interactive transaction keeps that connection's transaction open across
 *   awaits, while other requests' statements run. So, measured: a read sent meanwhile saw the transaction's
 *   uncommitted rows (a group renamed by a transaction that then rolled back was read under the new name),
 *   and a write sent meanwhile (a create request) joined that transaction and was rolled back with it, after
 *   its caller had been told it succeeded. PostgreSQL has neither fault: its pool gives each its own
 *   connection. Here, a second connection (read-only, `query_only`) serves `SELECT`s outside transactions:
 *   under write-ahead logging it reads the last committed state and never waits for the writer. A write
 *   outside a transaction takes the writer's turn first (inWriterTurn). No adapter option does either.
 *   Not used by the Prisma CLI, whose migration runner sends its own statements.
 *
 * A connection without the expected shape (another adapter version) is left as it is.
 */
class SqliteAdapterFactory extends PrismaBetterSQLite3 {
  readonly #config: SqliteConfig;
  readonly #readConnection: boolean;

  constructor(config: SqliteConfig, readConnection: boolean) {
    super(config);
    this.#config = config;
    this.#readConnection = readConnection;
  }

  override async connect() {
    const writer = await super.connect();
    const client = clientOf(writer);
    if (!client) return writer;
    cacheStatements(client);
    if (!this.#readConnection || client.memory) return writer;
    const reading = await super.connect();
    const readClient = clientOf(reading)!;
    readClient.pragma('query_only = ON');
    cacheStatements(readClient);
    const readsOnly = (sql: string) => {
      if (!READ_STATEMENT.test(sql)) return false;
      try {
        return (readClient.prepare(sql) as unknown as { readonly: boolean }).readonly;
      } catch {
        return false; // the writer's path reports the error as the adapter does
      }
    };
    return override(writer, {
      queryRaw: (query: SqlQuery) => (readsOnly(query.sql) ? reading.queryRaw(query) : inWriterTurn(writer, () => writer.queryRaw(query))),
      executeRaw: (query: SqlQuery) => inWriterTurn(writer, () => writer.executeRaw(query)),
      dispose: async () => {
        await reading.dispose();
        await writer.dispose();
      },
    });
  }
}

interface SqliteConfig {
  url: string;
  timeout: number;
}

/** Statements the read connection may take (then only if SQLite reports them read-only). */
const READ_STATEMENT = /^\s*(SELECT|WITH)\b/i;

const COMMIT = { sql: 'COMMIT', args: [], argTypes: [] } satisfies SqlQuery;

/** The better-sqlite3 connection inside an adapter of the expected shape. */
function clientOf(adapter: SqlDriverAdapter): BetterSqlite3.Database | null {
  const client = (adapter as unknown as { client?: BetterSqlite3.Database }).client;
  return client && typeof client.prepare === 'function' ? client : null;
}

/**
 * Runs `statement` (a write outside any transaction) when no transaction holds the writer. The adapter's
 * own lock (a private mutex taken by startTransaction, released by the transaction's commit or rollback) is
 * the only one transactions respect, so the turn is taken through it: an empty transaction is begun and
 * committed at once, which leaves the lock held and no transaction open. The statement then runs as
 * itself (a `PRAGMA journal_mode` may not run inside a transaction), and the lock is released. Before,
 * tuneSqlite's PRAGMAs failed when another request's transaction happened to be open, and the rest were
 * skipped without a word (a test's database ran without analysis_limit, so with other plans).
 */
async function inWriterTurn<T>(writer: SqlDriverAdapter, statement: () => Promise<T>): Promise<T> {
  const turn = await writer.startTransaction();
  try {
    await turn.executeRaw(COMMIT);
  } catch (error) {
    await turn.executeRaw(ROLLBACK).catch(() => undefined); // no transaction may stay open on the writer
    await turn.rollback();
    throw error;
  }
  try {
    return await statement();
  } finally {
    await turn.commit();
  }
}

function cacheStatements(client: BetterSqlite3.Database) {
  const prepare = client.prepare.bind(client);
  const cache = new Map<string, BetterSqlite3.Statement>();
  const reusable = (statement: BetterSqlite3.Statement) => ({
    reader: statement.reader,
    readonly: statement.readonly,
    run: (...params: unknown[]) => statement.run(...params),
    bind: (params: unknown[]) => ({
      reader: statement.reader,
      columns: () => statement.columns(),
      raw: () => ({ all: () => statement.raw(true).all(params) }),
      run: () => statement.run(params),
    }),
  });
  client.prepare = ((sql: string) => {
    let statement = cache.get(sql);
    if (statement) {
      cache.delete(sql); // most recently used last
    } else {
      statement = prepare(sql);
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
    }
    cache.set(sql, statement);
    return reusable(statement);
  }) as unknown as typeof client.prepare;
}

/** Analyzes the tables without statistics or much changed since (every table, not only this connection's). */
const OPTIMIZE = 'PRAGMA optimize = 0x10002';

/**
 * SQLite, the embedded default, as a server runs it:
 * - write-ahead logging (readers no longer wait for a writer, a commit appends to the log instead of writing
 *   pages twice) with `synchronous = NORMAL` (a crash cannot corrupt the database; the last commits before a
 *   power loss may be lost). The journal mode is stored in the file, the synchronous setting belongs to the
 *   connection: both are set on the client's connection (the adapter holds one).
 * - table statistics for the query planner (`PRAGMA optimize`, which analyzes only tables without statistics
 *   or much changed since, each index read up to 10,000 rows): without them SQLite picks the most selective
 *   looking index for `privacy IN (…)` and sorts thousands of rows, where the sort's own index reads 21.
 * Not done for the Prisma CLI, whose process may end without closing the database, leaving a log beside the
 * file that copies of the file would miss.
 */
export async function tuneSqlite(db: { $queryRawUnsafe(sql: string): Promise<unknown> }): Promise<void> {
  try {
    await db.$queryRawUnsafe('PRAGMA journal_mode = WAL');
    await db.$queryRawUnsafe('PRAGMA synchronous = NORMAL');
    await db.$queryRawUnsafe('PRAGMA analysis_limit = 10000');
    await db.$queryRawUnsafe(OPTIMIZE);
  } catch {
    // A database that refuses (read-only, busy with another writer) keeps running as it is.
  }
}

/**
 * How often a running gateway refreshes SQLite's planner statistics (keepSqliteStatistics). A run that finds
 * nothing to do took 0.03 ms; one that analyzed a table grown to 400,000 rows, 11 ms (analysis_limit bounds
 * it). So often enough that a log growing fast keeps small-table plans for a minute at most.
 */
export const SQLITE_OPTIMIZE_EVERY_MS = 60_000;

/**
 * Refreshes SQLite's planner statistics while the gateway runs (SQLite's advice for long-lived connections),
 * until the returned function is called. Statistics taken at start describe the tables as they were then:
 * a site that starts nearly empty and grows would keep plans made for tables of a few rows (a scan of the
 * whole event log where its primary key or an index reads a few rows). `PRAGMA optimize` analyzes only the
 * tables whose size has changed many times over since, so a run usually reads nothing.
 */
export function keepSqliteStatistics(db: { $queryRawUnsafe(sql: string): Promise<unknown> }, everyMs = SQLITE_OPTIMIZE_EVERY_MS): () => void {
  const timer = setInterval(() => {
    db.$queryRawUnsafe(OPTIMIZE).catch(() => undefined); // busy or closing: the next run tries again
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
