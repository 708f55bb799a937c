/**
 * The durable event log, read straight from the database: each successful membership change appends
 * exactly its events (type, group, member, role, actor) and moves the group's recentActivityAt; a failed
 * mutation appends nothing and changes nothing; event ids strictly increase.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, ok, startGateway, type TestGateway, type ViewerSpec } from './helpers/gateway.ts';
import { admin, anonymous, createGroup, manager, member, outsider } from './helpers/world.ts';
import { groupWith, OPS, snapshot, who } from './helpers/membership.ts';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway();
});
afterAll(() => gw.close());

type Row = [type: string, memberId: string | null, role: string | null, actorId: string];
type Op = keyof typeof OPS;

const log = () => gw.app.services.db.groupEvent.findMany({ orderBy: { id: 'asc' } });
const activityOf = async (groupId: string) =>
  (await gw.app.services.db.group.findUniqueOrThrow({ where: { id: groupId } })).recentActivityAt.getTime();
const pause = () => new Promise((resolve) => setTimeout(resolve, 5)); // so a new timestamp differs from the last

/** Runs `act` and returns the events it appended, each as [type, memberId, role, actorId] of `groupId`. */
async function appendedBy(groupId: string, act: () => Promise<unknown>): Promise<Row[]> {
  const before = await log();
  const lastId = before.length ? before[before.length - 1].id : 0;
  await act();
  const added = (await log()).filter((e) => e.id > lastId);
  for (const e of added) expect(e.groupId).toBe(groupId);
  return added.map((e) => [e.type, e.memberId, e.role, e.actorId!]);
}

