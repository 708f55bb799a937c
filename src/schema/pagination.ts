/**
 * Cursor paging shared by every connection. Cursors are keyset positions: the sort values of the last row
 * seen plus its id, encoded opaquely with a tag of the list and sort that made them (CursorShape). A cursor
 * therefore never points *at* a row (which could be hidden or deleted); it says "after these values", and
 * the next page is read with the viewer's own visibility filter.
 * Hand-written because Prisma's `cursor` option needs a unique row to anchor on, and the relay plugin builds
 * on that: it cannot offer stable multi-column sorting, `offset`, and cursors that outlive their row.
 */
import { badInput, pageSizeMessage } from '../errors.ts';
import { isStorableText } from '../domain/validate.ts';
import type { Config } from '../config.ts';
import type { SortKey, SortValue, ValueKind } from '../db/keyset.ts';

export type { SortKey, SortOrder, SortValue, ValueKind } from '../db/keyset.ts';

/** Newest first by creation time, then id: the order of a member's own requests (create and join). */
export const CREATED_NEWEST_FIRST: SortKey<'createdAt' | 'id'>[] = [
  { field: 'createdAt', order: 'desc', kind: 'date' },
  { field: 'id', order: 'desc', kind: 'string' },
];

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

/**
 * What a cursor belongs to: a short tag naming its list and sort (each key's field and order), and the kinds
 * of its values. A cursor carries its tag, so one made by another list or sort is refused rather than read
 * as a position it is not (a NAME cursor read as a date, a groups cursor read as a membership).
 */
export interface CursorShape {
  readonly tag: string;
  readonly kinds: readonly ValueKind[];
}

/** The shape of the cursors of `list` sorted by `keys` (the tag: `groups:nameSearch+id+`). */
export function cursorShape(list: string, keys: readonly SortKey<string>[]): CursorShape {
  let tag = `${list}:`;
  for (const key of keys) tag += `${key.field}${key.order === 'asc' ? '+' : '-'}`;
  return { tag, kinds: keys.map((key) => key.kind) };
}

/** A cursor: base64url of the JSON array [tag, ...values], values in the order of the shape's keys. */
export function encodeCursor(shape: CursorShape, values: SortValue[]): string {
  const plain: (string | number)[] = [shape.tag];
  for (const v of values) plain.push(v instanceof Date ? v.toISOString() : v);
  return Buffer.from(JSON.stringify(plain)).toString('base64url');
}

const MAX_INT = 2 ** 31 - 1;
/**
 * The longest cursor and the longest text in one that are accepted: a cursor holds a tag, an id, and at most
 * one name (at most LIMITS.name characters, a little more in its searchable form) or date, far shorter.
 */
const MAX_CURSOR_LENGTH = 4_096;
const MAX_CURSOR_TEXT = 1_000;

/** The refusal of a cursor, whatever is wrong with it: the same words for every list. */
const invalidCursor = () => badInput('The cursor is not valid for this list and sort. Start again without "after".');

/**
 * Decodes `after` as a cursor made by encodeCursor for the same shape: null without one (null or absent),
 * the values otherwise. Anything else is BAD_USER_INPUT: an empty string, a cursor of another list or sort
 * (or of an earlier version of the gateway, without a tag), and values the database could not take. Every
 * text in it passes the check variables pass (domain/validate.ts: no NUL, no lone surrogate), so a hand-made
 * cursor fails here as the client's input, never inside the query (PostgreSQL refuses NUL in text).
 */
export function decodeCursor(after: string | null | undefined, shape: CursorShape): SortValue[] | null {
  if (after === null || after === undefined) return null;
  if (after.length > MAX_CURSOR_LENGTH) throw invalidCursor();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(after, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const { kinds } = shape;
  if (!Array.isArray(parsed) || parsed.length !== kinds.length + 1 || parsed[0] !== shape.tag) throw invalidCursor();
  const values: SortValue[] = [];
  for (let i = 0; i < kinds.length; i++) {
    const value: unknown = parsed[i + 1];
    const kind = kinds[i];
    // Values the database can hold only (a 32-bit integer, storable text, a date within years 1-9999):
    // anything else in a hand-made cursor would fail inside the query as an internal error rather than as
    // the client's input.
    if (kind === 'int' && Number.isInteger(value) && Math.abs(value as number) <= MAX_INT) {
      values.push(value as number);
      continue;
    }
    if (typeof value !== 'string' || value.length > MAX_CURSOR_TEXT || !isStorableText(value)) throw invalidCursor();
    if (kind === 'string') {
      values.push(value);
      continue;
    }
    if (kind === 'date') {
      const date = new Date(value);
      const year = date.getUTCFullYear();
      if (!Number.isNaN(date.getTime()) && year >= 1 && year <= 9999) {
        values.push(date);
        continue;
      }
    }
    throw invalidCursor();
  }
  return values;
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
