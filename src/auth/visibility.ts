/**
 * The policy of policy.ts as Prisma `where` fragments, so hidden rows vanish from lists, counts, totals and
 * cursors inside the same SQL statement. Each fragment states, for rows in the database, exactly what its
 * predicate in policy.ts states for one group; test/visibility.test.ts checks the two agree on every
 * combination of viewer, privacy, role and settings.
 */
import type { Prisma } from '../generated/prisma/client.ts';
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
