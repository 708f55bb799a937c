/**
 * One event to a group with many subscribers online: each subscriber's standing in the group is read in
 * batches (a few statements for all of them, never one per subscriber, never one with thousands of bound
 * parameters, which SQLite refuses), and every subscriber gets the answer the policy gives.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Viewer } from '../src/auth/viewer.ts';
import { ok, startGateway, type TestGateway } from './helpers/gateway.ts';
import { manager } from './helpers/world.ts';

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