describe('successful changes', () => {
  it('createGroup for another member records GROUP_CREATED with that member as ADMIN, by the manager', async () => {
    const lastId = (await log()).at(-1)?.id ?? 0;
    const g = await createGroup(gw, { name: 'log club' }, 'founder');
    const rows = (await log()).filter((e) => e.id > lastId);
    expect(rows.map((e) => [e.type, e.groupId, e.memberId, e.role, e.actorId])).toEqual([['GROUP_CREATED', g.id, 'founder', 'ADMIN', 'manager']]);
  });

  type Step = { viewer: ViewerSpec; op: Op; vars?: Record<string, unknown>; events: Row[] };
  const STEPS: [string, Step][] = [
    ['adding two members (and an existing one)', { viewer: admin, op: 'add', vars: { m: ['ann', 'bob', 'admin'] },
      events: [['MEMBER_ADDED', 'ann', 'MEMBER', 'admin'], ['MEMBER_ADDED', 'bob', 'MEMBER', 'admin']] }],
    ['joining a PUBLIC group', { viewer: who('cid'), op: 'join', events: [['MEMBER_JOINED', 'cid', 'MEMBER', 'cid']] }],
    ['making bob an admin', { viewer: admin, op: 'assign', vars: { m: ['bob', 'admin'], r: 'ADMIN' },
      events: [['ROLE_ASSIGNED', 'bob', 'ADMIN', 'admin']] }],
    ['taking the role back', { viewer: manager, op: 'unassign', vars: { m: ['bob'], r: 'ADMIN' },
      events: [['ROLE_UNASSIGNED', 'bob', 'ADMIN', 'manager']] }],
    ['leaving', { viewer: who('cid'), op: 'leave', events: [['MEMBER_LEFT', 'cid', 'MEMBER', 'cid']] }],
    ['removing a member', { viewer: admin, op: 'remove', vars: { m: ['ann'] }, events: [['MEMBER_REMOVED', 'ann', 'MEMBER', 'admin']] }],
    ['making the group PRIVATE', { viewer: admin, op: 'privacy', vars: { p: 'PRIVATE' }, events: [['GROUP_UPDATED', null, null, 'admin']] }],
    ['asking to join', { viewer: who('dan'), op: 'join', events: [['JOIN_REQUEST_CREATED', 'dan', null, 'dan']] }],
    ['cancelling the request', { viewer: who('dan'), op: 'cancel', events: [['JOIN_REQUEST_CANCELED', 'dan', null, 'dan']] }],
    ['eve asks', { viewer: who('eve'), op: 'join', events: [['JOIN_REQUEST_CREATED', 'eve', null, 'eve']] }],
    ['fay asks', { viewer: who('fay'), op: 'join', events: [['JOIN_REQUEST_CREATED', 'fay', null, 'fay']] }],
    ['gus asks', { viewer: who('gus'), op: 'join', events: [['JOIN_REQUEST_CREATED', 'gus', null, 'gus']] }],
    ['approving a request', { viewer: admin, op: 'approve', vars: { m: ['eve'] }, events: [['JOIN_REQUEST_APPROVED', 'eve', 'MEMBER', 'admin'], ['MEMBER_JOINED', 'eve', 'MEMBER', 'admin']] }],
    ['rejecting a request', { viewer: manager, op: 'reject', vars: { r: [{ memberId: 'fay', reason: 'Full.' }] },
      events: [['JOIN_REQUEST_REJECTED', 'fay', null, 'manager']] }],
    ['adding a member who asked (approves the request)', { viewer: admin, op: 'add', vars: { m: ['gus'] },
      events: [['JOIN_REQUEST_APPROVED', 'gus', 'MEMBER', 'admin'], ['MEMBER_ADDED', 'gus', 'MEMBER', 'admin']] }],
    ['hal asks', { viewer: who('hal'), op: 'join', events: [['JOIN_REQUEST_CREATED', 'hal', null, 'hal']] }],
    ['making the group PUBLIC (approves the pending request)', { viewer: admin, op: 'privacy', vars: { p: 'PUBLIC' },
      events: [['GROUP_UPDATED', null, null, 'admin'], ['JOIN_REQUEST_APPROVED', 'hal', 'MEMBER', 'admin'], ['MEMBER_JOINED', 'hal', 'MEMBER', 'admin']] }],
    ['removing everyone else', { viewer: admin, op: 'remove', vars: { m: ['bob', 'eve', 'gus', 'hal'] },
      events: [['MEMBER_REMOVED', 'bob', 'MEMBER', 'admin'], ['MEMBER_REMOVED', 'eve', 'MEMBER', 'admin'], ['MEMBER_REMOVED', 'gus', 'MEMBER', 'admin'],
        ['MEMBER_REMOVED', 'hal', 'MEMBER', 'admin']] }],
  ];

  let groupId = '';
  beforeAll(async () => {
    groupId = (await createGroup(gw, { name: 'story club' })).id;
  });

  it.each(STEPS)('%s appends exactly its events and moves recentActivityAt', async (_name, step) => {
    const before = await activityOf(groupId);
    await pause();
    const rows = await appendedBy(groupId, async () => ok(await gw.as(step.viewer)(OPS[step.op], { g: groupId, ...step.vars })));
    expect(rows).toEqual(step.events);
    expect(await activityOf(groupId)).toBeGreaterThan(before);
    // recentActivityAt is written in SQL (transaction.ts): stored exactly as Prisma stored the event's time
    // (text on SQLite), so sorting groups by recent activity compares like with like.
    const [row] = await gw.app.services.db.$queryRaw<{ same: unknown }[]>`
      SELECT CASE WHEN g."recentActivityAt" = e."occurredAt" THEN 1 ELSE 0 END AS "same"
      FROM "Group" g JOIN "GroupEvent" e ON e."groupId" = g."id" WHERE g."id" = ${groupId} ORDER BY e."id" DESC LIMIT 1`;
    expect(Number(row.same)).toBe(1);
  });

  it('leaves the group with its admin alone and its history complete, with strictly increasing ids', async () => {
    expect(await snapshot(gw, groupId)).toMatchObject({ membersCount: 1, members: [{ memberId: 'admin', role: 'ADMIN' }] });
    const events = (await log()).filter((e) => e.groupId === groupId);
    expect(events.map((e) => e.type)).toEqual(['GROUP_CREATED', ...STEPS.flatMap(([, s]) => s.events.map((r) => r[0]))]);
    const ids = (await log()).map((e) => e.id);
    ids.slice(1).forEach((id, i) => expect(id).toBeGreaterThan(ids[i]));
  });
});

