/**
 * Create requests read by hand-written SQL: a page (newest first) and its total, each one statement, for the
 * Groups Managers' queue (optionally of one status) and for a member's own requests. Hand-written for the
 * same reason as group-list.ts: Prisma 6.19 compiles each `findMany` and `count` anew.
 */
import { Prisma, type CreateRequest } from '../generated/prisma/client.ts';
import type { RequestStatus } from '../generated/prisma/enums.ts';
import type { Db } from './client.ts';
import { orderBySql, positionSql, readingOrder, type PagePosition, type SortKey } from './keyset.ts';
import type { Viewer } from '../auth/viewer.ts';
import { visibleCreateRequestsSql } from '../auth/visibility.ts';

/** Every column of "CreateRequest", read as Prisma's model (the driver types each one from the table). */
const COLUMNS = Prisma.raw(
  ['id', 'status', 'requestedBy', 'name', 'description', 'privacy', 'coverImageUrl', 'membersCanApprove', 'membersCanInvite', 'showMemberList', 'pendingKey', 'groupId', 'rejectionReason', 'createdAt', 'decidedAt', 'decidedBy']
    .map((column) => `r."${column}"`)
    .join(', '),
);

/** Which create requests: of one status, of one member, or every one. */
export interface CreateRequestFilter {
  status?: RequestStatus | null;
  requestedBy?: string | null;
}

const column = (field: 'createdAt' | 'id') => Prisma.raw(`r."${field}"`);

function conditions(filter: CreateRequestFilter): Prisma.Sql[] {
  return [
    ...(filter.status ? [Prisma.sql`r."status" = ${filter.status}`] : []),
    ...(filter.requestedBy ? [Prisma.sql`r."requestedBy" = ${filter.requestedBy}`] : []),
  ];
}

const whereOf = (parts: Prisma.Sql[]) => (parts.length ? Prisma.sql`WHERE ${Prisma.join(parts, ' AND ')}` : Prisma.empty);

/**
 * Up to `take` create requests matching `filter` at `position` in the order of `keys`, in the order they are
 * read (keyset.ts, readingOrder: from the end of the window when paging backward).
 */
export function readCreateRequestPage(
  db: Db,
  filter: CreateRequestFilter,
  keys: SortKey<'createdAt' | 'id'>[],
  position: PagePosition,
  take: number,
): Promise<CreateRequest[]> {
  const parts = [...conditions(filter), ...positionSql(keys, position, column)];
  return db.read<CreateRequest>(Prisma.sql`
    SELECT ${COLUMNS} FROM "CreateRequest" r ${whereOf(parts)} ORDER BY ${orderBySql(readingOrder(keys, position), column)} LIMIT ${take}`);
}

/** How many create requests match `filter`. */
export async function countCreateRequests(db: Db, filter: CreateRequestFilter): Promise<number> {
  const [row] = await db.read<{ count: unknown }>(Prisma.sql`SELECT COUNT(*) AS "count" FROM "CreateRequest" r ${whereOf(conditions(filter))}`);
  return Number(row.count);
}

/**
 * The create requests with these ids that `viewer` may read (visibleCreateRequestsSql), in one statement: every
 * request a `node(id:)` or `nodes(ids:)` names. An anonymous viewer may read none, and costs no statement.
 */
export function readVisibleCreateRequests(db: Db, viewer: Viewer, ids: readonly string[]): Promise<CreateRequest[]> {
  if (ids.length === 0 || (viewer.memberId === null && !viewer.isGroupsManager)) return Promise.resolve([]);
  return db.read<CreateRequest>(Prisma.sql`
    SELECT ${COLUMNS} FROM "CreateRequest" r WHERE r."id" IN (${Prisma.join(ids)}) AND ${visibleCreateRequestsSql(viewer)}`);
}
