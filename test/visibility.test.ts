/**
 * The `where` fragments and SQL conditions (visibility.ts) and the predicates (policy.ts) say the same thing: for every
 * combination of viewer, privacy, the viewer's role and the settings, a group row matches the fragment in
 * the database exactly when the predicate holds for it. This is what keeps "one policy" true for lists.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  canDecideJoinRequests,
  canListMemberships,
  canReadMembers,
  canReceiveEvent,
  canSeeCreateRequest,
  canSeeEventActor,
  canSeeGroup,
  canSeeJoinRequest,
  DELETED_GROUP,
  MEMBERSHIP_START_EVENTS,
  roleForEvent,
  type GroupFacts,
} from '../src/auth/policy.ts';
import { GroupEventType, Prisma, type GroupEvent as GroupEventRow } from '../src/generated/prisma/client.ts';
import {
  decidableGroupsSql,
  membersReadableGroupsSql,
  memberGroupsSql,
  receivableEventsSql,
  visibleCreateRequestsSql,
  visibleGroupsSql,
  visibleJoinRequestsSql,
} from '../src/auth/visibility.ts';
import { ANONYMOUS, type Viewer } from '../src/auth/viewer.ts';
import { startGateway, type TestGateway } from './helpers/gateway.ts';

let gw: TestGateway;
const rows: (GroupFacts & { id: string; role: 'MEMBER' | 'ADMIN' | null })[] = [];

beforeAll(async () => {
  gw = await startGateway();
  const db = gw.app.services.db;
  let n = 0;
  for (const privacy of ['PUBLIC', 'PRIVATE', 'SECRET'] as const) {
    for (const role of [null, 'MEMBER', 'ADMIN'] as const) {
      for (const showMemberList of [true, false]) {
        for (const membersCanApprove of [true, false]) {
          const facts = { privacy, showMemberList, membersCanApprove, membersCanInvite: false };
          const group = await db.group.create({
            data: { ...facts, name: `g${n}`, nameSearch: `g${n}`, slug: `g${n++}` },
          });
          await db.groupMember.create({ data: { groupId: group.id, memberId: 'someone-else', role: 'ADMIN' } });
          if (role) await db.groupMember.create({ data: { groupId: group.id, memberId: 'viewer', role } });
          rows.push({ ...facts, id: group.id, role });
        }
      }
    }
  }
});
afterAll(() => gw.close());

const viewers: [string, Viewer][] = [
  ['anonymous', ANONYMOUS],
  ['site member', { memberId: 'viewer', name: null, isGroupsManager: false, expiresAt: null }],
  ['groups manager', { memberId: 'viewer', name: null, isGroupsManager: true, expiresAt: null }],
];

describe.each(viewers)('as SQL, for the %s viewer', (_name, viewer) => {
  const pairs = [
    ['visibleGroupsSql = canSeeGroup', visibleGroupsSql, canSeeGroup],
    ['membersReadableGroupsSql = canReadMembers', membersReadableGroupsSql, canReadMembers],
    // Both shapes, each meant for one database's planner, on this database: the same rows either way.
    ['decidableGroupsSql (SQLite shape) = canDecideJoinRequests', (v: Viewer) => decidableGroupsSql(v, 'sqlite'), canDecideJoinRequests],
    ['decidableGroupsSql (PostgreSQL shape) = canDecideJoinRequests', (v: Viewer) => decidableGroupsSql(v, 'postgresql'), canDecideJoinRequests],
  ] as const;
  it.each(pairs)('%s', async (_label, condition, predicate) => {
    const matched = await gw.app.services.db.$queryRaw<{ id: string }[]>`SELECT g."id" FROM "Group" g WHERE ${condition(viewer)}`;
    const expected = rows.filter((r) => predicate(viewer, r, viewer.memberId ? r.role : null)).map((r) => r.id);
    expect(matched.map((g) => g.id).sort()).toEqual(expected.sort());
    // Every condition holds somewhere, but deciding requests, which an anonymous viewer never may.
    if (predicate !== canDecideJoinRequests || viewer.memberId !== null) expect(expected.length).toBeGreaterThan(0);
    else expect(expected).toEqual([]);
  });
});

describe.each(viewers)('memberGroupsSql, for the %s viewer', (_name, viewer) => {
  it.each(['viewer', 'someone-else'])('of %s: all their groups when the viewer may list their memberships, else those whose member list the viewer may read', async (memberId) => {
    const matched = await gw.app.services.db.$queryRaw<{ id: string }[]>`SELECT g."id" FROM "Group" g WHERE ${memberGroupsSql(viewer, memberId)}`;
    const expected = rows.filter((r) => canListMemberships(viewer, memberId) || canReadMembers(viewer, r, viewer.memberId ? r.role : null)).map((r) => r.id);
    expect(matched.map((g) => g.id).sort()).toEqual(expected.sort());
    expect(expected.length).toBeGreaterThan(0);
  });
});

/**
 * Requests by id (`node(id:)`): in every group above, a join request of the viewer's own and one of someone
 * else's; and create requests of both. The viewer's own request in a group they are a member of is one decided
 * earlier (they joined): the condition must hold for it as for any other.
 */
