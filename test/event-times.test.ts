/**
 * A write's time (an event's `occurredAt`, a membership's `joinedAt`) follows the log's order within a group:
 * "did this event happen before the viewer's membership began?" compares the two, so a newcomer to a closed
 * group receives what happened from their own arrival on, and nothing from before, whatever order racing
 * writes took the group's lock in, and whatever another instance's clock said (src/domain/transaction.ts:
 * stampAfter). Against a real server, replayed over SSE, on both databases.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ok, testEventIds, type ViewerSpec } from './helpers/gateway.ts';
import { admin, manager } from './helpers/world.ts';
import { startLiveGateway, type LiveEvent, type LiveGateway } from './helpers/live.ts';
import { MAX_STAMP_AHEAD_MS } from '../src/domain/transaction.ts';

let gw: LiveGateway;
beforeAll(async () => {
  gw = await startLiveGateway();
});
afterEach(() => gw?.closeSubscriptions());
afterAll(() => gw?.close());

let groups = 0;
async function secretGroup(members: string[]): Promise<string> {
  const created = ok(
    await gw.as(manager)(`mutation($input: CreateGroupInput!) { createGroup(input: $input) { group { id } } }`, {
      input: { name: `event times ${++groups}`, privacy: 'SECRET', creatorId: 'admin' },
    }),
  );
  const id: string = created.createGroup.group.id;
  if (members.length) await add(id, members);
  return id;
}
const add = (groupId: string, memberIds: string[]) =>
  gw.as(admin)(`mutation($g: ID!, $m: [ID!]!) { addGroupMembers(groupId: $g, memberIds: $m) { memberId } }`, { g: groupId, m: memberIds });
const remove = (groupId: string, memberIds: string[]) =>
  gw.as(admin)(`mutation($g: ID!, $m: [ID!]!) { removeGroupMembers(groupId: $g, memberIds: $m) { removedMemberIds } }`, { g: groupId, m: memberIds });

/** Every event of the group a viewer receives in a replay from the start of the log, until `last` (an event id). */
async function replayed(viewer: ViewerSpec, groupId: string, last: number): Promise<LiveEvent[]> {
  const sub = await gw.subscribe(viewer, { groupId, after: '0', transport: 'sse' });
  const seen: LiveEvent[] = [];
  while (!seen.some((event) => testEventIds.decode(event.id) === last)) seen.push(...(await sub.events.take(1)));
  await sub.close();
  return seen;
}

/** The group's log as stored: ids and times, in log order. */
async function log(groupId: string) {
  const rows = await gw.db.groupEvent.findMany({ where: { groupId }, orderBy: { id: 'asc' }, select: { id: true, type: true, memberId: true, occurredAt: true } });
  return rows.map((row) => ({ ...row, id: Number(row.id) }));
}

