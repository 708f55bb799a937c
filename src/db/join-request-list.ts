/**
 * Join requests across groups read by hand-written SQL: a page and its total, each one statement, with
 * their groups' conditions from auth/visibility.ts inside the statement that returns the rows.
 * - A member's own requests (`memberId`), in the groups the viewer may see (the condition the groups list and
 *   a member's memberships use). A request whose group the viewer can no longer see (made SECRET) is neither
 *   listed nor counted, like the request of a deleted group, whose rows went with the group (onDelete:
 *   Cascade): to the requester both look the same.
 * - The requests the viewer may decide (`decidable`), in every group where they may (canDecideJoinRequests).
 * The page brings each request's group with it, as membership-list.ts does. Hand-written for the same reason
 * as group-list.ts: Prisma 6.19 compiles each `findMany` and `count` anew.
 */
import { Prisma, type Group, type JoinRequest } from '../generated/prisma/client.ts';
import type { RequestStatus } from '../generated/prisma/enums.ts';
import type { Db } from './client.ts';
import type { DatabaseKind } from './adapter.ts';
import type { Viewer } from '../auth/viewer.ts';
import { decidableGroupsSql, visibleGroupsSql, visibleJoinRequestsSql } from '../auth/visibility.ts';
import { andPositionSql, orderBySql, readingOrder, type PagePosition, type SortKey } from './keyset.ts';
import { toDate } from './reads.ts';
import { NESTED_GROUP_COLUMNS, nestedGroupOf } from './group-list.ts';
import { STANDING_COLUMNS, standingJoinsSql, standingOf, type ViewerStanding } from './viewer-standing.ts';

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

/** Which requests: a member's own, or those the viewer may decide; of one status, or every one. */
export type JoinRequestListFilter =
  | { memberId: string; status?: RequestStatus | null }
  | { decidable: true; status?: RequestStatus | null };

/** The requests `filter` names, in groups whose condition holds for `viewer`, joined to their group `g`. */
function requestsSql(database: DatabaseKind, viewer: Viewer, filter: JoinRequestListFilter): Prisma.Sql {
  const status = filter.status ? Prisma.sql` AND r."status" = ${filter.status}` : Prisma.empty;
  const whose = 'memberId' in filter ? Prisma.sql`r."memberId" = ${filter.memberId} AND ${visibleGroupsSql(viewer)}` : decidableGroupsSql(viewer, database);
  const from = 'decidable' in filter && database === 'sqlite' && !viewer.isGroupsManager ? FROM_THE_MEMBERS_GROUPS : FROM_REQUESTS;
  return Prisma.sql`${from} JOIN "Group" g ON g."id" = r."groupId" WHERE ${whose}${status}`;
}

const FROM_REQUESTS = Prisma.raw(`FROM "JoinRequest" r`);
/**
 * SQLite, a member's requests to decide: read group by group from the member's own groups, never by walking
 * every pending request in date order. SQLite's planner picks between the two on its statistics, and those
 * that `PRAGMA optimize` takes (each index read up to analysis_limit rows: db/adapter.ts) made it walk every
 * pending request in date order once one group held half of the requests (test/query-plans.test.ts): the
 * walk that cost a member who decides nothing 56-77 ms on the bench's dataset.
 */
const FROM_THE_MEMBERS_GROUPS = Prisma.raw(`FROM "JoinRequest" r INDEXED BY "JoinRequest_groupId_status_createdAt_id_idx"`);

const column = (field: 'createdAt' | 'id') => Prisma.raw(`r."${field}"`);

/** The statement of a page (readJoinRequestPage; test/query-plans.test.ts reads its plan). */
export function joinRequestPageSql(
  database: DatabaseKind,
  viewer: Viewer,
  filter: JoinRequestListFilter,
  keys: SortKey<'createdAt' | 'id'>[],
  position: PagePosition,
  take: number,
): Prisma.Sql {
  return Prisma.sql`
    SELECT ${REQUEST_COLUMNS}, ${NESTED_GROUP_COLUMNS} ${requestsSql(database, viewer, filter)}${andPositionSql(keys, position, column)}
    ORDER BY ${orderBySql(readingOrder(keys, position), column)} LIMIT ${take}`;
}

/**
 * Up to `take` join requests matching `filter`, in groups whose condition holds for `viewer`, at `position`
 * in the order of `keys`, in the order they are read (keyset.ts, readingOrder), each with its group (as
 * Prisma's Group model).
 */
export async function readJoinRequestPage(
  db: Db,
  viewer: Viewer,
  filter: JoinRequestListFilter,
  keys: SortKey<'createdAt' | 'id'>[],
  position: PagePosition,
  take: number,
): Promise<{ request: JoinRequest; group: Group }[]> {
  const rows = await db.read<Record<string, unknown>>(joinRequestPageSql(db.kind, viewer, filter, keys, position, take));
  return rows.map((row) => ({ request: joinRequestOf(row), group: nestedGroupOf(row) }));
}

/** How many join requests match `filter`, in groups whose condition holds for `viewer`. */
export async function countJoinRequests(db: Db, viewer: Viewer, filter: JoinRequestListFilter): Promise<number> {
  const [row] = await db.read<{ count: unknown }>(Prisma.sql`SELECT COUNT(*) AS "count" ${requestsSql(db.kind, viewer, filter)}`);
  return Number(row.count);
}

/**
 * The join requests with these ids that `viewer` may read (visibleJoinRequestsSql), each with its group and
 * the viewer's standing in it, in one statement: every request a `node(id:)` or `nodes(ids:)` names. An
 * anonymous viewer may read none, and costs no statement.
 */
export async function readVisibleJoinRequests(
  db: Db,
  viewer: Viewer,
  ids: readonly string[],
): Promise<{ request: JoinRequest; group: Group; standing: ViewerStanding | null }[]> {
  const memberId = viewer.memberId;
  if (ids.length === 0 || memberId === null) return [];
  const rows = await db.read<Record<string, unknown>>(Prisma.sql`
    SELECT ${REQUEST_COLUMNS}, ${NESTED_GROUP_COLUMNS}, ${STANDING_COLUMNS}
    FROM "JoinRequest" r JOIN "Group" g ON g."id" = r."groupId" ${standingJoinsSql(memberId)}
    WHERE r."id" IN (${Prisma.join(ids)}) AND ${visibleJoinRequestsSql(viewer, db.kind)}`);
  return rows.map((row) => {
    const group = nestedGroupOf(row);
    return { request: joinRequestOf(row), group, standing: standingOf(row, group.id, memberId) };
  });
}
