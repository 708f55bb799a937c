/**
 * Writes that touch thousands of rows at once go through, on both databases: a PRIVATE group with 5,000
 * pending requests made PUBLIC (10,000 events and 5,000 new members), made SECRET (5,000 requests closed)
 * or deleted. One INSERT of all their events used to bind more values than a statement may (32,766 on
 * SQLite, 65,535 on PostgreSQL), and admitting members one by one outlasted the transaction's time limit.
 * Such a write also lets other requests in between its statements instead of holding them all until it ends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, startGateway, type TestGateway } from './helpers/gateway.ts';
import { createGroup, manager } from './helpers/world.ts';

const PENDING = 5_000;

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway();
});
afterAll(() => gw.close());

/** A PRIVATE group with its admin and PENDING requests to join (written straight to the database: setup only). */
async function crowdedGroup(name: string) {
  const group = await createGroup(gw, { name, privacy: 'PRIVATE' });
  // A millisecond apart, in the askers' order: the order the requests came. (Requests of the same instant
  // come in id order, and ids are random.)
  const from = Date.now() - PENDING;
  const askers = Array.from({ length: PENDING }, (_, i) => `asker-${String(i).padStart(4, '0')}`);
  for (let start = 0; start < askers.length; start += 500) {
    await gw.app.services.db.joinRequest.createMany({
      data: askers.slice(start, start + 500).map((memberId, i) => ({
        groupId: group.id,
        memberId,
        createdAt: new Date(from + start + i),
        pendingKey: `${group.id}:${memberId}`,
      })),
    });
  }
  return { group, askers };
}

const events = (groupId: string, type: string) => gw.app.services.db.groupEvent.count({ where: { groupId, type: type as never } });

describe(`a group with ${PENDING.toLocaleString('en')} pending requests`, () => {
  it('made PUBLIC: every asker joins, with their two events each, in one write', async () => {
    const { group } = await crowdedGroup('crowded to open');
    const data = ok(
      await gw.as(manager)(`mutation($g: ID!) { updateGroup(id: $g, input: { privacy: PUBLIC }) { privacy membersCount } }`, { g: group.id }),
    );
    expect(data.updateGroup).toEqual({ privacy: 'PUBLIC', membersCount: PENDING + 1 });
    const db = gw.app.services.db;
    expect(await db.groupMember.count({ where: { groupId: group.id, memberId: { startsWith: 'asker-' }, role: 'MEMBER' } })).toBe(PENDING);
    expect(await db.joinRequest.count({ where: { groupId: group.id, status: 'APPROVED' } })).toBe(PENDING);
    expect([await events(group.id, 'JOIN_REQUEST_APPROVED'), await events(group.id, 'MEMBER_JOINED')]).toEqual([PENDING, PENDING]);
    // In the order the requests came, each approval before its join, with ids in a row.
    const log = await db.groupEvent.findMany({ where: { groupId: group.id, type: { in: ['JOIN_REQUEST_APPROVED', 'MEMBER_JOINED'] } }, orderBy: { id: 'asc' } });
    expect(log.slice(0, 4).map((e) => [e.type, e.memberId])).toEqual([
      ['JOIN_REQUEST_APPROVED', 'asker-0000'],
      ['MEMBER_JOINED', 'asker-0000'],
      ['JOIN_REQUEST_APPROVED', 'asker-0001'],
      ['MEMBER_JOINED', 'asker-0001'],
    ]);
    expect(log.at(-1)).toMatchObject({ type: 'MEMBER_JOINED', memberId: 'asker-4999' });
    expect(log.at(-1)!.id - log[0].id).toBe(2 * PENDING - 1);
  });

  it('made PUBLIC: other requests are answered while it runs, not after it', async () => {
    const { group } = await crowdedGroup('crowded while others read');
    let written = false;
    const opened = gw
      .as(manager)(`mutation($g: ID!) { updateGroup(id: $g, input: { privacy: PUBLIC }) { membersCount } }`, { g: group.id })
      .finally(() => (written = true));
    // Reads one after another until the write answers. Before the write let the event loop take other
    // requests between its statements, the first read waited for all of it (about a second).
    let answeredMeanwhile = 0;
    while (!written) {
      ok(await gw.as('anonymous')(`{ groups(first: 1) { totalCount } }`));
      if (!written) answeredMeanwhile++;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(ok(await opened).updateGroup.membersCount).toBe(PENDING + 1);
    expect(answeredMeanwhile).toBeGreaterThanOrEqual(3);
  });

  it('made SECRET: every request is closed', async () => {
    const { group } = await crowdedGroup('crowded to hide');
    ok(await gw.as(manager)(`mutation($g: ID!) { updateGroup(id: $g, input: { privacy: SECRET }) { id } }`, { g: group.id }));
    const db = gw.app.services.db;
    expect(await db.joinRequest.count({ where: { groupId: group.id, status: 'REJECTED' } })).toBe(PENDING);
    expect(await events(group.id, 'JOIN_REQUEST_REJECTED')).toBe(PENDING);
  });

  it('deleted: gone, with every request closed first', async () => {
    const { group } = await crowdedGroup('crowded to delete');
    const data = ok(await gw.as(manager)(`mutation($g: ID!) { deleteGroup(id: $g) { deletedGroupId } }`, { g: group.id }));
    expect(data.deleteGroup.deletedGroupId).toBe(group.id);
    expect([await events(group.id, 'JOIN_REQUEST_REJECTED'), await events(group.id, 'GROUP_DELETED')]).toEqual([PENDING, 1]);
  });
});
