/**
 * Groups read by hand-written SQL: the `groups` list (the page and its total, each one statement, with the
 * viewer's visibility, the SQL conditions of auth/visibility.ts, inside the statement that returns the
 * rows), one group by id or slug under the same visibility, and groups by id for the request's loader.
 *
 * Hand-written rather than Prisma's `findMany`/`findFirst`: Prisma 6.19 compiles each call's query anew
 * (WebAssembly, no plan cache): the two statements of a member's list took 5.7 ms of CPU through
 * `findMany`, 1.1 ms as the same reads in SQL (bench/README.md, round 3); one group by slug with the
 * visibility condition, about 0.7 ms through `findFirst` and 0.1 ms in SQL (round 5). They run through
 * `db.read` (reads.ts): on Prisma's own connection and with its statement counting, without its compiler.
 */
import { Prisma, type Group } from '../generated/prisma/client.ts';
import type { Db } from './client.ts';
import { orderBySql, positionSql, readingOrder, type PagePosition, type SortKey } from './keyset.ts';
import { STANDING_COLUMN_NAMES, STANDING_COLUMNS, standingJoinsSql, standingOf, type ViewerStanding } from './viewer-standing.ts';

/** The columns a list may be sorted by (the keys of a cursor). */
export type GroupSortColumn = 'nameSearch' | 'createdAt' | 'membersCount' | 'recentActivityAt' | 'id';

/** Every column of "Group", read as Prisma's Group model (the driver types each one from the table). */
export const GROUP_COLUMN_NAMES = ['id', 'slug', 'name', 'nameSearch', 'description', 'privacy', 'coverImageUrl', 'createdBy', 'createdAt', 'updatedAt', 'recentActivityAt', 'membersCount', 'membersCanApprove', 'membersCanInvite', 'showMemberList'] as const;
const GROUP_COLUMNS = Prisma.raw(GROUP_COLUMN_NAMES.map((column) => `g."${column}"`).join(', '));

/** The group's columns beside another row's (a membership, a join request), each as `group.<column>`. */
export const NESTED_GROUP_COLUMNS = Prisma.raw(GROUP_COLUMN_NAMES.map((name) => `g."${name}" AS "group.${name}"`).join(', '));

/** The group read back from a row selected with NESTED_GROUP_COLUMNS, as Prisma's Group model. */
export function nestedGroupOf(row: Record<string, unknown>): Group {
  const group: Record<string, unknown> = {};
  for (const name of GROUP_COLUMN_NAMES) group[name] = row[`group.${name}`];
  return group as unknown as Group;
}

const column = (field: GroupSortColumn) => Prisma.raw(`g."${field}"`);

/** Above this many, a member's groups are listed by the groups' own indexes instead (see readGroupPage). */
const MEMBER_GROUPS_READ_FIRST = 1_000;

export interface GroupListQuery {
  /** Conditions on the row `g` of "Group", all of which a listed group meets (visibility among them). */
  conditions: Prisma.Sql[];
  /** `filter.memberId`: the groups of this member (the conditions must include that membership too). */
  memberId: string | null;
  keys: SortKey<GroupSortColumn>[];
  /** Where the page lies: after and before keyset positions, read backward for `last` (keyset.ts). */
  position: PagePosition;
  offset: number;
  /** Rows to read (the page size plus one, to know whether there are more), in the reading order. */
  take: number;
  /** A signed-in viewer, whose standing in each group of the page is read with it (null: anonymous). */
  viewerId: string | null;
}

/** A page of groups (see readGroupPage). */
export interface GroupPage {
  rows: Group[];
  /** The viewer's standing in each group of the page, by group id (null for an anonymous viewer). */
  standings: Map<string, ViewerStanding> | null;
  total: () => Promise<number> | number;
}

/**
 * One page of groups (in the order read: keyset.ts, readingOrder), the viewer's standing in each, and the
 * list's total (a number, or a function counting on demand: totalCount is only computed when asked for).
 */
