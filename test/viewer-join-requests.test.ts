/**
 * `Viewer.joinRequests`: a member's own join requests with their outcome (status, answers, rejection reason,
 * when decided), newest first, only in groups the viewer may see. A request whose group was made SECRET is
 * gone from the list and its total exactly as one whose group was deleted, so the requester cannot tell them
 * apart. Through GraphQL against the real gateway.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, ok, startGateway, type TestGateway, type ViewerSpec } from './helpers/gateway.ts';
import { admin, anonymous, manager, member } from './helpers/world.ts';
import { groupWith, OPS, who } from './helpers/membership.ts';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway();
});
afterAll(() => gw.close());

const run = (viewer: ViewerSpec, op: keyof typeof OPS, vars: Record<string, unknown>) => gw.as(viewer)(OPS[op], vars);

const MINE = `query($s: RequestStatus, $first: Int, $after: String) { viewer { joinRequests(status: $s, first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor }
  edges { cursor node { id memberId status answers { questionId question text } rejectionReason createdAt decidedAt decidedBy
    group { id name viewerRole } } } } } }`;

interface Mine {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: { cursor: string; node: Record<string, any> }[];
}
const mine = async (viewer: ViewerSpec, vars: { s?: string; first?: number; after?: string } = {}): Promise<Mine> =>
  ok(await gw.as(viewer)(MINE, vars)).viewer.joinRequests;
const groupsOf = (page: Mine) => page.edges.map((e) => e.node.group.id);

const DELETE = `mutation($g: ID!) { deleteGroup(id: $g) { deletedGroupId } }`;
const NO_LONGER = 'The group no longer takes requests to join.';

/** Asks to join `groupId` as `sub`, a few milliseconds after the previous request, so creation times differ. */
async function ask(sub: string, groupId: string, answers?: { questionId: string; text: string }[]) {
  await new Promise((resolve) => setTimeout(resolve, 5));
  return ok(await run(who(sub), 'join', { g: groupId, a: answers })).joinGroup.joinRequest;
}

