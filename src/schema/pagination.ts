/**
 * Cursor paging shared by every connection, both ways (Relay's `first`/`after` and `last`/`before`).
 * Cursors are keyset positions: the sort values of a row plus its id, encoded opaquely with a tag of the
 * list and sort that made them (CursorShape). A cursor therefore never points *at* a row (which could be
 * hidden or deleted); it says "after (or before) these values", and the next page is read with the viewer's
 * own visibility filter.
 * Hand-written because Prisma's `cursor` option needs a unique row to anchor on, and the relay plugin builds
 * on that: it cannot offer stable multi-column sorting, `offset`, and cursors that outlive their row.
 */
import { badInput, pageSizeMessage } from '../errors.ts';
import { isStorableText } from '../domain/validate.ts';
import type { Config } from '../config.ts';
import type { PagePosition, SortKey, SortValue, ValueKind } from '../db/keyset.ts';

export type { PagePosition, SortKey, SortOrder, SortValue, ValueKind } from '../db/keyset.ts';

/** Newest first by creation time, then id: the order of a member's own requests (create and join). */
export const CREATED_NEWEST_FIRST: SortKey<'createdAt' | 'id'>[] = [
  { field: 'createdAt', order: 'desc', kind: 'date' },
  { field: 'id', order: 'desc', kind: 'string' },
];

/** `first`/`after`, `last`/`before` and `offset` as given by a client. */
export interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
  offset?: number | null;
}

export const MAX_OFFSET = 10_000;

/**
 * Which rows a page shows: up to `size` rows of the window its cursors leave (after `after`, before `before`),
 * the first ones (`first`, `offset` rows skipped), or the last ones when `backward` (`last`).
 */
export interface PageWindow extends PagePosition {
  size: number;
  offset: number;
}

/**
 * Checks a page's arguments and decodes its cursors (see decodeCursor) for the list of `shape`. `first` and
 * `last` together are refused (which end should the page keep?), and so is `offset` with `last`; neither
 * (`after` and `before` alone too) is the first DEFAULT_PAGE_SIZE rows of the window, as without cursors.
 */
export function pageWindow(args: PageArgs, shape: CursorShape, config: Pick<Config, 'maxPageSize' | 'defaultPageSize'>): PageWindow {
  const backward = args.last != null;
  if (backward && args.first != null) throw badInput('Pass "first" or "last", not both: "first" pages forward, "last" backward.');
  const size = backward ? args.last! : (args.first ?? config.defaultPageSize);
  if (!Number.isInteger(size) || size < 0 || size > config.maxPageSize) {
    throw badInput(pageSizeMessage(config.maxPageSize, backward ? 'last' : 'first'));
  }
  if (args.offset != null) {
    if (backward) throw badInput('"offset" skips rows from the start of a page: pass it with "first", not with "last".');
    if (!Number.isInteger(args.offset) || args.offset < 0 || args.offset > MAX_OFFSET) {
      throw badInput(`"offset" must be between 0 and ${MAX_OFFSET}.`);
    }
  }
  return {
    size,
    offset: args.offset ?? 0,
    backward,
    after: decodeCursor(args.after, shape, 'after'),
    before: decodeCursor(args.before, shape, 'before'),
  };
}

/** How many rows to read for a window: one more than it shows, to know whether there are more. */
export const rowsToRead = (window: PageWindow) => window.size + 1;

/** A window's position alone: the part of a batched page's key (loaders.ts) that its cursors give. */
export const positionOf = (window: PageWindow): PagePosition => ({ after: window.after, before: window.before, backward: window.backward });

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
const invalidCursor = (argument: 'after' | 'before') =>
  badInput(`The cursor is not valid for this list and sort. Start again without "${argument}".`);

/**
 * Decodes a cursor (the `argument` named) made by encodeCursor for the same shape: null without one (null or absent),
 * the values otherwise. Anything else is BAD_USER_INPUT: an empty string, a cursor of another list or sort
 * (or of an earlier version of the gateway, without a tag), and values the database could not take. Every
 * text in it passes the check variables pass (domain/validate.ts: no NUL, no lone surrogate), so a hand-made
 * cursor fails here as the client's input, never inside the query (PostgreSQL refuses NUL in text).
 */
