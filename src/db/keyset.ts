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