describe('Viewer.joinRequests', () => {
  it('lists the viewer’s requests newest first with their outcome: pending, approved, rejected with its reason, canceled', async () => {
    const pending = await groupWith(gw, { privacy: 'PRIVATE' });
    const approved = await groupWith(gw, { privacy: 'PRIVATE' });
    const rejected = await groupWith(gw, { privacy: 'PRIVATE' });
    const canceled = await groupWith(gw, { privacy: 'PRIVATE' });
    const [q] = ok(await run(admin, 'questions', { g: pending.id, q: [{ text: 'Why?', required: true }] })).setMembershipQuestions.questions;

    await ask('ann', pending.id, [{ questionId: q.id, text: 'To run.' }]);
    for (const g of [approved, rejected, canceled]) await ask('ann', g.id);
    ok(await run(admin, 'approve', { g: approved.id, m: ['ann'] }));
    ok(await run(admin, 'reject', { g: rejected.id, r: [{ memberId: 'ann', reason: 'Runners only, sorry.' }] }));
    ok(await run(who('ann'), 'cancel', { g: canceled.id }));

    const page = await mine(who('ann'));
    expect(page.totalCount).toBe(4);
    expect(page.pageInfo).toEqual({ hasNextPage: false, endCursor: page.edges[3].cursor });
    expect(page.edges.map((e) => e.node)).toMatchObject([
      // canceled: the requester's own act, so they are named as its decider
      { memberId: 'ann', status: 'CANCELED', rejectionReason: null, decidedBy: 'ann', group: { id: canceled.id, name: canceled.name, viewerRole: null } },
      // rejected: the reason reaches the requester; who decided stays with those who may read the member list
      { memberId: 'ann', status: 'REJECTED', rejectionReason: 'Runners only, sorry.', decidedBy: null, group: { id: rejected.id, viewerRole: null } },
      // approved: now a member, who reads the member list, and so who decided
      { memberId: 'ann', status: 'APPROVED', rejectionReason: null, decidedBy: 'admin', group: { id: approved.id, viewerRole: 'MEMBER' } },
      { memberId: 'ann', status: 'PENDING', rejectionReason: null, decidedAt: null, decidedBy: null, group: { id: pending.id },
        answers: [{ questionId: q.id, question: 'Why?', text: 'To run.' }] },
    ]);
    for (const { node } of page.edges.slice(0, 3)) expect(Date.parse(node.decidedAt)).toBeGreaterThanOrEqual(Date.parse(node.createdAt));
    const times = page.edges.map((e) => Date.parse(e.node.createdAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));

    // By status; the contract's other fields are unchanged: viewerJoinRequest shows only the pending request,
    // and Group.joinRequests stays with those who decide.
    const onlyRejected = await mine(who('ann'), { s: 'REJECTED' });
    expect(onlyRejected.totalCount).toBe(1);
    expect(onlyRejected.edges.map((e) => [e.node.group.id, e.node.rejectionReason])).toEqual([[rejected.id, 'Runners only, sorry.']]);
    expect((await mine(who('ann'), { s: 'PENDING' })).edges.map((e) => e.node.group.id)).toEqual([pending.id]);
    const seen = await gw.as(who('ann'))(`query($g: ID!) { group(id: $g) { viewerJoinRequest { status } joinRequests(status: REJECTED) { totalCount } } }`, { g: rejected.id });
    expect(codes(seen)).toEqual(['FORBIDDEN']);
    expect(seen.data!.group).toEqual({ viewerJoinRequest: null, joinRequests: null });
  });

  it('shows nobody else’s requests; anonymous viewers get an empty list, as with createRequests', async () => {
    const g = await groupWith(gw, { privacy: 'PRIVATE', members: ['member'], requesters: ['bea', 'cal'] });
    ok(await run(admin, 'reject', { g: g.id, r: [{ memberId: 'bea', reason: 'Private reason for bea.' }] }));
    const beas = await mine(who('bea'));
    expect(beas.edges.map((e) => [e.node.memberId, e.node.status, e.node.rejectionReason])).toEqual([['bea', 'REJECTED', 'Private reason for bea.']]);
    const cals = await mine(who('cal'));
    expect(cals.edges.map((e) => [e.node.memberId, e.node.status, e.node.rejectionReason])).toEqual([['cal', 'PENDING', null]]);
    // Neither a member of the group, nor its admin, nor a Groups Manager sees them as theirs.
    for (const other of [member, admin, manager, who('dee')]) {
      expect(await mine(other)).toEqual({ totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null }, edges: [] });
    }
    const anon = await gw.as(anonymous)(MINE, {});
    expect(codes(anon)).toEqual([]);
    expect(anon.data!.viewer.joinRequests).toEqual({ totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null }, edges: [] });
  });

  it('a group made SECRET takes the request out of the list and its total, exactly as a deleted group does', async () => {
    const kept = await groupWith(gw, { privacy: 'PRIVATE' });
    const madeSecret = await groupWith(gw, { privacy: 'PRIVATE' });
    const deleted = await groupWith(gw, { privacy: 'PRIVATE' });
    for (const g of [kept, madeSecret, deleted]) await ask('eve', g.id);
    // Two more requesters, one in each closing group only, to compare what each is left with.
    await ask('fay', madeSecret.id);
    await ask('gus', deleted.id);
    expect((await mine(who('eve'))).totalCount).toBe(3);

    ok(await run(admin, 'privacy', { g: madeSecret.id, p: 'SECRET' }));
    const afterSecret = await mine(who('eve'));
    expect(afterSecret.totalCount).toBe(2);
    expect(groupsOf(afterSecret)).toEqual([deleted.id, kept.id]);

    ok(await gw.as(admin)(DELETE, { g: deleted.id }));
    const afterDelete = await mine(who('eve'));
    expect(afterDelete.totalCount).toBe(1);
    expect(groupsOf(afterDelete)).toEqual([kept.id]);
    expect(afterDelete.edges[0].node).toMatchObject({ status: 'PENDING' });

    // Whatever the status asked for, the requester of the secret group and that of the deleted one get the
    // same answer: nothing, counted as nothing.
    for (const s of [undefined, 'REJECTED', 'PENDING']) {
      const empty = { totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null }, edges: [] };
      expect(await mine(who('fay'), { s })).toEqual(empty);
      expect(await mine(who('gus'), { s })).toEqual(empty);
    }
    expect((await mine(who('eve'), { s: 'REJECTED' })).totalCount).toBe(0);
    // The secret group's request is still there, closed with the reason both ways give, for those who may see it.
    const closed = ok(await gw.as(manager)(`query($g: ID!) { group(id: $g) { joinRequests(status: REJECTED) { edges { node { memberId rejectionReason } } } } }`, { g: madeSecret.id }));
    expect(closed.group.joinRequests.edges.map((e: any) => e.node)).toEqual([
      { memberId: 'eve', rejectionReason: NO_LONGER },
      { memberId: 'fay', rejectionReason: NO_LONGER },
    ]);
  });

  it('a request in a secret group stays listed to a requester who is its member (the groups list’s own visibility)', async () => {
    const g = await groupWith(gw, { privacy: 'PRIVATE' });
    await ask('hal', g.id);
    ok(await run(admin, 'approve', { g: g.id, m: ['hal'] }));
    ok(await run(admin, 'privacy', { g: g.id, p: 'SECRET' }));
    const page = await mine(who('hal'));
    expect(page.totalCount).toBe(1);
    expect(page.edges[0].node).toMatchObject({ status: 'APPROVED', group: { id: g.id, viewerRole: 'MEMBER' } });
    // Removed from it, the member no longer sees the group, nor their request there.
    ok(await run(admin, 'remove', { g: g.id, m: ['hal'] }));
    expect((await mine(who('hal'))).totalCount).toBe(0);
  });

  it('pages with cursors and limits like the viewer’s other lists; a cursor outlives its request’s group turning secret', async () => {
    const groups = [];
    for (let i = 0; i < 5; i++) groups.push(await groupWith(gw, { privacy: 'PRIVATE' }));
    for (const g of groups) await ask('ivy', g.id);
    const all = await mine(who('ivy'));
    expect(groupsOf(all)).toEqual(groups.map((g) => g.id).reverse());

    const seen: string[] = [];
    let after: string | undefined;
    const pages: number[] = [];
    for (;;) {
      const page = await mine(who('ivy'), { first: 2, after });
      expect(page.totalCount).toBe(5);
      expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor ?? null);
      seen.push(...groupsOf(page));
      pages.push(page.edges.length);
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor!;
    }
    expect(pages).toEqual([2, 2, 1]);
    expect(seen).toEqual(groupsOf(all));

    // The second request's group turns secret after the first page was read: the next page starts after it
    // all the same, and the total no longer counts it.
    const first = await mine(who('ivy'), { first: 2 });
    ok(await run(admin, 'privacy', { g: first.edges[1].node.group.id, p: 'SECRET' }));
    const next = await mine(who('ivy'), { first: 2, after: first.pageInfo.endCursor! });
    expect(groupsOf(next)).toEqual(groupsOf(all).slice(2, 4));
    expect(next.totalCount).toBe(4);

    expect((await mine(who('ivy'), { first: 0 })).edges).toEqual([]);
    expect(codes(await gw.as(who('ivy'))(MINE, { first: 101 }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await gw.as(who('ivy'))(MINE, { first: -1 }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await gw.as(who('ivy'))(MINE, { after: 'not-a-cursor' }))).toEqual(['BAD_USER_INPUT']);
  });
});

