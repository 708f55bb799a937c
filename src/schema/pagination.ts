/**
 * Cursor paging shared by every connection. Cursors are keyset positions: the sort values of the last row
 * seen plus its id, encoded opaquely. A cursor therefore never points *at* a row (which could be hidden or
 * deleted); it says "after these values", and the next page is read with the viewer's own visibility filter.
 * Hand-written because Prisma's `cursor` option needs a unique row to anchor on, and the relay plugin builds
 * on that: it cannot offer stable multi-column sorting, `offset`, and cursors that outlive their row.
 */
import { Prisma } from '../generated/prisma/client.ts';
import { badInput, pageSizeMessage } from '../errors.ts';
import type { Config } from '../config.ts';

export type SortOrder = 'asc' | 'desc';
export type SortValue = string | number | Date;
/** How a cursor value is decoded back from JSON. */
export type ValueKind = 'string' | 'int' | 'date';

export interface SortKey<F extends string> {
  field: F;
  order: SortOrder;
  kind: ValueKind;
}

/** `first`/`after`/`offset` as given by a client. */
export interface PageArgs {
  first?: number | null;
  after?: string | null;
  offset?: number | null;
}

export const MAX_OFFSET = 10_000;

/** Checks `first` and `offset`; returns how many rows to show. */
export function pageSize(args: PageArgs, config: Pick<Config, 'maxPageSize' | 'defaultPageSize'>): number {
  const first = args.first ?? config.defaultPageSize;
  if (!Number.isInteger(first) || first < 0 || first > config.maxPageSize) {
    throw badInput(pageSizeMessage(config.maxPageSize));
  }
  if (args.offset != null && (!Number.isInteger(args.offset) || args.offset < 0 || args.offset > MAX_OFFSET)) {
    throw badInput(`"offset" must be between 0 and ${MAX_OFFSET}.`);
  }
  return first;
}

export function encodeCursor(values: SortValue[]): string {
  const plain = values.map((v) => (v instanceof Date ? v.toISOString() : v));
  return Buffer.from(JSON.stringify(plain)).toString('base64url');
}

const MAX_INT = 2 ** 31 - 1;

/** Decodes a cursor made by encodeCursor for the same sort; anything else is BAD_USER_INPUT. */
export function decodeCursor(cursor: string, kinds: ValueKind[]): SortValue[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const invalid = () => badInput('The cursor is not valid for this list and sort. Start again without "after".');
  if (!Array.isArray(parsed) || parsed.length !== kinds.length) throw invalid();
  return parsed.map((value, i) => {
    const kind = kinds[i];
    // Values the database can hold only (a 32-bit integer, a date within years 1-9999): anything else in a
    // hand-made cursor would fail inside the query as an internal error rather than as the client's input.
    if (kind === 'int' && Number.isInteger(value) && Math.abs(value as number) <= MAX_INT) return value as number;
    if (kind === 'string' && typeof value === 'string') return value;
    if (kind === 'date' && typeof value === 'string') {
      const date = new Date(value);
      const year = date.getUTCFullYear();
      if (!Number.isNaN(date.getTime()) && year >= 1 && year <= 9999) return date;
    }
    throw invalid();
  });
}

/**
 * The `where` that selects rows strictly after `values` in the order of `keys`:
 * (k1 > v1) OR (k1 = v1 AND k2 > v2) OR ... with > or < per key's order.
 */
export function keysetWhere<F extends string>(keys: SortKey<F>[], values: SortValue[]): Record<string, unknown> {
  const branches = keys.map((key, i) => {
    const branch: Record<string, unknown> = {};
    for (let j = 0; j < i; j++) branch[keys[j].field] = values[j];
    branch[key.field] = { [key.order === 'asc' ? 'gt' : 'lt']: values[i] };
    return branch;
  });
  return { OR: branches };
}

/** keysetWhere as a SQL condition, for queries written by hand; `column` names a key's column. */
export function keysetSql<F extends string>(keys: SortKey<F>[], values: SortValue[], column: (field: F) => Prisma.Sql): Prisma.Sql {
  const branches = keys.map((key, i) => {
    const equal = keys.slice(0, i).map((k, j) => Prisma.sql`${column(k.field)} = ${values[j]}`);
    const beyond = Prisma.sql`${column(key.field)} ${Prisma.raw(key.order === 'asc' ? '>' : '<')} ${values[i]}`;
    return Prisma.sql`(${Prisma.join([...equal, beyond], ' AND ')})`;
  });
  return Prisma.sql`(${Prisma.join(branches, ' OR ')})`;
}

/** The ORDER BY list of `keys`, for queries written by hand; `column` names a key's column. */
export function orderBySql<F extends string>(keys: SortKey<F>[], column: (field: F) => Prisma.Sql): Prisma.Sql {
  return Prisma.join(
    keys.map((key) => Prisma.sql`${column(key.field)} ${Prisma.raw(key.order === 'asc' ? 'ASC' : 'DESC')}`),
    ', ',
  );
}

/** A page of a connection as the schema resolves it; totalCount is computed only when asked for. */
export interface Page<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: () => Promise<number> | number;
}

/** Builds a page from rows fetched with `take: size + 1` (the extra row says whether there is a next page). */
export function toPage<T>(rows: T[], size: number, cursorOf: (row: T) => string, totalCount: Page<T>['totalCount']): Page<T> {
  const shown = rows.slice(0, size);
  const edges = shown.map((node) => ({ cursor: cursorOf(node), node }));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > size, endCursor: edges.length ? edges[edges.length - 1].cursor : null },
    totalCount,
  };
}

/**
 * An edge whose cursor is made when read. A class, not an object literal with a getter: each such literal
 * has a getter closure of its own, and V8 keeps it (with the row it captured and all the row holds)
 * through every young collection until the next full one, as if the old generation pointed at it. In the
 * member pages of the bench's scenario (b) that was ~40 KB of each request moved to the old generation
 * (bench/README.md, round 13; test/young-garbage.test.ts). A getter on the prototype allocates nothing per
 * edge.
 */
class LazyEdge<T> {
  constructor(
    readonly node: T,
    private readonly cursorOf: (row: T) => string,
  ) {}
  get cursor(): string {
    return this.cursorOf(this.node);
  }
}

/** The page info of a lazy page: its end cursor made when read (see LazyEdge). */
class LazyPageInfo<T> {
  constructor(
    readonly hasNextPage: boolean,
    private readonly last: T | undefined,
    private readonly cursorOf: (row: T) => string,
  ) {}
  get endCursor(): string | null {
    return this.last === undefined ? null : this.cursorOf(this.last);
  }
}

/**
 * toPage with the cursors made only when read: a list of groups with `members(first: 5)` on each rarely
 * asks for the members' cursors, and making them is a good part of resolving such a page.
 */
export function lazyPage<T>(rows: T[], size: number, cursorOf: (row: T) => string, totalCount: Page<T>['totalCount']): Page<T> {
  const shown = rows.slice(0, size);
  return {
    edges: shown.map((node) => new LazyEdge(node, cursorOf)),
    pageInfo: new LazyPageInfo(rows.length > size, shown[shown.length - 1], cursorOf),
    totalCount,
  };
}

/** The page of a list that is empty by definition (e.g. an anonymous viewer's memberships). */
export function emptyPage<T>(): Page<T> {
  return { edges: [], pageInfo: { hasNextPage: false, endCursor: null }, totalCount: () => 0 };
}
