/**
 * Concurrent membership writes through the real HTTP handling: whatever order they land in, they end in a
 * state the rules allow, each loser gets a contract code (never INTERNAL_SERVER_ERROR), and the invariants
 * hold: membersCount equals the members listed, nobody is listed twice, a group with members has an admin.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATABASE } from './helpers/database.ts';
import { startGateway, type TestGateway, type ViewerSpec } from './helpers/gateway.ts';
import { admin, manager } from './helpers/world.ts';
import { expectInvariants, groupWith, OPS, outcome, who } from './helpers/membership.ts';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway();
});
afterAll(() => gw.close());

const N = 8;
const run = (viewer: ViewerSpec, op: keyof typeof OPS, vars: Record<string, unknown>) => gw.as(viewer)(OPS[op], vars);

/** Runs the calls at once and returns their outcomes ('OK' or the error code), in call order. */
async function race(calls: (() => Promise<any>)[]): Promise<string[]> {
  return (await Promise.all(calls.map((call) => call()))).map(outcome);
}

const sorted = (list: string[]) => [...list].sort();

describe('concurrent decisions on one join request', () => {
  it(`${N} concurrent approvals make exactly one membership and ${N - 1} CONFLICTs`, async () => {
    const g = await groupWith(gw, { privacy: 'PRIVATE', admins: ['deputy'], requesters: ['ann'] });
    const approvers = [admin, who('deputy'), manager];
    const results = await race(Array.from({ length: N }, (_, i) => () => run(approvers[i % 3], 'approve', { g: g.id, m: ['ann'] })));
    expect(sorted(results)).toEqual(['OK', ...Array(N - 1).fill('CONFLICT')].sort());
    const members = await expectInvariants(gw, g.id);
    expect(members.filter((m) => m.memberId === 'ann')).toEqual([{ memberId: 'ann', role: 'MEMBER' }]);
    expect(members).toHaveLength(3);
  });

  it('an approval racing a rejection: one decides, the other is CONFLICT', async () => {
    for (let round = 0; round < 3; round++) {
      const g = await groupWith(gw, { privacy: 'PRIVATE', requesters: ['bob'] });
      const results = await race([
        () => run(admin, 'approve', { g: g.id, m: ['bob'] }),
        () => run(manager, 'reject', { g: g.id, r: [{ memberId: 'bob' }] }),
      ]);
      expect(sorted(results)).toEqual(['CONFLICT', 'OK']);
      const members = await expectInvariants(gw, g.id);
      expect(members.some((m) => m.memberId === 'bob')).toBe(results[0] === 'OK');
    }
  });
});

describe('a join racing an addition of the same member', () => {
  it.each(['PUBLIC', 'PRIVATE'] as const)('%s: one membership, whichever lands first', async (privacy) => {
    const g = await groupWith(gw, { privacy });
    const joiners = Array.from({ length: N }, (_, i) => `joiner-${i}`);
    const results = await race(
      joiners.flatMap((id) => [() => run(who(id), 'join', { g: g.id }), () => run(admin, 'add', { g: g.id, m: [id] })]),
    );
    for (let i = 0; i < joiners.length; i++) {
      const [join, add] = results.slice(2 * i, 2 * i + 2);
      expect(add).toBe('OK'); // adding returns an existing member unchanged, and approves a pending request
      expect(['OK', 'CONFLICT']).toContain(join);
    }
    const members = await expectInvariants(gw, g.id);
    expect(members.map((m) => m.memberId).sort()).toEqual(['admin', ...joiners].sort());
    const pending = await gw.as(admin)(`query($g: ID!) { group(id: $g) { joinRequests { totalCount } } }`, { g: g.id });
    expect(pending.data.group.joinRequests.totalCount).toBe(0);
  });
});