export function decodeCursor(cursor: string | null | undefined, shape: CursorShape, argument: 'after' | 'before' = 'after'): SortValue[] | null {
  if (cursor === null || cursor === undefined) return null;
  const invalid = () => invalidCursor(argument);
  if (cursor.length > MAX_CURSOR_LENGTH) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const { kinds } = shape;
  if (!Array.isArray(parsed) || parsed.length !== kinds.length + 1 || parsed[0] !== shape.tag) throw invalid();
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
    if (typeof value !== 'string' || value.length > MAX_CURSOR_TEXT || !isStorableText(value)) throw invalid();
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
    throw invalid();
  }
  return values;
}

/** A page of a connection as the schema resolves it; totalCount is computed only when asked for. */
export interface Page<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount: () => Promise<number> | number;
}

/**
 * The rows a window shows, in the list's order, from rows read with `take: rowsToRead(window)` in its
 * reading order (db/keyset.ts, readingOrder: a backward window is read from its end), and whether the
 * window holds more of them beyond the page, on the side the page was read towards.
 * Paging forward, hasPreviousPage is false, and paging backward, hasNextPage is: the Relay connection spec
 * allows it (and graphql-relay-js does the same), and the page on that side is the one the client came from.
 */
function shownRows<T>(rows: T[], window: PageWindow): { shown: T[]; hasNextPage: boolean; hasPreviousPage: boolean } {
  const more = rows.length > window.size;
  const shown = rows.length > window.size ? rows.slice(0, window.size) : rows;
  if (!window.backward) return { shown, hasNextPage: more, hasPreviousPage: false };
  return { shown: shown === rows ? [...rows].reverse() : shown.reverse(), hasNextPage: false, hasPreviousPage: more };
}

/** Builds a page from rows read for `window` (see shownRows). */
export function toPage<T>(rows: T[], window: PageWindow, cursorOf: (row: T) => string, totalCount: Page<T>['totalCount']): Page<T> {
  const { shown, hasNextPage, hasPreviousPage } = shownRows(rows, window);
  const edges = shown.map((node) => ({ cursor: cursorOf(node), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage,
      hasPreviousPage,
      startCursor: edges.length ? edges[0].cursor : null,
      endCursor: edges.length ? edges[edges.length - 1].cursor : null,
    },
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

/** The page info of a lazy page: its start and end cursors made when read (see LazyEdge). */
class LazyPageInfo<T> {
  constructor(
    readonly hasNextPage: boolean,
    readonly hasPreviousPage: boolean,
    private readonly first: T | undefined,
    private readonly last: T | undefined,
    private readonly cursorOf: (row: T) => string,
  ) {}
  get startCursor(): string | null {
    return this.first === undefined ? null : this.cursorOf(this.first);
  }
  get endCursor(): string | null {
    return this.last === undefined ? null : this.cursorOf(this.last);
  }
}

/**
 * toPage with the cursors made only when read: a list of groups with `members(first: 5)` on each rarely
 * asks for the members' cursors, and making them is a good part of resolving such a page.
 */
export function lazyPage<T>(rows: T[], window: PageWindow, cursorOf: (row: T) => string, totalCount: Page<T>['totalCount']): Page<T> {
  const { shown, hasNextPage, hasPreviousPage } = shownRows(rows, window);
  return {
    edges: shown.map((node) => new LazyEdge(node, cursorOf)),
    pageInfo: new LazyPageInfo(hasNextPage, hasPreviousPage, shown[0], shown[shown.length - 1], cursorOf),
    totalCount,
  };
}

/** The page of a list that is empty by definition (e.g. an anonymous viewer's memberships). */
export function emptyPage<T>(): Page<T> {
  return { edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null }, totalCount: () => 0 };
}