describe('calls that change nothing', () => {
  it('a success without a change (existing member, role already held) appends nothing', async () => {
    const g = await groupWith(gw, { members: ['member'] });
    const before = await activityOf(g.id);
    for (const [op, vars] of [['add', { m: ['member', 'admin'] }], ['assign', { m: ['admin'], r: 'ADMIN' }], ['unassign', { m: ['member'], r: 'ADMIN' }]] as const) {
      expect(await appendedBy(g.id, async () => ok(await gw.as(admin)(OPS[op], { g: g.id, ...vars })))).toEqual([]);
    }
    expect(await activityOf(g.id)).toBe(before);
  });

  it('an update that changes nothing (same fields, settings, rules or questions) appends nothing and keeps ids', async () => {
    const g = await groupWith(gw, { privacy: 'PRIVATE', settings: { membersCanInvite: true } });
    const as = gw.as(admin);
    const rules = [{ title: 'Be kind', description: 'Always.' }];
    const questions = [{ text: 'Why?', required: true }, { text: 'Where from?', required: false }];
    const SET_RULES = `mutation($g: ID!, $r: [GroupRuleInput!]!) { setGroupRules(groupId: $g, rules: $r) { rules { id } } }`;
    const first = {
      rules: ok(await as(SET_RULES, { g: g.id, r: rules })).setGroupRules.rules,
      questions: ok(await as(OPS.questions, { g: g.id, q: questions })).setMembershipQuestions.questions,
    };
    const { name } = await gw.app.services.db.group.findUniqueOrThrow({ where: { id: g.id } });
    const before = await activityOf(g.id);
    await pause();
    const UPDATE = `mutation($g: ID!, $i: UpdateGroupInput!) { updateGroup(id: $g, input: $i) { id updatedAt } }`;
    const again = await appendedBy(g.id, async () => {
      for (const input of [{}, { name, privacy: 'PRIVATE', description: null }]) ok(await as(UPDATE, { g: g.id, i: input }));
      ok(await as(OPS.settings, { g: g.id, s: { membersCanInvite: true, showMemberList: true } }));
      expect(ok(await as(SET_RULES, { g: g.id, r: rules })).setGroupRules.rules).toEqual(first.rules);
      expect(ok(await as(OPS.questions, { g: g.id, q: questions })).setMembershipQuestions.questions).toEqual(first.questions);
    });
    expect(again).toEqual([]);
    expect(await activityOf(g.id)).toBe(before);
    // One real change among them is recorded as before.
    expect(await appendedBy(g.id, async () => ok(await as(OPS.questions, { g: g.id, q: questions.slice(0, 1) })))).toEqual([['GROUP_UPDATED', null, null, 'admin']]);
  });

  type Failure = [name: string, code: string, viewer: ViewerSpec, op: Op, vars: Record<string, unknown>];
  const FAILURES: Failure[] = [
    ['joining again', 'CONFLICT', member, 'join', {}],
    ['joining anonymously', 'UNAUTHENTICATED', anonymous, 'join', {}],
    ['an unknown question in a request', 'BAD_USER_INPUT', who('newbie'), 'join', { a: [{ questionId: 'nope', text: 'hi' }] }],
    ['a plain member removing', 'FORBIDDEN', member, 'remove', { m: ['ann'] }],
    ['an outsider adding', 'FORBIDDEN', outsider, 'add', { m: ['friend'] }],
    ['a role for a non-member, after a valid one', 'BAD_USER_INPUT', admin, 'assign', { m: ['ann', 'stranger'], r: 'ADMIN' }],
    ['approving a pending request and a decided one together', 'CONFLICT', admin, 'approve', { m: ['pia', 'rex'] }],
    ['removing a member and the last admin together', 'CONFLICT', admin, 'remove', { m: ['ann', 'admin'] }],
    ['the last admin leaving', 'CONFLICT', admin, 'leave', {}],
    ['demoting the last admin', 'CONFLICT', admin, 'unassign', { m: ['admin'], r: 'ADMIN' }],
    ['cancelling without a request', 'NOT_FOUND', member, 'cancel', {}],
  ];

  it.each(FAILURES)('%s: %s, and nothing appended', async (_name, code, viewer, op, vars) => {
    const g = await groupWith(gw, { privacy: 'PRIVATE', members: ['member', 'ann'], requesters: ['pia', 'rex'] });
    ok(await gw.as(admin)(OPS.reject, { g: g.id, r: [{ memberId: 'rex' }] }));
    const before = await snapshot(gw, g.id);
    await pause();
    const rows = await appendedBy(g.id, async () => expect(codes(await gw.as(viewer)(OPS[op], { g: g.id, ...vars }))).toEqual([code]));
    expect(rows).toEqual([]);
    expect(await snapshot(gw, g.id)).toEqual(before); // recentActivityAt and every membership as they were
    const pending = ok(await gw.as(admin)(`query($g: ID!) { group(id: $g) { joinRequests { edges { node { memberId } } } } }`, { g: g.id }));
    expect(pending.group.joinRequests.edges).toEqual([{ node: { memberId: 'pia' } }]);
  });

  it('a hidden group: NOT_FOUND and nothing appended', async () => {
    const g = await groupWith(gw, { privacy: 'SECRET', members: ['member'] });
    for (const op of ['join', 'leave', 'cancel'] as const) {
      const rows = await appendedBy(g.id, async () => expect(codes(await gw.as(outsider)(OPS[op], { g: g.id }))).toEqual(['NOT_FOUND']));
      expect(rows).toEqual([]);
    }
  });
});
