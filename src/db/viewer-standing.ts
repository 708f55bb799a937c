/**
 * The viewer's standing in a group (their membership and their pending join request) read in SQL, joined
 * onto rows `g` of "Group". The request's loader reads it for many groups at once (loaders.ts); the groups
 * list reads it with its page (group-list.ts), so that a signed-in viewer's list costs one statement less.
 */
import { Prisma, type GroupMember, type JoinRequest } from '../generated/prisma/client.ts';
import type { GroupRole, RequestStatus } from '../generated/prisma/enums.ts';
import { toDate } from './reads.ts';

/** The viewer's own standing in one group: their membership and their pending join request (each or null). */
export interface ViewerStanding {
  membership: GroupMember | null;
  pendingJoinRequest: JoinRequest | null;
  /** Whether the viewer is the group's only admin (who may not leave: `viewerCan.leave` says so beforehand). */
  soleAdmin: boolean;
}

/** The standing of a viewer who has none in the group. */
export const NO_STANDING: ViewerStanding = Object.freeze({ membership: null, pendingJoinRequest: null, soleAdmin: false });

/**
 * The LEFT JOINs onto `g` of the member's membership (`vm`) and pending join request (`vr`). `memberId` is
 * the member's id, or a column holding one (a read of many members' standings in one group).
 */
export function standingJoinsSql(memberId: string | Prisma.Sql): Prisma.Sql {
  return Prisma.sql`LEFT JOIN "GroupMember" vm ON vm."groupId" = g."id" AND vm."memberId" = ${memberId}
    LEFT JOIN "JoinRequest" vr ON vr."groupId" = g."id" AND vr."memberId" = ${memberId} AND vr."status" = 'PENDING'`;
}

/** The columns of the joins above, by the names they are read back under (apart from the group's own). */
const COLUMNS = {
  vmId: 'vm."id"',
  vmRole: 'vm."role"',
  vmJoinedAt: 'vm."joinedAt"',
  vrId: 'vr."id"',
  vrStatus: 'vr."status"',
  vrPendingKey: 'vr."pendingKey"',
  vrRejectionReason: 'vr."rejectionReason"',
  vrCreatedAt: 'vr."createdAt"',
  vrDecidedAt: 'vr."decidedAt"',
  vrDecidedBy: 'vr."decidedBy"',
  // Only for an admin: is there no other admin? The (groupId, role) index answers it from a row or two.
  vmSoleAdmin: `CASE WHEN vm."role" = 'ADMIN' THEN NOT EXISTS (SELECT 1 FROM "GroupMember" oa WHERE oa."groupId" = g."id" AND oa."role" = 'ADMIN' AND oa."memberId" <> vm."memberId") END`,
} as const;

/** The select list of the standing (read back by standingOf). */
export const STANDING_COLUMNS = Prisma.raw(Object.entries(COLUMNS).map(([name, column]) => `${column} AS "${name}"`).join(', '));

/** The names of STANDING_COLUMNS, to take them off a row that also holds a group. */
export const STANDING_COLUMN_NAMES = Object.keys(COLUMNS) as (keyof typeof COLUMNS)[];

const toDateOrNull = (value: unknown): Date | null => (value === null || value === undefined ? null : toDate(value));

/** The standing of `memberId` in `groupId`, from a row holding STANDING_COLUMNS. */
export function standingOf(row: Record<string, unknown>, groupId: string, memberId: string): ViewerStanding {
  return {
    // SQLite answers a condition with 1 or 0, PostgreSQL with true or false.
    soleAdmin: row.vmSoleAdmin === true || row.vmSoleAdmin === 1 || row.vmSoleAdmin === 1n,
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