describe('event times follow the log within a group', () => {
  it('removals and additions racing on a SECRET group: each newcomer replays exactly the events from their own arrival on', async () => {
    const old = Array.from({ length: 8 }, (_, i) => `old-${groups}-${i}`);
    const groupId = await secretGroup(old);
    const newcomers = old.map((id) => id.replace('old', 'new'));
    const results = await Promise.all([...old.map((id) => remove(groupId, [id])), ...newcomers.map((id) => add(groupId, [id]))]);
    for (const result of results) ok(result);

    const events = await log(groupId);
    // Times never go back in log order (one write's events share its time).
    for (let i = 1; i < events.length; i++) expect(events[i].occurredAt.getTime(), `event ${i}`).toBeGreaterThanOrEqual(events[i - 1].occurredAt.getTime());
    const last = events.at(-1)!.id;
    for (const newcomer of newcomers) {
      const arrival = events.find((event) => event.type === 'MEMBER_ADDED' && event.memberId === newcomer)!.id;
      const got = (await replayed({ sub: newcomer }, groupId, last)).map((event) => testEventIds.decode(event.id));
      // Before, writes took their time before queueing for the group's lock: some newcomers missed removals
      // committed after their arrival, and received some from before it (PostgreSQL).
      expect(got, newcomer).toEqual(events.filter((event) => event.id >= arrival).map((event) => event.id));
    }
  });

  it('a write after another instance’s (whose clock is ahead) is still stamped after it: its newcomer is not shown what came before', async () => {
    const groupId = await secretGroup(['leaver']);
    ok(await remove(groupId, ['leaver']));
    // As if the removal had been written by an instance whose clock runs 3 s ahead of this one.
    const [removal] = (await log(groupId)).slice(-1);
    const ahead = new Date(removal.occurredAt.getTime() + 3_000);
    await gw.db.groupEvent.update({ where: { id: removal.id }, data: { occurredAt: ahead } });
    await gw.db.group.update({ where: { id: groupId }, data: { recentActivityAt: ahead } });

    ok(await add(groupId, ['latecomer']));
    const [arrival] = (await log(groupId)).slice(-1);
    expect(arrival.type).toBe('MEMBER_ADDED');
    expect(arrival.occurredAt.getTime()).toBeGreaterThan(ahead.getTime());
    // Before, the latecomer's joinedAt was this instance's clock, 3 s before the removal: it was replayed to
    // them, naming who had been in the secret group.
    const got = await replayed({ sub: 'latecomer' }, groupId, arrival.id);
    expect(got.map((event) => `${event.type} ${event.memberId}`)).toEqual(['MEMBER_ADDED latecomer']);
    const read = ok(await gw.as({ sub: 'latecomer' })(`query($g: ID!) { group(id: $g) { recentActivityAt members(search: "latecomer") { edges { node { joinedAt } } } } }`, { g: groupId }));
    expect(new Date(read.group.members.edges[0].node.joinedAt).getTime()).toBe(arrival.occurredAt.getTime());
    expect(new Date(read.group.recentActivityAt).getTime()).toBe(arrival.occurredAt.getTime());

    // removeSiteMember locks every group of the member at once: stamped after each of them too.
    const later = new Date(arrival.occurredAt.getTime() + 1_000); // still within MAX_STAMP_AHEAD_MS of the clock
    await gw.db.groupEvent.update({ where: { id: arrival.id }, data: { occurredAt: later } });
    await gw.db.group.update({ where: { id: groupId }, data: { recentActivityAt: later } });
    ok(await gw.as(manager)(`mutation($m: ID!) { removeSiteMember(memberId: $m) { memberId } }`, { m: 'latecomer' }));
    const [removed] = (await log(groupId)).slice(-1);
    expect(`${removed.type} ${removed.memberId}`).toBe('MEMBER_REMOVED latecomer');
    expect(removed.occurredAt.getTime()).toBeGreaterThan(later.getTime());
  });

  it('a group whose time is far ahead (bad data, a clock off by hours) moves a write at most a few seconds ahead, and no other group with it', async () => {
    const far = await secretGroup(['wanderer']);
    const near = await secretGroup(['wanderer']);
    const day = new Date(Date.now() + 86_400_000);
    await gw.db.group.update({ where: { id: far }, data: { recentActivityAt: day } });
    ok(await add(far, ['visitor']));
    const [added] = (await log(far)).slice(-1);
    // Before, the write was stamped a day ahead, and every later write of the group after it.
    expect(added.occurredAt.getTime()).toBeLessThanOrEqual(Date.now() + MAX_STAMP_AHEAD_MS);
    // A write over both groups (removeSiteMember) is not carried a day ahead by the far one.
    await gw.db.group.update({ where: { id: far }, data: { recentActivityAt: day } });
    const before = Date.now();
    ok(await gw.as(manager)(`mutation($m: ID!) { removeSiteMember(memberId: $m) { memberId } }`, { m: 'wanderer' }));
    const [removed] = (await log(near)).slice(-1);
    expect(`${removed.type} ${removed.memberId}`).toBe('MEMBER_REMOVED wanderer');
    expect(removed.occurredAt.getTime()).toBeGreaterThanOrEqual(before);
    expect(removed.occurredAt.getTime()).toBeLessThanOrEqual(Date.now() + MAX_STAMP_AHEAD_MS);
    // The latest time a date can hold: a write of that group still goes through.
    await gw.db.group.update({ where: { id: near }, data: { recentActivityAt: new Date('9999-12-31T23:59:59.999Z') } });
    ok(await add(near, ['last']));
  });
});
