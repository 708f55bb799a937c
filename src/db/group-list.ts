/**
 * Groups read by hand-written SQL: the `groups` list (the page and its total, each one statement, with the
 * viewer's visibility, the SQL conditions of auth/visibility.ts, inside the statement that returns the
 * rows), one group by id or slug under the same visibility, and groups by id for the request's loader.
 *
 * Hand-written rather than Prisma's `findMany`/`findFirst`: Prisma 6.19 compiles each call's query anew
 * (WebAssembly, no plan cache): the two statements of a member's list took 5.7 ms of CPU through
 * `findMany`, 1.1 ms as the same reads in SQL (bench/README.md, round 3); one group by slug with the
 * visibility condition, about 0.7 ms through `findFirst` and 0.1 ms in SQL (round 5). Prisma still runs
 * them (`$queryRaw`), through the same driver adapter, statement counting and transactions as every other
 * query.
 */
import { Prisma, type Group } from '../generated/prisma/client.ts';
import type { Db } from './client.ts';
import { keysetSql, orderBySql, type SortKey, type SortValue } from '../schema/pagination.ts';

/** The columns a list may be sorted by (the keys of a cursor). */
export type GroupSortColumn = 'nameSearch' | 'createdAt' | 'membersCount' | 'recentActivityAt' | 'id';

/** Every column of "Group", read as Prisma's Group model (the driver types each one from the table). */
const GROUP_COLUMNS = Prisma.raw(
  ['id', 'slug', 'name', 'nameSearch', 'description', 'privacy', 'coverImageUrl', 'createdBy', 'createdAt', 'updatedAt', 'recentActivityAt', 'membersCount', 'membersCanApprove', 'membersCanInvite', 'showMemberList']
    .map((column) => `g."${column}"`)
    .join(', '),
);

const column = (field: GroupSortColumn) => Prisma.raw(`g."${field}"`);

/** Above this many, a member's groups are listed by the groups' own indexes instead (see readGroupPage). */
const MEMBER_GROUPS_READ_FIRST = 1_000;

export interface GroupListQuery {
  /** Conditions on the row `g` of "Group", all of which a listed group meets (visibility among them). */
  conditions: Prisma.Sql[];
  /** `filter.memberId`: the groups of this member (the conditions must include that membership too). */
  memberId: string | null;
  keys: SortKey<GroupSortColumn>[];
  /** The keyset position of `after`, if given. */
  after: SortValue[] | null;
  offset: number;
  /** Rows to read (the page size plus one, to know whether there is a next page). */
  take: number;
}

/**
 * One page of groups, and its total (a number, or a function counting on demand: totalCount is only
 * computed when asked for).
 */
export async function readGroupPage(db: Db, query: GroupListQuery): Promise<{ rows: Group[]; total: () => Promise<number> | number }> {
  const where = Prisma.join(query.conditions, ' AND ');
  // One member's groups: read from that member's memberships first (a handful of rows by the memberId
  // index, where a scan of the groups would test every group for membership). They are the whole list,
  // so they are its total too; the page is then read among them, with every condition applied again.
  let candidates: string[] | null = null;
  if (query.memberId !== null) {
    const found = await db.$queryRaw<{ id: string }[]>`
      SELECT g."id" FROM "GroupMember" fm JOIN "Group" g ON g."id" = fm."groupId"
      WHERE fm."memberId" = ${query.memberId} AND ${where} LIMIT ${MEMBER_GROUPS_READ_FIRST + 1}`;
    if (found.length <= MEMBER_GROUPS_READ_FIRST) candidates = found.map((row) => row.id);
  }
  const total = () => candidates?.length ?? countGroups(db, where);
  if (candidates?.length === 0) return { rows: [], total };
  const conditions = [
    ...(candidates ? [Prisma.sql`g."id" IN (${Prisma.join(candidates)})`] : []),
    where,
    ...(query.after ? [keysetSql(query.keys, query.after, column)] : []),
  ];
  const rows = await db.$queryRaw<Group[]>`
    SELECT ${GROUP_COLUMNS} FROM "Group" g WHERE ${Prisma.join(conditions, ' AND ')}
    ORDER BY ${orderBySql(query.keys, column)} LIMIT ${query.take} OFFSET ${query.offset}`;
  return { rows, total };
}

/**
 * The group with this id or slug, if it meets `visibility` (the viewer's condition on the row `g`, from
 * auth/visibility.ts); null when there is none or the viewer may not see it, which callers cannot tell apart.
 */
export async function readGroup(db: Db, by: { id: string } | { slug: string }, visibility: Prisma.Sql): Promise<Group | null> {
  const key = 'id' in by ? Prisma.sql`g."id" = ${by.id}` : Prisma.sql`g."slug" = ${by.slug}`;
  const [row] = await db.$queryRaw<Group[]>`SELECT ${GROUP_COLUMNS} FROM "Group" g WHERE ${key} AND ${visibility} LIMIT 1`;
  return row ?? null;
}

/** The groups with these ids, unfiltered (callers apply the policy), in no particular order. */
export async function readGroupsById(db: Db, ids: readonly string[]): Promise<Group[]> {
  if (ids.length === 0) return [];
  return db.$queryRaw<Group[]>`SELECT ${GROUP_COLUMNS} FROM "Group" g WHERE g."id" IN (${Prisma.join(ids)})`;
}

async function countGroups(db: Db, where: Prisma.Sql): Promise<number> {
  const [row] = await db.$queryRaw<{ n: bigint | number }[]>`SELECT COUNT(*) AS "n" FROM "Group" g WHERE ${where}`;
  return Number(row.n);
}
