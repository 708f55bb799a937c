/**
 * The policy of policy.ts as conditions on group rows, so hidden rows vanish from lists, counts, totals and
 * cursors inside the same SQL statement: as Prisma `where` fragments (for Prisma's queries), and as SQL
 * conditions over the alias `g` (for the hand-written list queries of src/db/group-list.ts). Each states,
 * for rows in the database, exactly what its predicate in policy.ts states for one group;
 * test/visibility.test.ts checks every one of them against its predicate on every combination of viewer,
 * privacy, role and settings.
 */
import { Prisma } from '../generated/prisma/client.ts';
import type { Viewer } from './viewer.ts';

type GroupWhere = Prisma.GroupWhereInput;

const NOTHING: GroupWhere = { id: { in: [] } };

function membership(viewer: Viewer, role?: 'ADMIN'): GroupWhere {
  if (viewer.memberId === null) return NOTHING;
  return { members: { some: { memberId: viewer.memberId, ...(role ? { role } : {}) } } };
}

/** Groups the viewer may know exist: the rows for which `canSeeGroup` holds. */
export function visibleGroupsWhere(viewer: Viewer): GroupWhere {
  if (viewer.isGroupsManager) return {};
  const listed: GroupWhere = { privacy: { in: ['PUBLIC', 'PRIVATE'] } };
  if (viewer.memberId === null) return listed;
  return { OR: [listed, membership(viewer)] };
}

/** Groups whose content the viewer may see: the rows for which `canSeeContent` holds. */
export function contentVisibleGroupsWhere(viewer: Viewer): GroupWhere {
  if (viewer.isGroupsManager) return {};
  const open: GroupWhere = { privacy: 'PUBLIC' };
  if (viewer.memberId === null) return open;
  return { OR: [open, membership(viewer)] };
}

/** Groups whose member list the viewer may read: the rows for which `canReadMembers` holds. */
export function membersReadableGroupsWhere(viewer: Viewer): GroupWhere {
  if (viewer.isGroupsManager) return {};
  const open: GroupWhere = { privacy: 'PUBLIC', showMemberList: true };
  if (viewer.memberId === null) return open;
  return {
    OR: [open, { showMemberList: true, ...membership(viewer) }, membership(viewer, 'ADMIN')],
  };
}

// The same three, as SQL conditions on the row `g` of "Group". A boolean column is a condition as it is
// (SQLite stores 0/1, PostgreSQL a boolean); the enum values are constants, never parameters (PostgreSQL
// would not compare its enum type with a text parameter).

const ALL = Prisma.sql`1 = 1`;
const NONE = Prisma.sql`1 = 0`;

function membershipSql(viewer: Viewer, role?: 'ADMIN'): Prisma.Sql {
  if (viewer.memberId === null) return NONE;
  const ofRole = role ? Prisma.sql` AND vm."role" = 'ADMIN'` : Prisma.empty;
  return Prisma.sql`EXISTS (SELECT 1 FROM "GroupMember" vm WHERE vm."groupId" = g."id" AND vm."memberId" = ${viewer.memberId}${ofRole})`;
}

/** `visibleGroupsWhere` as SQL: the rows of `g` for which `canSeeGroup` holds. */
export function visibleGroupsSql(viewer: Viewer): Prisma.Sql {
  if (viewer.isGroupsManager) return ALL;
  const listed = Prisma.sql`g."privacy" IN ('PUBLIC', 'PRIVATE')`;
  if (viewer.memberId === null) return listed;
  return Prisma.sql`(${listed} OR ${membershipSql(viewer)})`;
}

/** `contentVisibleGroupsWhere` as SQL: the rows of `g` for which `canSeeContent` holds. */
export function contentVisibleGroupsSql(viewer: Viewer): Prisma.Sql {
  if (viewer.isGroupsManager) return ALL;
  const open = Prisma.sql`g."privacy" = 'PUBLIC'`;
  if (viewer.memberId === null) return open;
  return Prisma.sql`(${open} OR ${membershipSql(viewer)})`;
}

/** `membersReadableGroupsWhere` as SQL: the rows of `g` for which `canReadMembers` holds. */
export function membersReadableGroupsSql(viewer: Viewer): Prisma.Sql {
  if (viewer.isGroupsManager) return ALL;
  const open = Prisma.sql`(g."privacy" = 'PUBLIC' AND g."showMemberList")`;
  if (viewer.memberId === null) return open;
  return Prisma.sql`(${open} OR (g."showMemberList" AND ${membershipSql(viewer)}) OR ${membershipSql(viewer, 'ADMIN')})`;
}
