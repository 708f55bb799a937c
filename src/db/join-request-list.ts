/**
 * A member's own join requests read by hand-written SQL: a page (newest first) and its total, each one
 * statement, in the groups the viewer may see (the SQL condition of auth/visibility.ts, the one the groups
 * list and a member's memberships use, inside the statement that returns the rows). A request whose group
 * the viewer can no longer see (made SECRET) is neither listed nor counted, like the request of a deleted
 * group, whose rows went with the group (onDelete: Cascade): to the requester both look the same. The page
 * brings each request's group with it, as membership-list.ts does. Hand-written for the same reason as
 * group-list.ts: Prisma 6.19 compiles each `findMany` and `count` anew.
 */
import { Prisma, type Group, type JoinRequest } from '../generated/prisma/client.ts';
import type { RequestStatus } from '../generated/prisma/enums.ts';
import type { Db } from './client.ts';
import type { Viewer } from '../auth/viewer.ts';
import { visibleGroupsSql } from '../auth/visibility.ts';
import { keysetSql, orderBySql, type SortKey, type SortValue } from '../schema/pagination.ts';
import { toDate } from './reads.ts';
import { GROUP_COLUMN_NAMES } from './group-list.ts';

/** Every column of "JoinRequest", in the order of Prisma's model. */
export const JOIN_REQUEST_COLUMN_NAMES = [
  'id',
  'groupId',
  'memberId',
  'status',
  'pendingKey',
  'rejectionReason',
  'createdAt',
  'decidedAt',
  'decidedBy',
] as const;

/** A read row of "JoinRequest" (its columns by name) as Prisma's model. */
export function joinRequestOf(row: Record<string, unknown>): JoinRequest {
  return {
    id: row.id as string,
    groupId: row.groupId as string,
    memberId: row.memberId as string,
    status: row.status as RequestStatus,
    pendingKey: (row.pendingKey as string | null) ?? null,
    rejectionReason: (row.rejectionReason as string | null) ?? null,
    createdAt: toDate(row.createdAt),
    decidedAt: row.decidedAt == null ? null : toDate(row.decidedAt),
    decidedBy: (row.decidedBy as string | null) ?? null,
  };
}

const REQUEST_COLUMNS = Prisma.raw(JOIN_REQUEST_COLUMN_NAMES.map((name) => `r."${name}"`).join(', '));

/** The group's columns beside the request's, each as `group.<column>`. */
const GROUP_COLUMNS = Prisma.raw(GROUP_COLUMN_NAMES.map((name) => `g."${name}" AS "group.${name}"`).join(', '));

/** Which of a member's requests: of one status, or every one. */
export interface OwnJoinRequestFilter {
  memberId: string;
  status?: RequestStatus | null;
}

/** The requests of `filter.memberId` (of one status) in groups `viewer` may see, joined to their group `g`. */
function requestsSql(viewer: Viewer, filter: OwnJoinRequestFilter): Prisma.Sql {
  const status = filter.status ? Prisma.sql` AND r."status" = ${filter.status}` : Prisma.empty;
  return Prisma.sql`FROM "JoinRequest" r JOIN "Group" g ON g."id" = r."groupId"
    WHERE r."memberId" = ${filter.memberId}${status} AND ${visibleGroupsSql(viewer)}`;
}

const column = (field: 'createdAt' | 'id') => Prisma.raw(`r."${field}"`);

/**
 * Up to `take` join requests matching `filter` in groups `viewer` may see, in the order of `keys`, after the
 * keyset position `after`, each with its group (as Prisma's Group model).
 */
export async function readOwnJoinRequestPage(
  db: Db,
  viewer: Viewer,
  filter: OwnJoinRequestFilter,
  keys: SortKey<'createdAt' | 'id'>[],
  after: SortValue[] | null,
  take: number,
): Promise<{ request: JoinRequest; group: Group }[]> {
  const position = after ? Prisma.sql` AND ${keysetSql(keys, after, column)}` : Prisma.empty;
  const rows = await db.read<Record<string, unknown>>(Prisma.sql`
    SELECT ${REQUEST_COLUMNS}, ${GROUP_COLUMNS} ${requestsSql(viewer, filter)}${position}
    ORDER BY ${orderBySql(keys, column)} LIMIT ${take}`);
  return rows.map((row) => {
    const group: Record<string, unknown> = {};
    for (const name of GROUP_COLUMN_NAMES) group[name] = row[`group.${name}`];
    return { request: joinRequestOf(row), group: group as unknown as Group };
  });
}

/** How many join requests match `filter` in groups `viewer` may see. */
export async function countOwnJoinRequests(db: Db, viewer: Viewer, filter: OwnJoinRequestFilter): Promise<number> {
  const [row] = await db.read<{ count: unknown }>(Prisma.sql`SELECT COUNT(*) AS "count" ${requestsSql(viewer, filter)}`);
  return Number(row.count);
}