describe('the requests a viewer may read, as SQL', () => {
  const joinRequests: { id: string; memberId: string; group: (typeof rows)[number] }[] = [];
  const createRequests: { id: string; requestedBy: string }[] = [];
  beforeAll(async () => {
    const db = gw.app.services.db;
    for (const group of rows) {
      for (const memberId of ['viewer', 'someone-else']) {
        const request = await db.joinRequest.create({ data: { groupId: group.id, memberId, status: 'REJECTED', pendingKey: null } });
        joinRequests.push({ id: request.id, memberId, group });
      }
    }
    for (const requestedBy of ['viewer', 'someone-else']) {
      const request = await db.createRequest.create({ data: { requestedBy, name: `wish of ${requestedBy}`, status: 'PENDING', pendingKey: null } });
      createRequests.push({ id: request.id, requestedBy });
    }
  });

  it.each(viewers)('visibleJoinRequestsSql = canSeeJoinRequest, for the %s viewer, on both shapes of the decidable condition', async (_name, viewer) => {
    const expected = joinRequests
      .filter((r) => canSeeJoinRequest(viewer, r, r.group, viewer.memberId ? r.group.role : null))
      .map((r) => r.id)
      .sort();
    for (const database of ['sqlite', 'postgresql'] as const) {
      const matched = await gw.app.services.db.$queryRaw<{ id: string }[]>`
        SELECT r."id" FROM "JoinRequest" r JOIN "Group" g ON g."id" = r."groupId" WHERE ${visibleJoinRequestsSql(viewer, database)}`;
      expect(matched.map((r) => r.id).sort()).toEqual(expected);
    }
    if (viewer.memberId === null) expect(expected).toEqual([]);
    else {
      // A member reads their own where they may see the group and others' where they may decide: never all of them.
      expect(expected.length).toBeGreaterThan(0);
      if (!viewer.isGroupsManager) expect(expected.length).toBeLessThan(joinRequests.length);
    }
  });

  it.each(viewers)('visibleCreateRequestsSql = canSeeCreateRequest, for the %s viewer', async (_name, viewer) => {
    const matched = await gw.app.services.db.$queryRaw<{ id: string }[]>`
      SELECT r."id" FROM "CreateRequest" r WHERE ${visibleCreateRequestsSql(viewer)}`;
    const expected = createRequests.filter((r) => canSeeCreateRequest(viewer, r)).map((r) => r.id);
    expect(matched.map((r) => r.id).sort()).toEqual(expected.sort());
    expect(expected.length).toBe(viewer.isGroupsManager ? 2 : viewer.memberId ? 1 : 0);
  });
});

/**
 * Events: `receivableEventsSql` (what a replay reads) against `canReceiveEvent`, and against what the live
 * filter (`Audience.allows`) decides, on every combination of the group's facts now, the viewer's role, the
 * event's type, the privacy it happened under, whom it is about and who acted (`canSeeEventActor`); and on
 * deleted groups, with the viewer's role when they were deleted (from their membership events) as the log
 * tells it.
 */
