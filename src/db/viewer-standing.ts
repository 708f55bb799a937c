/**
 * The viewer's standing in a group (their membership and their pending join request) read in SQL, joined
 * onto rows `g` of "Group". The request's loader reads it for many groups at once (loaders.ts); the groups
 * list reads it with its page (group-list.ts), so that a signed-in viewer's list costs one statement less.
 */
import { Prisma, type GroupMember, type JoinRequest } from '../generated/prisma/client.ts';
import type { GroupRole, RequestStatus } from '../generated/prisma/enums.ts';

/** The viewer's own standing in one group: their membership and their pending join request (each or null). */
export interface ViewerStanding {
  membership: GroupMember | null;
  pendingJoinRequest: JoinRequest | null;
}

/** The LEFT JOINs onto `g` of the member's membership (`vm`) and pending join request (`vr`). */
export function standingJoinsSql(memberId: string): Prisma.Sql {
  return Prisma.sql`LEFT JOIN "GroupMember" vm ON vm."groupId" = g."id" AND vm."memberId" = ${memberId}
    LEFT JOIN "JoinRequest" vr ON vr."groupId" = g."id" AND vr."memberId" = ${memberId} AND vr."status" = 'PENDING'`;
}

/** The columns of the joins above, named apart from the group's own (read back by standingOf). */
export const STANDING_COLUMNS = Prisma.sql`vm."id" AS "vmId", vm."role" AS "vmRole", vm."joinedAt" AS "vmJoinedAt",
  vr."id" AS "vrId", vr."status" AS "vrStatus", vr."pendingKey" AS "vrPendingKey", vr."rejectionReason" AS "vrRejectionReason",
  vr."createdAt" AS "vrCreatedAt", vr."decidedAt" AS "vrDecidedAt", vr."decidedBy" AS "vrDecidedBy"`;

/** The names of STANDING_COLUMNS, to take them off a row that also holds a group. */
export const STANDING_COLUMN_NAMES = ['vmId', 'vmRole', 'vmJoinedAt', 'vrId', 'vrStatus', 'vrPendingKey', 'vrRejectionReason', 'vrCreatedAt', 'vrDecidedAt', 'vrDecidedBy'] as const;

/** A DateTime read by a raw query: a Date from the driver, or the stored text (SQLite, through a join or subquery). */
export const toDate = (value: unknown): Date => (value instanceof Date ? value : new Date(value as string));
const toDateOrNull = (value: unknown): Date | null => (value === null || value === undefined ? null : toDate(value));

/** The standing of `memberId` in `groupId`, from a row holding STANDING_COLUMNS. */
export function standingOf(row: Record<string, unknown>, groupId: string, memberId: string): ViewerStanding {
  return {
    membership:
      row.vmId == null
        ? null
        : { id: row.vmId as string, groupId, memberId, role: row.vmRole as GroupRole, joinedAt: toDate(row.vmJoinedAt) },
    pendingJoinRequest:
      row.vrId == null
        ? null
        : {
            id: row.vrId as string,
            groupId,
            memberId,
            status: row.vrStatus as RequestStatus,
            pendingKey: (row.vrPendingKey as string | null) ?? null,
            rejectionReason: (row.vrRejectionReason as string | null) ?? null,
            createdAt: toDate(row.vrCreatedAt),
            decidedAt: toDateOrNull(row.vrDecidedAt),
            decidedBy: (row.vrDecidedBy as string | null) ?? null,
          },
  };
}
