/**
 * The policy of policy.ts as SQL conditions on group rows (the alias `g`), so hidden rows vanish from lists,
 * counts, totals and cursors inside the same statement that reads them (src/db/*-list.ts); and as one
 * statement over the event log (replays of live events, with who acted on each). Each states, for rows in
 * the database, exactly what its predicate in policy.ts states for one group or event; test/visibility.test.ts
 * checks every one of them against its predicate on every combination of viewer, privacy, role and settings
 * (and, for events, of event type, privacy then, the actor and a deleted group).
 */
import { Prisma } from '../generated/prisma/client.ts';
import type { Viewer } from './viewer.ts';
import type { DatabaseKind } from '../db/adapter.ts';
import { canListMemberships, DELETED_GROUP, DELETED_PRIVACY, EVENT_ROLE, JOIN_REQUEST_EVENT_TYPES, MANAGER_DECISION_EVENT_TYPES, MEMBER_LIST_EVENT_TYPES, MEMBERSHIP_START_EVENTS, ROLE_AFTER } from './policy.ts';

// Conditions on the row `g` of "Group". A boolean column is a condition as it is (SQLite stores 0/1,
// PostgreSQL a boolean); the enum values are constants, never parameters (PostgreSQL would not compare its
// enum type with a text parameter).

const ALL = Prisma.sql`1 = 1`;
const NONE = Prisma.sql`1 = 0`;

function membershipSql(viewer: Viewer, role?: 'ADMIN'): Prisma.Sql {
  if (viewer.memberId === null) return NONE;
  const ofRole = role ? Prisma.sql` AND vm."role" = 'ADMIN'` : Prisma.empty;
  return Prisma.sql`EXISTS (SELECT 1 FROM "GroupMember" vm WHERE vm."groupId" = g."id" AND vm."memberId" = ${viewer.memberId}${ofRole})`;
}

/** Groups the viewer may know exist: the rows of `g` for which `canSeeGroup` holds. */
export function visibleGroupsSql(viewer: Viewer): Prisma.Sql {
  if (viewer.isGroupsManager) return ALL;
  const listed = Prisma.sql`g."privacy" IN ('PUBLIC', 'PRIVATE')`;
  if (viewer.memberId === null) return listed;
  return Prisma.sql`(${listed} OR ${membershipSql(viewer)})`;
}

/** Groups whose member list the viewer may read: the rows of `g` for which `canReadMembers` holds. */
export function membersReadableGroupsSql(viewer: Viewer): Prisma.Sql {
  if (viewer.isGroupsManager) return ALL;
  const open = Prisma.sql`(g."privacy" = 'PUBLIC' AND g."showMemberList")`;
  if (viewer.memberId === null) return open;
  return Prisma.sql`(${open} OR (g."showMemberList" AND ${membershipSql(viewer)}) OR ${membershipSql(viewer, 'ADMIN')})`;
}

/**
 * The groups of `memberId` (`groups(filter: { memberId })`) the viewer may be told they belong to: every one
 * when the viewer may list that member's memberships (canListMemberships: the member themselves, a Groups
 * Manager), as `memberships(memberId:)` does; else those whose member list the viewer may read. A member's
 * own group with a hidden member list was missing from their own "my groups" page.
 */
export function memberGroupsSql(viewer: Viewer, memberId: string): Prisma.Sql {
  return canListMemberships(viewer, memberId) ? ALL : membersReadableGroupsSql(viewer);
}

/**
 * The rows of `g` whose join requests the viewer may decide (and read): those for which `canDecideJoinRequests`
 * holds. The same condition in two shapes, one per database's planner, for the queue of requests to decide
 * (join-request-list.ts), whose pending rows far outnumber the groups a member decides in. SQLite runs the
 * correlated EXISTS once per pending request in date order (60-100 ms for a member who decides nothing, on
 * the bench's 20,000 pending requests); as a list of the viewer's groups read first, it reads only their
 * requests (about 1 ms). PostgreSQL plans it the other way round: the list makes it slower (a member of
 * 300 groups: 10 ms as EXISTS, 20 ms as a list). test/visibility.test.ts checks each on its own database.
 */
export function decidableGroupsSql(viewer: Viewer, database: DatabaseKind): Prisma.Sql {
  if (viewer.isGroupsManager) return ALL;
  if (viewer.memberId === null) return NONE;
  if (database === 'sqlite') {
    return Prisma.sql`g."id" IN (SELECT vm."groupId" FROM "GroupMember" vm JOIN "Group" dg ON dg."id" = vm."groupId" WHERE vm."memberId" = ${viewer.memberId} AND (vm."role" = 'ADMIN' OR dg."membersCanApprove"))`;
  }
  return Prisma.sql`EXISTS (SELECT 1 FROM "GroupMember" vm WHERE vm."groupId" = g."id" AND vm."memberId" = ${viewer.memberId} AND (vm."role" = 'ADMIN' OR g."membersCanApprove"))`;
}