export async function readGroupPage(db: Db, query: GroupListQuery): Promise<GroupPage> {
  const where = Prisma.join(query.conditions, ' AND ');
  // One member's groups: read from that member's memberships first (a handful of rows by the memberId
  // index, where a scan of the groups would test every group for membership). They are the whole list,
  // so they are its total too; the page is then read among them, with every condition applied again.
  let candidates: string[] | null = null;
  if (query.memberId !== null) {
    const found = await db.read<{ id: string }>(Prisma.sql`
      SELECT g."id" FROM "GroupMember" fm JOIN "Group" g ON g."id" = fm."groupId"
      WHERE fm."memberId" = ${query.memberId} AND ${where} LIMIT ${MEMBER_GROUPS_READ_FIRST + 1}`);
    if (found.length <= MEMBER_GROUPS_READ_FIRST) candidates = found.map((row) => row.id);
  }
  const total = () => candidates?.length ?? countGroups(db, where);
  if (candidates?.length === 0) return { rows: [], standings: query.viewerId === null ? null : new Map(), total };
  const conditions = [
    ...(candidates ? [Prisma.sql`g."id" IN (${Prisma.join(candidates)})`] : []),
    where,
    ...positionSql(query.keys, query.position, column),
  ];
  // Read backward (`last`), the rows come from the end of the window; the schema turns them round.
  const order = orderBySql(readingOrder(query.keys, query.position), column);
  const page = Prisma.sql`SELECT ${GROUP_COLUMNS} FROM "Group" g WHERE ${Prisma.join(conditions, ' AND ')}
    ORDER BY ${order} LIMIT ${query.take} OFFSET ${query.offset}`;
  if (query.viewerId === null) return { rows: await db.read<Group>(page), standings: null, total };
  // The viewer's standing is joined onto the page once it is cut (a subquery with its own LIMIT, which
  // neither database merges into the outer query), so only the rows shown are looked up, in whatever order
  // the page was found; the outer ORDER BY restores it.
  const joined = await db.read<Record<string, unknown>>(Prisma.sql`
    SELECT ${GROUP_COLUMNS}, ${STANDING_COLUMNS} FROM (${page}) g ${standingJoinsSql(query.viewerId)} ORDER BY ${order}`);
  const standings = new Map<string, ViewerStanding>();
  const rows = joined.map((row) => {
    const id = row.id as string;
    standings.set(id, standingOf(row, id, query.viewerId!));
    for (const name of STANDING_COLUMN_NAMES) delete row[name];
    return row as unknown as Group;
  });
  return { rows, standings, total };
}

/** A group named by its id or by its slug. */
export type GroupKey = { id: string } | { slug: string };

/**
 * The groups with these ids or slugs that meet `visibility` (the viewer's condition on the row `g`, from
 * auth/visibility.ts), in one statement, each in the place of its key; null where there is none or the
 * viewer may not see it, which callers cannot tell apart. With `viewerId`, the viewer's standing in each
 * comes in the same statement (as with the list's page).
 */
export async function readGroups(
  db: Db,
  keys: readonly GroupKey[],
  visibility: Prisma.Sql,
  viewerId: string | null = null,
): Promise<({ group: Group; standing: ViewerStanding | null } | null)[]> {
  const ids = [...new Set(keys.flatMap((key) => ('id' in key ? [key.id] : [])))];
  const slugs = [...new Set(keys.flatMap((key) => ('slug' in key ? [key.slug] : [])))];
  const named = [
    ...(ids.length > 0 ? [Prisma.sql`g."id" IN (${Prisma.join(ids)})`] : []),
    ...(slugs.length > 0 ? [Prisma.sql`g."slug" IN (${Prisma.join(slugs)})`] : []),
  ];
  const where = Prisma.sql`(${Prisma.join(named, ' OR ')}) AND ${visibility}`;
  const found =
    viewerId === null
      ? (await db.read<Group>(Prisma.sql`SELECT ${GROUP_COLUMNS} FROM "Group" g WHERE ${where}`)).map((group) => ({ group, standing: null }))
      : (await db.read<Record<string, unknown>>(withStandingSql(where, viewerId))).map((row) => groupWithStandingOf(row, viewerId));
  const byId = new Map(found.map((row) => [row.group.id, row]));
  const bySlug = new Map(found.map((row) => [row.group.slug, row]));
  return keys.map((key) => ('id' in key ? byId.get(key.id) : bySlug.get(key.slug)) ?? null);
}

/** The groups meeting `where` (a condition on `g`) with `memberId`'s standing in each. */
const withStandingSql = (where: Prisma.Sql, memberId: string) =>
  Prisma.sql`SELECT ${GROUP_COLUMNS}, ${STANDING_COLUMNS} FROM "Group" g ${standingJoinsSql(memberId)} WHERE ${where}`;

/**
 * One group by id with `memberId`'s standing in it, unfiltered (writes decide with the policy themselves):
 * the statement, for a transaction's own client (`tx.$queryRaw`), and the reading of its row.
 */
export const groupWithStandingSql = (groupId: string, memberId: string) => withStandingSql(Prisma.sql`g."id" = ${groupId}`, memberId);

export function groupWithStandingOf(row: Record<string, unknown>, memberId: string): { group: Group; standing: ViewerStanding } {
  const standing = standingOf(row, row.id as string, memberId);
  for (const name of STANDING_COLUMN_NAMES) delete row[name];
  return { group: row as unknown as Group, standing };
}

/** The groups with these ids, unfiltered (callers apply the policy), in no particular order. */
export async function readGroupsById(db: Db, ids: readonly string[]): Promise<Group[]> {
  if (ids.length === 0) return [];
  return db.read<Group>(Prisma.sql`SELECT ${GROUP_COLUMNS} FROM "Group" g WHERE g."id" IN (${Prisma.join(ids)})`);
}

async function countGroups(db: Db, where: Prisma.Sql): Promise<number> {
  const [row] = await db.read<{ n: bigint | number }>(Prisma.sql`SELECT COUNT(*) AS "n" FROM "Group" g WHERE ${where}`);
  return Number(row.n);
}