describe('the last admin under concurrency', () => {
  it('two admins demoting each other: one wins, the other is no longer an admin (FORBIDDEN)', async () => {
    for (let round = 0; round < 3; round++) {
      const g = await groupWith(gw, { members: ['member'], admins: ['deputy'] });
      const results = await race([
        () => run(admin, 'unassign', { g: g.id, m: ['deputy'], r: 'ADMIN' }),
        () => run(who('deputy'), 'unassign', { g: g.id, m: ['admin'], r: 'ADMIN' }),
      ]);
      expect(sorted(results)).toEqual(['FORBIDDEN', 'OK']);
      const admins = (await expectInvariants(gw, g.id)).filter((m) => m.role === 'ADMIN');
      expect(admins).toEqual([{ memberId: results[0] === 'OK' ? 'admin' : 'deputy', role: 'ADMIN' }]);
    }
  });

  it('two admins demoting themselves, or leaving, at once: one goes, the other is CONFLICT', async () => {
    for (const op of ['unassign', 'leave'] as const) {
      const g = await groupWith(gw, { members: ['member'], admins: ['deputy'] });
      const vars = (self: string) => (op === 'leave' ? { g: g.id } : { g: g.id, m: [self], r: 'ADMIN' });
      const results = await race([() => run(admin, op, vars('admin')), () => run(who('deputy'), op, vars('deputy'))]);
      expect(sorted(results)).toEqual(['CONFLICT', 'OK']);
      const admins = (await expectInvariants(gw, g.id)).filter((m) => m.role === 'ADMIN');
      expect(admins).toHaveLength(1);
    }
  });

  it('an admin removing the other admin while that one demotes the first: an admin always remains', async () => {
    for (let round = 0; round < 3; round++) {
      const g = await groupWith(gw, { members: ['member'], admins: ['deputy'] });
      const results = await race([
        () => run(admin, 'remove', { g: g.id, m: ['deputy'] }),
        () => run(who('deputy'), 'unassign', { g: g.id, m: ['admin'], r: 'ADMIN' }),
      ]);
      expect(sorted(results)).toEqual(['FORBIDDEN', 'OK']);
      const admins = (await expectInvariants(gw, g.id)).filter((m) => m.role === 'ADMIN');
      expect(admins).toHaveLength(1);
    }
  });
});

describe('group writes under concurrency: each decides again once it holds the group', () => {
  const describeGroup = `mutation($g: ID!, $d: String) { updateGroup(id: $g, input: { description: $d }) { id } }`;
  const deleteGroup = `mutation($g: ID!) { deleteGroup(id: $g) { deletedGroupId } }`;

  it('an admin’s edits racing their demotion: none lands after it (the others are FORBIDDEN)', async () => {
    for (let round = 0; round < 3; round++) {
      const g = await groupWith(gw, { members: ['member'], admins: ['deputy'] });
      const edits = Array.from({ length: 12 }, (_, i) => () => gw.as(who('deputy'))(describeGroup, { g: g.id, d: `edit ${round}.${i}` }));
      const results = await race([...edits.slice(0, 4), () => run(admin, 'unassign', { g: g.id, m: ['deputy'], r: 'ADMIN' }), ...edits.slice(4)]);
      expect(results[4]).toBe('OK');
      expect(new Set(results.filter((_, i) => i !== 4))).toSatisfy((set: Set<string>) => [...set].every((r) => r === 'OK' || r === 'FORBIDDEN'));
      const events = await gw.app.services.db.groupEvent.findMany({ where: { groupId: g.id }, orderBy: { id: 'asc' } });
      const demoted = events.findIndex((e) => e.type === 'ROLE_UNASSIGNED' && e.memberId === 'deputy');
      const lateEdits = events.slice(demoted + 1).filter((e) => e.type === 'GROUP_UPDATED' && e.actorId === 'deputy');
      expect({ round, lateEdits: lateEdits.length }).toEqual({ round, lateEdits: 0 });
      expect(events.filter((e) => e.type === 'GROUP_UPDATED')).toHaveLength(results.filter((r, i) => i !== 4 && r === 'OK').length);
    }
  });

  it('joins racing a change to SECRET: no request is left pending in the secret group', async () => {
    for (let round = 0; round < 3; round++) {
      const g = await groupWith(gw, { privacy: 'PRIVATE' });
      const joiners = Array.from({ length: 12 }, (_, i) => `asker-${round}-${i}`);
      const joins = joiners.map((id) => () => run(who(id), 'join', { g: g.id }));
      const results = await race([...joins.slice(0, 6), () => run(manager, 'privacy', { g: g.id, p: 'SECRET' }), ...joins.slice(6)]);
      expect(results[6]).toBe('OK');
      // A join before the change filed a request (then closed); one after it found no group it may see.
      expect(results.filter((_, i) => i !== 6).every((r) => r === 'OK' || r === 'NOT_FOUND')).toBe(true);
      const db = gw.app.services.db;
      expect(await db.joinRequest.count({ where: { groupId: g.id, status: 'PENDING' } })).toBe(0);
      expect(await db.joinRequest.count({ where: { groupId: g.id, status: 'REJECTED' } })).toBe(results.filter((r, i) => i !== 6 && r === 'OK').length);
    }
  });

  it('deletes of one group at once: one deletes it, the others are NOT_FOUND (never an internal error)', async () => {
    for (let round = 0; round < 3; round++) {
      const g = await groupWith(gw, { members: ['member'], requesters: ['ann'] });
      const results = await race([
        ...Array.from({ length: 5 }, () => () => gw.as(manager)(deleteGroup, { g: g.id })),
        () => gw.as(admin)(describeGroup, { g: g.id, d: 'late' }),
        () => gw.as(admin)(deleteGroup, { g: g.id }),
      ]);
      const deletes = [...results.slice(0, 5), results[6]];
      expect(sorted(deletes)).toEqual(['NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND', 'OK']);
      expect(['OK', 'NOT_FOUND']).toContain(results[5]);
      const events = await gw.app.services.db.groupEvent.findMany({ where: { groupId: g.id, type: 'GROUP_DELETED' } });
      expect(events).toHaveLength(1);
    }
  });
});