/**
 * Join requests `r`, joined to their group `g`, that the viewer may read: the rows for which
 * `canSeeJoinRequest` holds (their own, in a group they may see; every one where they may decide).
 */
export function visibleJoinRequestsSql(viewer: Viewer, database: DatabaseKind): Prisma.Sql {
  if (viewer.memberId === null && !viewer.isGroupsManager) return NONE;
  const own = viewer.memberId === null ? NONE : Prisma.sql`(r."memberId" = ${viewer.memberId} AND ${visibleGroupsSql(viewer)})`;
  return Prisma.sql`(${own} OR ${decidableGroupsSql(viewer, database)})`;
}

/** Create requests `r` the viewer may read: the rows for which `canSeeCreateRequest` holds. */
export function visibleCreateRequestsSql(viewer: Viewer): Prisma.Sql {
  if (viewer.isGroupsManager) return ALL;
  if (viewer.memberId === null) return NONE;
  return Prisma.sql`r."requestedBy" = ${viewer.memberId}`;
}

// Which events of the log a viewer may receive (canReceiveEvent), as one statement: replays are filtered by
// the database, so the events a viewer may not receive cost a few microseconds each to skip, not a lookup
// each, and how long a replay takes tells next to nothing about what happened out of the viewer's sight.

/** Constant SQL: a list of enum values, a boolean (never parameters, as above). */
const valuesSql = (values: readonly string[]) => Prisma.raw(values.map((value) => `'${value}'`).join(', '));
const booleanSql = (value: boolean) => Prisma.raw(value ? 'TRUE' : 'FALSE');

/** `roleAfter` as SQL: the role (as text; NULL: no longer a member) the membership event `fe` leaves its member with. */
function roleAfterSql(): Prisma.Sql {
  const cases = Object.entries(ROLE_AFTER).map(([type, after]) => {
    const role = after === EVENT_ROLE ? `CAST(fe."role" AS TEXT)` : after === null ? 'NULL' : `'${after}'`;
    return `WHEN '${type}' THEN ${role}`;
  });
  return Prisma.raw(`CASE fe."type" ${cases.join(' ')} END`);
}

/**
 * The viewer's former roles, a table `fr` for the events of deleted groups: for each group, the role (as
 * text; NULL: no longer a member) their latest membership event there left them with, as `allows` in
 * live/audience.ts reads it (no membership event can follow a deletion). It is read from the viewer's own
 * events (the index on memberId, groupId, id), once per statement: a lookup per event of a deleted group cost
 * each of them a walk through that group's log.
 */
function formerRolesSql(memberId: string): Prisma.Sql {
  const types = valuesSql(Object.keys(ROLE_AFTER));
  // MATERIALIZED: read once for the statement. Merged into the outer query instead, SQLite's planner
  // sometimes scanned the whole log for each event.
  const starts = valuesSql(MEMBERSHIP_START_EVENTS);
  return Prisma.sql`WITH fr AS MATERIALIZED (
      SELECT fe."groupId", ${roleAfterSql()} AS "role",
        (SELECT MAX(st."occurredAt") FROM "GroupEvent" st WHERE st."memberId" = fe."memberId"
          AND st."groupId" = fe."groupId" AND st."type" IN (${starts})) AS "since"
      FROM "GroupEvent" fe
      WHERE fe."memberId" = ${memberId} AND fe."type" IN (${types})
        AND NOT EXISTS (SELECT 1 FROM "GroupEvent" later WHERE later."memberId" = fe."memberId"
          AND later."groupId" = fe."groupId" AND later."type" IN (${types}) AND later."id" > fe."id"))`;
}

/**
 * The viewer's role (as text; NULL: not a member) in the group of the event `e`, as roleForEvent judges it:
 * their membership `vm` while the group `g` exists; once it is deleted, their role then (`fr`,
 * formerRolesSql); none for an event of the group's private or secret days that happened before that
 * membership began.
 */
const EVENT_VIEWER_ROLE = Prisma.sql`(CASE
  WHEN e."groupPrivacy" <> 'PUBLIC' AND (CASE WHEN g."id" IS NULL
    THEN (SELECT fr."since" FROM fr WHERE fr."groupId" = e."groupId") ELSE vm."joinedAt" END) > e."occurredAt" THEN NULL
  WHEN g."id" IS NULL THEN (SELECT fr."role" FROM fr WHERE fr."groupId" = e."groupId")
  ELSE CAST(vm."role" AS TEXT) END)`;

