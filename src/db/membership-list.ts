/**
 * A member's memberships read by hand-written SQL: a page (newest first) and its total, each one
 * statement, in the groups the viewer may see (the SQL condition of auth/visibility.ts, inside the statement
 * that returns the rows). The page brings each membership's group with it, which a page of memberships
 * almost always shows. Hand-written for the same reason as group-list.ts: Prisma 6.19 compiles each
 * `findMany` and `count` anew, which cost more than the reads themselves.
 */
import { Prisma, type Group, type GroupMember } from '../generated/prisma/client.ts';
import type { GroupRole } from '../generated/prisma/enums.ts';
import type { Db } from './client.ts';
import type { Viewer } from '../auth/viewer.ts';
import { visibleGroupsSql } from '../auth/visibility.ts';
import { andPositionSql, orderBySql, readingOrder, type PagePosition, type SortKey } from './keyset.ts';
import { toDate } from './reads.ts';
import { NESTED_GROUP_COLUMNS, nestedGroupOf } from './group-list.ts';

/** The memberships of `memberId` in groups `viewer` may see, joined to their group `g`. */
const membershipsSql = (viewer: Viewer, memberId: string) =>
  Prisma.sql`FROM "GroupMember" m JOIN "Group" g ON g."id" = m."groupId" WHERE m."memberId" = ${memberId} AND ${visibleGroupsSql(viewer)}`;

const column = (field: 'joinedAt' | 'id') => Prisma.raw(`m."${field}"`);

/**
 * Up to `take` memberships of `memberId` at `position` in the order of `keys`, in the order they are read
 * (keyset.ts, readingOrder), each with its group (as Prisma's Group model).
 */
export async function readMembershipPage(
  db: Db,
  viewer: Viewer,
  memberId: string,
  keys: SortKey<'joinedAt' | 'id'>[],
  position: PagePosition,
  take: number,
): Promise<{ membership: GroupMember; group: Group }[]> {
  const rows = await db.read<Record<string, unknown>>(Prisma.sql`
    SELECT m."id", m."groupId", m."memberId", m."role", m."joinedAt", ${NESTED_GROUP_COLUMNS} ${membershipsSql(viewer, memberId)}${andPositionSql(keys, position, column)}
    ORDER BY ${orderBySql(readingOrder(keys, position), column)} LIMIT ${take}`);
  return rows.map((row) => ({
    membership: {
      id: row.id as string,
      groupId: row.groupId as string,
      memberId: row.memberId as string,
      role: row.role as GroupRole,
      joinedAt: toDate(row.joinedAt),
    },
    group: nestedGroupOf(row),
  }));
}

/** How many memberships `memberId` has in groups `viewer` may see. */
export async function countMemberships(db: Db, viewer: Viewer, memberId: string): Promise<number> {
  const [row] = await db.read<{ count: unknown }>(Prisma.sql`SELECT COUNT(*) AS "count" ${membershipsSql(viewer, memberId)}`);
  return Number(row.count);
}