describe('receivableEventsSql = canReceiveEvent', () => {
  let events: GroupEventRow[] = [];
  const known = new Map<number, { group: GroupFacts; role: 'MEMBER' | 'ADMIN' | null; since: Date | null }>();
  let db: TestGateway['app']['services']['db'];
  let eventsGw: TestGateway;

  beforeAll(async () => {
    eventsGw = await startGateway();
    db = eventsGw.app.services.db;
    const types = Object.values(GroupEventType);
    const privacies = ['PUBLIC', 'PRIVATE', 'SECRET'] as const;
    let n = 0;
    const makeGroup = async (facts: GroupFacts) => {
      const name = `e${n++}`;
      return db.group.create({ data: { ...facts, name, nameSearch: name, slug: name } });
    };
    /**
     * One event of every type, under every privacy, about someone else, the viewer, and no one, made by no one;
     * and one of each kind (the content, the member list, the requests) made by no one, an admin, the viewer
     * and the member it is about (who acted: canSeeEventActor).
     */
    const actorTypes = ['GROUP_UPDATED', 'MEMBER_ADDED', 'JOIN_REQUEST_APPROVED'] as const;
    // Each under every privacy, with the member list shown and hidden when it happened.
    const thens = privacies.flatMap((groupPrivacy) => [true, false].map((memberListShown) => ({ groupPrivacy, memberListShown })));
    const everyEvent = (groupId: string, about: (string | null)[]) => [
      ...types.flatMap((type) =>
        thens.flatMap((then) =>
          about.map((memberId) => ({ type, groupId, ...then, memberId, role: type === 'ROLE_ASSIGNED' ? ('ADMIN' as const) : null })),
        ),
      ),
      ...actorTypes.flatMap((type) =>
        thens.flatMap((then) =>
          about.flatMap((memberId) =>
            ['an-admin', 'viewer', memberId]
              .filter((actorId, i, all) => actorId !== null && all.indexOf(actorId) === i)
              .map((actorId) => ({ type, groupId, ...then, memberId, actorId, role: null })),
          ),
        ),
      ),
    ];
    const groups: { id: string; facts: GroupFacts; role: 'MEMBER' | 'ADMIN' | null; since: Date | null }[] = [];
    // The viewer's membership began before the events, or (`late`) after them: then the events of the
    // group's secret days are judged as if they were not a member (roleForEvent).
    const later = new Date(Date.now() + 60_000);
    for (const privacy of privacies) {
      for (const role of [null, 'MEMBER', 'ADMIN'] as const) {
        for (const late of role ? [false, true] : [false]) {
          for (const showMemberList of [true, false]) {
            for (const membersCanApprove of [true, false]) {
              const facts = { privacy, showMemberList, membersCanApprove, membersCanInvite: false };
              const group = await makeGroup(facts);
              const joinedAt = late ? later : new Date(Date.now() - 60_000);
              if (role) await db.groupMember.create({ data: { groupId: group.id, memberId: 'viewer', role, joinedAt } });
              await db.groupEvent.createMany({ data: everyEvent(group.id, ['someone-else', 'viewer', null]) });
              groups.push({ id: group.id, facts, role, since: role ? joinedAt : null });
            }
          }
        }
      }
    }
    // Deleted groups: the viewer's membership history there, and the role it left them with.
    const histories: [string, { type: GroupEventRow['type']; role?: 'ADMIN' | 'MEMBER'; late?: true }[], 'MEMBER' | 'ADMIN' | null][] = [
      ['never a member', [], null],
      ['joined', [{ type: 'MEMBER_JOINED' }], 'MEMBER'],
      ['created it', [{ type: 'GROUP_CREATED', role: 'ADMIN' }], 'ADMIN'],
      ['joined, then left', [{ type: 'MEMBER_JOINED' }, { type: 'MEMBER_LEFT' }], null],
      ['added, then removed', [{ type: 'MEMBER_ADDED' }, { type: 'MEMBER_REMOVED' }], null],
      ['made admin, then not', [{ type: 'JOIN_REQUEST_APPROVED' }, { type: 'ROLE_ASSIGNED', role: 'ADMIN' }, { type: 'ROLE_UNASSIGNED', role: 'ADMIN' }], 'MEMBER'],
      ['made admin', [{ type: 'MEMBER_ADDED' }, { type: 'ROLE_ASSIGNED', role: 'ADMIN' }], 'ADMIN'],
      ['left, then joined again', [{ type: 'MEMBER_JOINED' }, { type: 'MEMBER_LEFT' }, { type: 'MEMBER_ADDED', late: true }], 'MEMBER'],
      ['added after the events, made admin', [{ type: 'MEMBER_ADDED', late: true }, { type: 'ROLE_ASSIGNED', role: 'ADMIN', late: true }], 'ADMIN'],
    ];
    // Its settings when it was deleted (DeletedGroup), or none kept (a group deleted before they were).
    const kept = [
      { showMemberList: true, membersCanApprove: true, membersCanInvite: false },
      { showMemberList: false, membersCanApprove: false, membersCanInvite: true },
      null,
    ];
    for (const privacy of privacies) {
      for (const [, history, role] of histories) {
        for (const settings of kept) {
          const group = await makeGroup({ privacy, showMemberList: true, membersCanApprove: true, membersCanInvite: true });
          // Steps marked late happen after the group's other events (in the log's order too).
          const step = (s: (typeof history)[number]) =>
            db.groupEvent.create({ data: { type: s.type, groupId: group.id, groupPrivacy: privacy, memberId: 'viewer', role: s.role ?? null, occurredAt: s.late ? later : new Date(Date.now() - 60_000) } });
          for (const s of history.filter((s) => !s.late)) await step(s);
          await db.groupEvent.createMany({ data: everyEvent(group.id, ['someone-else', null]) });
          for (const s of history.filter((s) => s.late)) await step(s);
          await db.group.delete({ where: { id: group.id } });
          if (settings) await db.deletedGroup.create({ data: { id: group.id, ...settings } });
          // Since: the latest event that began the membership (MEMBERSHIP_START_EVENTS).
          const starts = history.filter((s) => MEMBERSHIP_START_EVENTS.includes(s.type));
          const since = role && starts.length ? (starts.at(-1)!.late ? later : new Date(0)) : null;
          groups.push({ id: group.id, facts: settings ? { privacy: 'SECRET', ...settings } : DELETED_GROUP, role, since });
        }
      }
    }
    events = await db.groupEvent.findMany({ orderBy: { id: 'asc' } });
    const byId = new Map(groups.map((g) => [g.id, g]));
    for (const event of events) {
      const group = byId.get(event.groupId)!;
      known.set(event.id, { group: group.facts, role: group.role, since: group.since });
    }
  }, 120_000);
  afterAll(() => eventsGw.close());

  it.each(viewers)('for the %s viewer', async (_name, viewer) => {
    const rows = await db.read<GroupEventRow>(receivableEventsSql(viewer, Prisma.sql`1 = 1`, events.length + 1));
    const fromSql = rows.map((row) => row.id);
    const expected = events
      .filter((event) => {
        const { group, role, since } = known.get(event.id)!;
        return canReceiveEvent(viewer, event, group, viewer.memberId ? roleForEvent(role, since, event) : null);
      })
      .map((event) => event.id);
    expect(fromSql).toEqual(expected); // in log order
    const audience = eventsGw.app.services.audience;
    const live = await Promise.all(events.map((event) => audience.allows(viewer, event)));
    expect(events.filter((_, i) => live[i]).map((event) => event.id)).toEqual(expected);
    expect(expected.length).toBeGreaterThan(0);
    if (!viewer.isGroupsManager) expect(expected.length).toBeLessThan(events.length);

    // Who acted: named by the statement exactly where canSeeEventActor holds, and where the live path (the
    // resolver's lookups, Audience.standing) names them.
    const byId = new Map(events.map((event) => [event.id, event]));
    const actorOf = (event: GroupEventRow, group: GroupFacts, role: 'MEMBER' | 'ADMIN' | null) =>
      canSeeEventActor(viewer, event, group, role) ? event.actorId : null;
    const expectedActors = rows.map((row) => {
      const { group, role, since } = known.get(row.id)!;
      const event = byId.get(row.id)!;
      return actorOf(event, group, viewer.memberId ? roleForEvent(role, since, event) : null);
    });
    expect(rows.map((row) => row.actorId)).toEqual(expectedActors);
    const standings = await Promise.all(rows.map((row) => audience.standing(viewer, byId.get(row.id)!)));
    expect(rows.map((row, i) => actorOf(byId.get(row.id)!, standings[i]!.facts, standings[i]!.role))).toEqual(expectedActors);
    const hidden = expectedActors.filter((actor, i) => actor === null && byId.get(rows[i]!.id)!.actorId !== null).length;
    if (viewer.isGroupsManager) expect(hidden).toBe(0);
    else expect(hidden).toBeGreaterThan(0);

    // The rows are whole events, typed as the log's (their actor as decided above).
    const first = rows[0]!;
    expect(first).toEqual({ ...byId.get(first.id), actorId: expectedActors[0] });
  }, 120_000);
});