/**
 * `Viewer.joinRequestsToDecide`: an admin's queue across groups, oldest first, filtered in SQL by the policy's
 * canDecideJoinRequests (visibility.test.ts checks that condition on every combination).
 */
describe('Viewer.joinRequestsToDecide', () => {
  let world: TestGateway;
  const QUEUE = `query($s: RequestStatus, $first: Int, $after: String) { viewer { joinRequestsToDecide(status: $s, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { memberId status group { name viewerRole } } } } } }`;
  const queue = async (viewer: ViewerSpec, vars: Record<string, unknown> = {}) => ok(await world.as(viewer)(QUEUE, vars)).viewer.joinRequestsToDecide;
  const rows = (page: { edges: { node: { memberId: string; group: { name: string } } }[] }) => page.edges.map((e) => `${e.node.group.name}: ${e.node.memberId}`);

  beforeAll(async () => {
    world = await startGateway();
    const make = async (name: string, privacy: string, adminId: string, settings?: Record<string, boolean>) =>
      ok(await world.as(manager)(`mutation($i: CreateGroupInput!) { createGroup(input: $i) { group { id } } }`, {
        i: { name, privacy, creatorId: adminId, settings },
      })).createGroup.group.id as string;
    const runs = await make('Runs', 'PRIVATE', 'boss');
    const choir = await make('Choir', 'PRIVATE', 'boss');
    const chess = await make('Chess', 'PRIVATE', 'other-boss');
    const open = await make('Open', 'PRIVATE', 'other-boss', { membersCanApprove: true });
    for (const [groupId, memberId] of [[open, 'boss'], [chess, 'boss']]) {
      ok(await world.as(manager)(`mutation($g: ID!, $m: [ID!]!) { addGroupMembers(groupId: $g, memberIds: $m) { memberId } }`, { g: groupId, m: [memberId] }));
    }
    // In this order: the queue is oldest first.
    for (const [groupId, sub] of [[runs, 'r1'], [chess, 'c1'], [choir, 'h1'], [open, 'o1'], [runs, 'r2']]) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      ok(await world.as({ sub })(`mutation($g: ID!) { joinGroup(groupId: $g) { joinRequest { status } } }`, { g: groupId }));
    }
    ok(await world.as({ sub: 'boss' })(`mutation($g: ID!) { rejectJoinRequests(groupId: $g, rejections: [{ memberId: "r2" }]) { status } }`, { g: runs }));
  });
  afterAll(() => world.close());

  it('lists the pending requests of every group the viewer may decide, oldest first: admin, or member where membersCanApprove', async () => {
    // boss: admin of Runs and Choir; plain member of Chess (may not decide) and of Open (membersCanApprove).
    const page = await queue({ sub: 'boss' });
    expect(rows(page)).toEqual(['Runs: r1', 'Choir: h1', 'Open: o1']);
    expect(page.totalCount).toBe(3);
    expect(page.edges.map((e: { node: { group: { viewerRole: string } } }) => e.node.group.viewerRole)).toEqual(['ADMIN', 'ADMIN', 'MEMBER']);
    // Every status, or one.
    expect(rows(await queue({ sub: 'boss' }, { s: null }))).toEqual(['Runs: r1', 'Choir: h1', 'Open: o1', 'Runs: r2']);
    expect(rows(await queue({ sub: 'boss' }, { s: 'REJECTED' }))).toEqual(['Runs: r2']);
    // A Groups Manager decides everywhere; the others, where they may.
    expect(rows(await queue(manager))).toEqual(['Runs: r1', 'Chess: c1', 'Choir: h1', 'Open: o1']);
    expect(rows(await queue({ sub: 'other-boss' }))).toEqual(['Chess: c1', 'Open: o1']);
    for (const viewer of [anonymous, member, { sub: 'r1' }]) expect(await queue(viewer)).toEqual({ totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null }, edges: [] });
  });

  it('pages with its own cursors, and its total does not change with the page', async () => {
    const first = await queue(manager, { first: 2 });
    expect({ rows: rows(first), total: first.totalCount, more: first.pageInfo.hasNextPage }).toEqual({ rows: ['Runs: r1', 'Chess: c1'], total: 4, more: true });
    const next = await queue(manager, { first: 2, after: first.pageInfo.endCursor });
    expect({ rows: rows(next), total: next.totalCount, more: next.pageInfo.hasNextPage }).toEqual({ rows: ['Choir: h1', 'Open: o1'], total: 4, more: false });
    // A cursor of another list (the viewer's own requests) is refused, not read as a position here.
    const own = ok(await world.as({ sub: 'r1' })(`{ viewer { joinRequests { edges { cursor } } } }`)).viewer.joinRequests.edges[0].cursor;
    expect(codes(await world.as(manager)(QUEUE, { after: own }))).toEqual(['BAD_USER_INPUT']);
  });
});
