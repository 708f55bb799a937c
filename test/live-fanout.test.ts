/**
 * One event to a group with many subscribers online: each subscriber's standing in the group is read in
 * batches (a few statements for all of them, never one per subscriber, never one with thousands of bound
 * parameters, which SQLite refuses), and every subscriber gets the answer the policy gives.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Viewer } from '../src/auth/viewer.ts';
import { ok, startGateway, type TestGateway } from './helpers/gateway.ts';
import { sseResults } from './helpers/live.ts';
import { addMembers, createGroup, manager } from './helpers/world.ts';

const MEMBERS = 1_800;
const OUTSIDERS = 200;

describe('live audience of a large private group', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(() => gw?.close());

  it(`decides ${MEMBERS - 1 + OUTSIDERS} subscribers of one event in a few statements, each correctly`, async () => {
    const db = gw.app.services.db;
    const created = ok(await gw.as(manager)(`mutation { createGroup(input: { name: "Big Choir", privacy: PRIVATE, creatorId: "m0" }) { group { id } } }`));
    const groupId: string = created.createGroup.group.id;
    const others = Array.from({ length: MEMBERS - 1 }, (_, i) => `m${i + 1}`);
    await db.groupMember.createMany({ data: others.map((memberId) => ({ groupId, memberId, role: 'MEMBER' as const })) });
    await db.group.update({ where: { id: groupId }, data: { membersCount: MEMBERS } });
    // An event only members of a private group may see: a role change of someone else.
    const event = await db.groupEvent.create({ data: { type: 'ROLE_ASSIGNED', groupId, groupPrivacy: 'PRIVATE', memberId: 'm1', role: 'ADMIN', actorId: 'm0' } });

    const viewer = (memberId: string): Viewer => ({ memberId, name: null, isGroupsManager: false, expiresAt: null });
    const members = ['m0', ...others].filter((id) => id !== 'm1'); // m1 is the event's subject: no lookup
    const outsiders = Array.from({ length: OUTSIDERS }, (_, i) => `outsider${i}`);
    gw.statements.length = 0;
    const [forMembers, forOutsiders] = await Promise.all([
      Promise.all(members.map((id) => gw.app.services.audience.allows(viewer(id), event))),
      Promise.all(outsiders.map((id) => gw.app.services.audience.allows(viewer(id), event))),
    ]);
    expect(forMembers.every(Boolean)).toBe(true);
    expect(forOutsiders.some(Boolean)).toBe(false);
    // One statement for the group, and the subscribers' memberships in batches of 500.
    const expected = 1 + Math.ceil((members.length + outsiders.length) / 500);
    console.log(`${members.length + outsiders.length} subscribers decided in ${gw.statements.length} statements`);
    expect(gw.statements.length).toBe(expected);
    // Resolving the event for each of them (GroupEvent.actorId asks the same standing) reads nothing more.
    const standings = await Promise.all(members.map((id) => gw.app.services.audience.standing(viewer(id), event)));
    expect(standings.every((s) => s.role === 'MEMBER' || s.role === 'ADMIN')).toBe(true);
    expect(gw.statements.length).toBe(expected);
  });
});

describe('a live event’s group, to many subscribers', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(() => gw?.close());

  /** Opens a live SSE subscription to `groupId` as each member; `next()` waits for each one's next event. */
  async function subscribeAll(groupId: string, memberIds: string[]) {
    const streams = await Promise.all(
      memberIds.map(async (sub) => {
        const token = await gw.token({ sub });
        const abort = new AbortController();
        const response = await gw.fetch('/graphql', {
          method: 'POST',
          headers: { accept: 'text/event-stream', 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query: `subscription($g: ID) { groupEvents(groupId: $g) { type group { id name privacy membersCount viewerRole viewerCan { view leave approveJoinRequests } viewerJoinRequest { id } } } }`, variables: { g: groupId } }),
          signal: abort.signal,
        });
        const reader = response.body!.getReader();
        const parse = sseResults();
        const pending: any[] = [];
        const next = async () => {
          const deadline = Date.now() + 10_000;
          while (pending.length === 0) {
            const chunk = await Promise.race([reader.read(), new Promise<null>((r) => setTimeout(() => r(null), Math.max(1, deadline - Date.now())))]);
            if (chunk === null || chunk.done) throw new Error(`no event for ${sub}`);
            pending.push(...parse(chunk.value));
          }
          return pending.shift();
        };
        return { next, close: () => (abort.abort(), reader.cancel().catch(() => undefined)) };
      }),
    );
    return streams;
  }

  /** The statements of a change of the group and of its delivery to each subscriber, with the group's fields. */
  async function statementsOfOneEvent(subscribers: number) {
    const members = Array.from({ length: subscribers }, (_, i) => `fan-${subscribers}-${i}`);
    const group = await createGroup(gw, { name: `Fan ${subscribers}`, privacy: 'PRIVATE' });
    await addMembers(gw, group.id, members);
    // The members, and the group's only admin (who may approve requests, and may not leave).
    const streams = await subscribeAll(group.id, [...members, 'admin']);
    const rename = (name: string) => gw.as(manager)(`mutation($id: ID!, $n: String!) { updateGroup(id: $id, input: { name: $n }) { id } }`, { id: group.id, n: name });
    try {
      // The first event: every stream is past its start and waiting for live events once each has it.
      ok(await rename(`Fan ${subscribers} again`));
      for (const stream of streams) expect((await stream.next()).data.groupEvents.type).toBe('GROUP_UPDATED');
      // Deliveries begin as the change commits, before its answer: the change and its deliveries are counted together.
      gw.statements.length = 0;
      ok(await rename(`Fan ${subscribers} once more`));
      const received = await Promise.all(streams.map((stream) => stream.next()));
      for (const [i, result] of received.entries()) {
        const admin = i === members.length;
        expect(result.data.groupEvents).toEqual({
          type: 'GROUP_UPDATED',
          group: {
            id: group.id, name: `Fan ${subscribers} once more`, privacy: 'PRIVATE', membersCount: subscribers + 1,
            viewerRole: admin ? 'ADMIN' : 'MEMBER', viewerCan: { view: true, leave: !admin, approveJoinRequests: admin }, viewerJoinRequest: null,
          },
        });
      }
      return gw.statements.length;
    } finally {
      await Promise.all(streams.map((stream) => stream.close()));
    }
  }

  it('costs the same statements for 2 subscribers as for 12, with the viewer’s own fields (the group read once, the standings batched)', async () => {
    const few = await statementsOfOneEvent(2);
    const many = await statementsOfOneEvent(12);
    console.log(`a change and its live event with the group's and the viewer's fields: 2 subscribers = ${few}, 12 subscribers = ${many} statements`);
    expect(many).toBe(few);
  });
});