/**
 * `canReceiveEvent` as a statement: the log's events `e` matching `where` (a condition on `e`) that the viewer
 * may receive, in log order, at most `limit`, as GroupEvent rows, with `actorId` already decided by
 * `canSeeEventActor` (NULL where the viewer may not see who acted). The event's group `g` is left-joined: a
 * deleted group's row is gone, and its facts are its settings when it was deleted (`dg`, DeletedGroup) with
 * privacy DELETED_PRIVACY, or DELETED_GROUP's when those were not kept (deletedGroupFacts).
 */
export function receivableEventsSql(viewer: Viewer, where: Prisma.Sql, limit: number): Prisma.Sql {
  // The viewer's membership `vm` is joined (not a subquery per event: PostgreSQL ran that one by one); their
  // former roles `fr` are read once, and looked up only for the events of deleted groups.
  const roleMatters = viewer.memberId !== null && !viewer.isGroupsManager;
  const membership = roleMatters
    ? Prisma.sql` LEFT JOIN "GroupMember" vm ON vm."groupId" = e."groupId" AND vm."memberId" = ${viewer.memberId}`
    : Prisma.empty;
  const formerRoles = roleMatters ? formerRolesSql(viewer.memberId!) : Prisma.empty;
  const select = (condition: Prisma.Sql, actorNamed: Prisma.Sql) => Prisma.sql`${formerRoles}
    SELECT e."id", e."type", e."groupId", e."groupPrivacy", e."memberListShown", e."memberId", e."role",
      CASE WHEN ${actorNamed} THEN e."actorId" ELSE NULL END AS "actorId", e."occurredAt"
    FROM "GroupEvent" e LEFT JOIN "Group" g ON g."id" = e."groupId"
    LEFT JOIN "DeletedGroup" dg ON g."id" IS NULL AND dg."id" = e."groupId"${membership}
    WHERE (${where}) AND ${condition}
    ORDER BY e."id" LIMIT ${limit}`;
  if (viewer.isGroupsManager) return select(ALL, ALL);
  const role = viewer.memberId === null ? null : EVENT_VIEWER_ROLE;
  const isAdmin = role ? Prisma.sql`${role} = 'ADMIN'` : NONE;
  const isMember = role ? Prisma.sql`${role} IS NOT NULL` : NONE;
  const own = viewer.memberId === null ? NONE : Prisma.sql`e."memberId" = ${viewer.memberId}`;
  // The group's facts now (deletedGroupFacts once it is gone), its privacy the more closed of then and now.
  const privacy = Prisma.raw(`COALESCE(g."privacy", '${DELETED_PRIVACY}')`);
  // Shown then (the event's) and now (judgedFacts in policy.ts).
  const showMemberList = Prisma.sql`(e."memberListShown" AND COALESCE(g."showMemberList", dg."showMemberList", ${booleanSql(DELETED_GROUP.showMemberList)}))`;
  const membersCanApprove = Prisma.sql`COALESCE(g."membersCanApprove", dg."membersCanApprove", ${booleanSql(DELETED_GROUP.membersCanApprove)})`;
  const content = Prisma.sql`((${privacy} = 'PUBLIC' AND e."groupPrivacy" = 'PUBLIC') OR ${isMember})`;
  const readsMembers = Prisma.sql`(${isAdmin} OR (${showMemberList} AND ${content}))`; // canReadMembers
  // actorAlwaysNamed: no actor, the member's own act, the viewer's own act.
  const ownAct = viewer.memberId === null ? Prisma.empty : Prisma.sql` OR e."actorId" = ${viewer.memberId}`;
  // A Groups Manager's decision (MANAGER_DECISION_EVENT_TYPES) is not part of the member list.
  const managerDecision = Prisma.sql`e."type" IN (${valuesSql(MANAGER_DECISION_EVENT_TYPES)})`;
  const actorNamed = Prisma.sql`(e."actorId" IS NULL OR e."actorId" = e."memberId"${ownAct} OR (NOT ${managerDecision} AND ${readsMembers}))`;
  const requests = valuesSql(JOIN_REQUEST_EVENT_TYPES);
  const memberList = valuesSql(MEMBER_LIST_EVENT_TYPES);
  return select(
    Prisma.sql`(${own}
    OR (e."type" IN (${requests}) AND (${isAdmin} OR (${isMember} AND ${membersCanApprove})))
    OR (e."type" IN (${memberList}) AND ${readsMembers})
    OR (e."type" NOT IN (${requests}, ${memberList}) AND ${content}))`,
    actorNamed,
  );
}
