/**
 * removeSiteMember: a member deleted from the site leaves every group at once, their pending requests are
 * canceled and their display name forgotten; all or nothing, and only for Groups Managers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { secretKey } from '../src/auth/viewer.ts';
import { codes, ok, startGateway, TEST_SECRET, type TestGateway } from './helpers/gateway.ts';
import { addMembers, admin, createGroup, manager, member, type GroupHandle } from './helpers/world.ts';

const REMOVE = `mutation($id: ID!) { removeSiteMember(memberId: $id) { memberId groupIds canceledJoinRequests canceledCreateRequests } }`;
const MEMBERSHIPS = `query($id: ID!) { memberships(memberId: $id) { totalCount } }`;

let gw: TestGateway;
let open: GroupHandle;
let closed: GroupHandle;
let secret: GroupHandle;
let asked: GroupHandle;

const countOf = async (groupId: string) => ok(await gw.as(manager)(`query($id: ID!) { group(id: $id) { membersCount } }`, { id: groupId })).group.membersCount;

beforeAll(async () => {
  gw = await startGateway();
  open = await createGroup(gw, { name: 'Open Court', privacy: 'PUBLIC' });
  closed = await createGroup(gw, { name: 'Closed Court', privacy: 'PRIVATE' });
  secret = await createGroup(gw, { name: 'Secret Court', privacy: 'SECRET' });
  asked = await createGroup(gw, { name: 'Waiting Room', privacy: 'PRIVATE' });
  for (const group of [open, closed, secret]) await addMembers(gw, group.id, ['leaver', 'stayer']);
}, 60_000);
afterAll(() => gw.close());

describe('removeSiteMember', () => {
  it('removes the member from every group, cancels their pending requests and forgets their name', async () => {
    const leaver = { sub: 'leaver', name: 'Lee Ver' };
    ok(await gw.as(leaver)(`mutation($id: ID!) { joinGroup(groupId: $id) { joinRequest { id } } }`, { id: asked.id }));
    ok(await gw.as(manager)(`mutation { updateGroupsSettings(input: { groupCreation: ADMIN_APPROVAL }) { groupCreation } }`));
    ok(await gw.as(leaver)(`mutation { createGroup(input: { name: "Leaver's League" }) { createRequest { id } } }`));
    expect(await gw.app.services.db.memberName.findUnique({ where: { memberId: 'leaver' } })).not.toBeNull();
    const before = await countOf(open.id);

    const removal = ok(await gw.as(manager)(REMOVE, { id: 'leaver' })).removeSiteMember;
    expect({ ...removal, groupIds: [...removal.groupIds].sort() }).toEqual({
      memberId: 'leaver',
      groupIds: [open.id, closed.id, secret.id].sort(),
      canceledJoinRequests: 1,
      canceledCreateRequests: 1,
    });

    expect(ok(await gw.as(manager)(MEMBERSHIPS, { id: 'leaver' })).memberships.totalCount).toBe(0);
    expect(ok(await gw.as(manager)(MEMBERSHIPS, { id: 'stayer' })).memberships.totalCount).toBe(3);
    expect(await countOf(open.id)).toBe(before - 1);
    const requests = ok(await gw.as(admin)(`query($id: ID!) { group(id: $id) { joinRequests(status: null) { edges { node { memberId status decidedBy } } } } }`, { id: asked.id }));
    expect(requests.group.joinRequests.edges.map((e: any) => e.node)).toEqual([{ memberId: 'leaver', status: 'CANCELED', decidedBy: 'manager' }]);
    const created = ok(await gw.as(manager)(`{ createRequests(status: null) { edges { node { requestedBy status } } } }`));
    expect(created.createRequests.edges.map((e: any) => e.node)).toContainEqual({ requestedBy: 'leaver', status: 'CANCELED' });
    expect(await gw.app.services.db.memberName.findUnique({ where: { memberId: 'leaver' }, select: { name: true } })).toEqual({ name: '' });

    // Each group's log says who removed them, as removeGroupMembers would.
    const events = await gw.app.services.db.groupEvent.findMany({ where: { memberId: 'leaver', type: { in: ['MEMBER_REMOVED', 'JOIN_REQUEST_CANCELED'] } } });
    expect(events.map((e) => `${e.type} ${e.groupId} by ${e.actorId}`).sort()).toEqual(
      [
        `MEMBER_REMOVED ${open.id} by manager`,
        `MEMBER_REMOVED ${closed.id} by manager`,
        `MEMBER_REMOVED ${secret.id} by manager`,
        `JOIN_REQUEST_CANCELED ${asked.id} by manager`,
      ].sort(),
    );

    // Again: nothing left to remove, and no error.
    expect(ok(await gw.as(manager)(REMOVE, { id: 'leaver' })).removeSiteMember).toEqual({ memberId: 'leaver', groupIds: [], canceledJoinRequests: 0, canceledCreateRequests: 0 });
  });

  it('is all or nothing: the only admin of a group is refused with CONFLICT naming the groups, and nothing changes', async () => {
    const solo = await createGroup(gw, { name: 'Solo Club', privacy: 'SECRET' }, 'boss');
    const shared = await createGroup(gw, { name: 'Shared Club', privacy: 'PUBLIC' }, 'boss');
    await addMembers(gw, shared.id, ['stayer']);
    ok(await gw.as(manager)(`mutation($g: ID!) { assignRole(groupId: $g, memberIds: ["stayer"], role: ADMIN) { role } }`, { g: shared.id }));
    await addMembers(gw, open.id, ['boss']);
    const before = await gw.as(manager)(MEMBERSHIPS, { id: 'boss' });

    const refused = await gw.as(manager)(REMOVE, { id: 'boss' });
    expect(codes(refused)).toEqual(['CONFLICT']);
    expect(refused.errors![0].extensions).toEqual({ code: 'CONFLICT', groupIds: [solo.id] });
    expect(refused.errors![0].message).toBe('boss is the only admin of a group (Solo Club). Make another member an admin there, or delete the group, first.');
    expect(await gw.as(manager)(MEMBERSHIPS, { id: 'boss' })).toEqual(before);

    // Once the group is deleted, the member goes.
    ok(await gw.as(manager)(`mutation($id: ID!) { deleteGroup(id: $id) { deletedGroupId } }`, { id: solo.id }));
    const removal = ok(await gw.as(manager)(REMOVE, { id: 'boss' })).removeSiteMember;
    expect([...removal.groupIds].sort()).toEqual([shared.id, open.id].sort());
  });

  it('forgets the name for good: a token issued before the removal does not write it back; one issued after does', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = (name: string, iat: number) =>
      new SignJWT({ name, roles: [] }).setProtectedHeader({ alg: 'HS256' }).setSubject('gone').setIssuedAt(iat).setExpirationTime(now + 3_600).sign(secretKey(TEST_SECRET));
    const [phone, laptop] = [await token('Gone Phone', now - 100), await token('Gone Laptop', now - 50)];
    await addMembers(gw, open.id, ['gone']);
    ok(await gw.as({ token: phone })(`{ viewer { name } }`));
    await gw.app.services.memberNames.flush();
    ok(await gw.as(manager)(REMOVE, { id: 'gone' }));
    ok(await gw.as({ token: laptop })(`{ viewer { name } }`)); // first seen now, issued before the removal
    await gw.app.services.memberNames.flush();
    const names = () => gw.app.services.db.memberName.findUniqueOrThrow({ where: { memberId: 'gone' }, select: { name: true } });
    expect(await names()).toEqual({ name: '' });
    await addMembers(gw, open.id, ['gone']);
    expect(ok(await gw.as(manager)(`query($id: ID!) { group(id: $id) { members(search: "gone") { edges { node { memberId memberName } } } } }`, { id: open.id })).group.members.edges)
      .toEqual([{ node: { memberId: 'gone', memberName: null } }]);
    ok(await gw.as({ token: await token('Back Again', now + 5) })(`{ viewer { name } }`));
    await gw.app.services.memberNames.flush();
    expect(await names()).toEqual({ name: 'Back Again' });
  });

  it('removes a member of 1,000 groups (more than one statement binds: Prisma binds at most 999 values on SQLite)', async () => {
    const db = gw.app.services.db;
    const ids = Array.from({ length: 1_000 }, (_, i) => `bulk-group-${String(i).padStart(4, '0')}`);
    await db.group.createMany({ data: ids.map((id) => ({ id, slug: id, name: id, nameSearch: id, membersCount: 2 })) });
    await db.groupMember.createMany({ data: ids.flatMap((groupId) => [{ groupId, memberId: 'anchor', role: 'ADMIN' as const }, { groupId, memberId: 'bulk' }]) });
    const removal = ok(await gw.as(manager)(REMOVE, { id: 'bulk' })).removeSiteMember;
    expect(removal.groupIds).toHaveLength(1_000);
    expect(await db.groupMember.count({ where: { memberId: 'bulk' } })).toBe(0);
    expect(await db.group.count({ where: { id: { startsWith: 'bulk-group-' }, membersCount: 1 } })).toBe(1_000);
  });

  it('is for Groups Managers only', async () => {
    for (const viewer of [admin, member, { sub: 'stayer' }]) {
      const response = await gw.as(viewer)(REMOVE, { id: 'stayer' });
      expect(codes(response)).toEqual(['FORBIDDEN']);
    }
    expect(codes(await gw.as('anonymous')(REMOVE, { id: 'stayer' }))).toEqual(['UNAUTHENTICATED']);
    expect(ok(await gw.as(manager)(MEMBERSHIPS, { id: 'stayer' })).memberships.totalCount).toBeGreaterThan(0);
  });

  it('refuses an id that is no member id', async () => {
    for (const id of ['', '   ', 'a\nb', 'x'.repeat(201)]) {
      expect(codes(await gw.as(manager)(REMOVE, { id }))).toEqual(['BAD_USER_INPUT']);
    }
  });

  it('runs beside other writes to the same groups: removals of two members of the same 15 groups, and joins', async () => {
    const groups = [];
    for (let i = 0; i < 15; i++) {
      const group = await createGroup(gw, { name: `Busy ${i}`, privacy: 'PUBLIC' });
      await addMembers(gw, group.id, ['c1', 'c2']);
      groups.push(group);
    }
    const results = await Promise.all([
      gw.as(manager)(REMOVE, { id: 'c1' }),
      gw.as(manager)(REMOVE, { id: 'c2' }),
      ...groups.map((g) => gw.as({ sub: 'c3' })(`mutation($id: ID!) { joinGroup(groupId: $id) { membership { memberId } } }`, { id: g.id })),
    ]);
    for (const result of results) ok(result);
    for (const group of groups) expect(await countOf(group.id)).toBe(2); // its admin and c3
  });

  it('costs the same statements for a member of 3 groups and of 40', async () => {
    const costs = [];
    for (const [sub, count] of [['few', 3], ['many', 40]] as const) {
      for (let i = 0; i < count; i++) {
        const group = await createGroup(gw, { name: `${sub} ${i}`, privacy: i % 2 ? 'PRIVATE' : 'PUBLIC' });
        await addMembers(gw, group.id, [sub]);
      }
      gw.statements.length = 0;
      expect(ok(await gw.as(manager)(REMOVE, { id: sub })).removeSiteMember.groupIds).toHaveLength(count);
      costs.push(gw.statements.length);
    }
    expect(costs[0]).toBe(costs[1]);
  });
});
