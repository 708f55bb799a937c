/**
 * The hand-written reads of the hot paths (group-list.ts, viewer-standing.ts, the batches of loaders.ts) run
 * on the driver adapter Prisma itself uses, instead of through Prisma's `$queryRaw`.
 *
 * Why by hand: Prisma 6.19 sends even a raw query through its WebAssembly query compiler and its query-plan
 * interpreter. For the members of a page of 20 groups (one statement, 20 parameters, 120 rows) that cost
 * 0.5-0.6 ms of CPU on top of the 0.3 ms the driver itself took (bench/README.md, round 5). Prisma 7.4 and
 * later cache query plans; the project stays on 6.19, whose CLI runs without native engines. What the reads
 * keep:
 * - the same connection (SQLite) or pool (PostgreSQL) as Prisma, so the same isolation as a `$queryRaw`
 *   outside a transaction (reads inside a transaction stay on the transaction's Prisma client);
 * - the statement hook (`onQuery`: statement counts in tests, statement metrics), and a `db_query` span per
 *   statement when tracing is on (the SQL text only: values are bound, never part of it);
 * - values typed as `$queryRaw` types them: DateTime and Date as Date, Boolean as boolean, Int64 as bigint.
 * Writes stay on Prisma.
 */
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ColumnTypeEnum, type ArgType, type ColumnType, type SqlDriverAdapter } from '@prisma/driver-adapter-utils';
import type { Prisma } from '../generated/prisma/client.ts';

export type ReadSql = <T = Record<string, unknown>>(query: Prisma.Sql) => Promise<T[]>;

/** The type the adapter binds a parameter as (what Prisma's client infers for `$queryRaw` values). */
function argTypeOf(value: unknown): ArgType {
  if (value instanceof Date) return { scalarType: 'datetime', arity: 'scalar' };
  switch (typeof value) {
    case 'number':
      return { scalarType: Number.isInteger(value) ? 'int' : 'float', arity: 'scalar' };
    case 'bigint':
      return { scalarType: 'bigint', arity: 'scalar' };
    case 'boolean':
      return { scalarType: 'boolean', arity: 'scalar' };
    case 'string':
      return { scalarType: 'string', arity: 'scalar' };
    default:
      return { scalarType: 'unknown', arity: 'scalar' };
  }
}

/**
 * A value of a result column as `$queryRaw` returns it. The adapters hand integers over as text (SQLite's
 * reads 64-bit integers exactly, as bigint, then writes them out) and dates as ISO text.
 */
function valueOf(value: unknown, type: ColumnType): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case ColumnTypeEnum.Int32:
    case ColumnTypeEnum.Float:
    case ColumnTypeEnum.Double:
    case ColumnTypeEnum.UnknownNumber:
      return typeof value === 'number' ? value : Number(value);
    case ColumnTypeEnum.DateTime:
    case ColumnTypeEnum.Date:
      return value instanceof Date ? value : new Date(typeof value === 'number' ? value : String(value));
    case ColumnTypeEnum.Boolean:
      return typeof value === 'boolean' ? value : Number(value) === 1;
    case ColumnTypeEnum.Int64:
      return typeof value === 'bigint' ? value : BigInt(value as string | number);
    default:
      return value;
  }
}

/**
 * A DateTime of a read row as a Date. Columns typed DateTime already are; one the driver cannot type (SQLite
 * loses the declared type through UNION ALL) comes back as its stored text.
 */
export const toDate = (value: unknown): Date => (value instanceof Date ? value : new Date(value as string));

/**
 * The reader of a database client: `connection()` gives the adapter Prisma connected (connecting it when
 * nothing has yet), `onQuery` is told of every statement with its duration in milliseconds.
 */
export function createReader(
  connection: () => Promise<SqlDriverAdapter>,
  onQuery?: (sql: string, durationMs: number) => void,
): ReadSql {
  return async <T>(query: Prisma.Sql): Promise<T[]> => {
    const adapter = await connection();
    const postgres = adapter.provider === 'postgres';
    const sql = postgres ? query.text : query.sql;
    const values = query.values;
    const attributes = { 'db.system.name': postgres ? 'postgresql' : 'sqlite', 'db.query.text': sql };
    return tracer.startActiveSpan('db_query', { kind: SpanKind.CLIENT, attributes }, async (span) => {
      try {
        const startedAt = onQuery ? performance.now() : 0;
        const result = await adapter.queryRaw({ sql, args: values, argTypes: values.map(argTypeOf) });
        onQuery?.(sql, performance.now() - startedAt);
        const { columnNames, columnTypes } = result;
        return result.rows.map((row) => {
          const object: Record<string, unknown> = {};
          for (let i = 0; i < columnNames.length; i++) object[columnNames[i]] = valueOf(row[i], columnTypes[i]);
          return object as T;
        });
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw error;
      } finally {
        span.end();
      }
    });
  };
}

/** Spans of the reads (a no-op unless tracing is on: src/observability/tracing.ts). */
const tracer = trace.getTracer('groups-gateway/db');
