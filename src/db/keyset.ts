/**
 * The SQL side of keyset paging (schema/pagination.ts makes and reads the cursors): the sort keys of a list,
 * and the WHERE condition and ORDER BY list of queries written by hand.
 */
import { Prisma } from '../generated/prisma/client.ts';

export type SortOrder = 'asc' | 'desc';
export type SortValue = string | number | Date;
/** How a cursor value is decoded back from JSON. */
export type ValueKind = 'string' | 'int' | 'date';

export interface SortKey<F extends string> {
  field: F;
  order: SortOrder;
  kind: ValueKind;
}

/**
 * The SQL condition that selects rows strictly after `values` in the order of `keys`, for queries written by
 * hand: (k1 > v1) OR (k1 = v1 AND k2 > v2) OR ..., with > or < per key's order; `column` names a key's column.
 */
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

/**
 * Where a page lies in its list: strictly after one keyset position and/or strictly before another (a cursor
 * each, `after` and `before`), read from the start of that window, or from its end when `backward` (`last`).
 */
export interface PagePosition {
  after: SortValue[] | null;
  before: SortValue[] | null;
  backward: boolean;
}

/** The first page of a list, read forward. */
export const FROM_THE_START: PagePosition = Object.freeze({ after: null, before: null, backward: false });

/** `keys` with every order turned round: the list read from its end. */
export function reversed<F extends string>(keys: readonly SortKey<F>[]): SortKey<F>[] {
  return keys.map((key) => ({ field: key.field, order: key.order === 'asc' ? 'desc' : 'asc', kind: key.kind }));
}

/** The keys in the order a page is read: the list's own, or turned round to reach its end first (`last`). */
export function readingOrder<F extends string>(keys: SortKey<F>[], position: PagePosition): SortKey<F>[] {
  return position.backward ? reversed(keys) : keys;
}

/**
 * The conditions of a position (none, one or two), for queries written by hand: after `after` in the order
 * of `keys`, and before `before`, which is after it in the reversed order.
 */
export function positionSql<F extends string>(keys: SortKey<F>[], position: PagePosition, column: (field: F) => Prisma.Sql): Prisma.Sql[] {
  const conditions: Prisma.Sql[] = [];
  if (position.after) conditions.push(keysetSql(keys, position.after, column));
  if (position.before) conditions.push(keysetSql(reversed(keys), position.before, column));
  return conditions;
}

/** positionSql as ` AND …` to follow a WHERE clause's conditions: nothing for the first page. */
export function andPositionSql<F extends string>(keys: SortKey<F>[], position: PagePosition, column: (field: F) => Prisma.Sql): Prisma.Sql {
  const conditions = positionSql(keys, position, column);
  return conditions.length ? Prisma.sql` AND ${Prisma.join(conditions, ' AND ')}` : Prisma.empty;
}