describe('mixed traffic on one group', () => {
  it('leaves, removals, joins and additions at once keep membersCount exact', async () => {
    const regulars = Array.from({ length: N }, (_, i) => `regular-${i}`);
    const g = await groupWith(gw, { members: regulars, admins: ['deputy'] });
    const results = await race(
      regulars.flatMap((id, i) => [
        () => run(who(id), 'leave', { g: g.id }),
        () => run(i % 2 ? admin : manager, 'remove', { g: g.id, m: [id] }),
        () => run(who(`newcomer-${i}`), 'join', { g: g.id }),
        () => run(who('deputy'), 'add', { g: g.id, m: [`newcomer-${i}`, `guest-${i}`] }),
      ]),
    );
    for (let i = 0; i < regulars.length; i++) {
      const [leave, remove, join, add] = results.slice(4 * i, 4 * i + 4);
      // whoever goes second finds the member gone: leaving is CONFLICT, removing names a non-member
      expect(sorted([leave, remove])).toEqual(leave === 'OK' ? ['BAD_USER_INPUT', 'OK'] : ['CONFLICT', 'OK']);
      expect(['OK', 'CONFLICT']).toContain(join);
      expect(add).toBe('OK');
    }
    const members = await expectInvariants(gw, g.id);
    expect(members).toHaveLength(2 + 2 * N);
  });
});

describe.runIf(TEST_DATABASE === 'postgresql')('a burst of writes to one group', () => {
  it('waits its turn in the process, holding one connection, so reads of other groups go on (PostgreSQL)', { timeout: 30_000 }, async () => {
    const hot = await groupWith(gw, { privacy: 'PUBLIC' });
    const other = await groupWith(gw, { privacy: 'PUBLIC', members: ['reader'] });
    const database = new URL(gw.databaseUrl).pathname.slice(1);
    // A slow writer elsewhere holds the hot group's row lock.
    const holder = new pg.Client({ connectionString: gw.databaseUrl });
    await holder.connect();
    const watcher = new pg.Client({ connectionString: gw.databaseUrl });
    await watcher.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM "Group" WHERE "id" = $1 FOR UPDATE', [hot.id]);
      const joins = Array.from({ length: 12 }, (_, i) => run(who(`burst-${i}`), 'join', { g: hot.id }));
      await new Promise((resolve) => setTimeout(resolve, 500));
      const waiting = await watcher.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock' AND pid <> $2`,
        [database, (holder as unknown as { processID: number }).processID],
      );
      // Before, every connection of the pool waited on the lock, one per write.
      expect(waiting.rows[0].n).toBe(1);
      // A read of another group is answered meanwhile (before: it waited for a connection behind the burst).
      const read = await gw.as(who('reader'))(`query($g: ID!) { group(id: $g) { membersCount members(first: 5) { totalCount } } }`, { g: other.id });
      expect(read.errors).toBeUndefined();
      expect(read.data.group.members.totalCount).toBe(2);
      await holder.query('COMMIT');
      expect((await Promise.all(joins)).map(outcome)).toEqual(Array(12).fill('OK'));
      const members = await expectInvariants(gw, hot.id);
      expect(members).toHaveLength(13);
    } finally {
      await holder.end();
      await watcher.end();
    }
  });
});
