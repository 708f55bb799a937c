/**
 * The plans the databases choose for a replay's statement (receivableEventsSql) as the log grows:
 * - SQLite: statistics taken when the tables were nearly empty make its planner scan the whole log for a page
 *   (and, before the viewer's former roles were read once per statement, scan it again for each event of a
 *   deleted group: 3.7 s for a page over 10,000 such events). A running gateway refreshes them
 *   (keepSqliteStatistics), after which the page is read through the primary key and the indexes.
 * - PostgreSQL: the gateway's sessions run without JIT compilation, which cost a replay page 0.6-0.8 s.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Prisma } from '../src/generated/prisma/client.ts';
import { createDb, type Db } from '../src/db/client.ts';
import { keepSqliteStatistics } from '../src/db/adapter.ts';
import { receivableEventsSql } from '../src/auth/visibility.ts';
import { joinRequestPageSql } from '../src/db/join-request-list.ts';
import type { SortKey } from '../src/schema/pagination.ts';
import { FROM_THE_START } from '../src/db/keyset.ts';
import { createTestDatabase, TEST_DATABASE, type TestDatabase } from './helpers/database.ts';

let database: TestDatabase;
let db: Db;
const member = { memberId: 'viewer', name: null, isGroupsManager: false, expiresAt: null };

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDb(database.url);
});
afterAll(async () => {
  await db.$disconnect();
  await database.drop();
});

/** A log of `count` events of a deleted group (the viewer was a member) and of a public one. */
async function growLog(count: number) {
  const name = `g${Date.now()}`;
  const gone = await db.group.create({ data: { name, nameSearch: name, slug: name, privacy: 'PRIVATE' } });
  const open = await db.group.create({ data: { name: `${name}o`, nameSearch: `${name}o`, slug: `${name}o`, privacy: 'PUBLIC' } });
  await db.groupEvent.create({ data: { type: 'MEMBER_JOINED', groupId: gone.id, groupPrivacy: 'PRIVATE', memberId: 'viewer', role: 'MEMBER' } });
  for (let written = 0; written < count; written += 5_000) {
    await db.groupEvent.createMany({
      data: Array.from({ length: 5_000 }, (_, i) => ({
        type: 'MEMBER_ADDED' as const,
        groupId: i % 2 ? gone.id : open.id,
        groupPrivacy: i % 2 ? ('PRIVATE' as const) : ('PUBLIC' as const),
        memberId: `m${written + i}`,
        role: 'MEMBER' as const,
      })),
    });
  }
  await db.group.delete({ where: { id: gone.id } });
}

const OLDEST_FIRST: SortKey<'createdAt' | 'id'>[] = [
  { field: 'createdAt', order: 'asc', kind: 'date' },
  { field: 'id', order: 'asc', kind: 'string' },
];

const pageSql = () => receivableEventsSql(member, Prisma.sql`e."id" > ${1_000} AND e."id" <= ${1_000_000}`, 500);

describe.runIf(TEST_DATABASE === 'sqlite')('SQLite', () => {
  const plan = async () =>
    (await db.$queryRaw<{ detail: string }[]>(Prisma.sql`EXPLAIN QUERY PLAN ${pageSql()}`)).map((row) => row.detail);
  const loggedRows = async () => {
    const rows = await db.$queryRawUnsafe<{ stat: string }[]>(`SELECT stat FROM sqlite_stat1 WHERE tbl = 'GroupEvent' AND idx = 'GroupEvent_groupId_id_idx'`);
    return rows.length ? Number(rows[0]!.stat.split(' ')[0]) : null;
  };

  it('a running gateway refreshes the statistics, and a replay page is then read through the indexes', async () => {
    await db.groupEvent.createMany({ data: [1, 2, 3].map(() => ({ type: 'GROUP_UPDATED' as const, groupId: 'g0', groupPrivacy: 'PUBLIC' as const })) });
    await db.$queryRawUnsafe('ANALYZE'); // statistics of a nearly empty log, as a gateway started with the site has
    await growLog(60_000);
    expect(await loggedRows()).toBeLessThan(10);
    const stale = await plan();
    const stop = keepSqliteStatistics(db, 50);
    try {
      for (let waited = 0; ((await loggedRows()) ?? 0) < 60_000 && waited < 20_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
    } finally {
      stop();
    }
    expect(await loggedRows()).toBeGreaterThanOrEqual(60_000);
    const fresh = await plan();
    console.log(`replay page plan, stale statistics:\n  ${stale.join('\n  ')}\nrefreshed:\n  ${fresh.join('\n  ')}`);
    // The page starts at its lower bound (the primary key), not at the start of the log.
    expect(fresh.some((step) => /^SEARCH e USING INTEGER PRIMARY KEY \(rowid>\? AND rowid<\?\)/.test(step))).toBe(true);
    // The viewer's former roles: read once (materialized), through the index on their own events.
    expect(fresh.filter((step) => step.startsWith('MATERIALIZE fr'))).toHaveLength(1);
    expect(fresh.some((step) => /^SEARCH fe USING (COVERING )?INDEX GroupEvent_memberId_groupId_id_idx/.test(step))).toBe(true);
    expect(fresh.some((step) => /^SEARCH later USING (COVERING )?INDEX GroupEvent_memberId_groupId_id_idx/.test(step))).toBe(true);
    expect(fresh.some((step) => /^SCAN (e|fe|later)$/.test(step))).toBe(false);
    // And the viewer's role in the deleted group came out of it: they receive its membership events.
    const page = await db.read<{ groupId: string }>(pageSql());
    expect(page).toHaveLength(500);
  }, 120_000);
});

describe.runIf(TEST_DATABASE === 'postgresql')('PostgreSQL', () => {
  it('the gateway\'s sessions run without JIT compilation', async () => {
    const [row] = await db.$queryRawUnsafe<{ jit: string }[]>('SHOW jit');
    expect(row!.jit).toBe('off');
    await growLog(5_000);
    await db.$executeRawUnsafe('ANALYZE');
    const plan = (await db.$queryRaw<{ 'QUERY PLAN': string }[]>(Prisma.sql`EXPLAIN (ANALYZE, COSTS OFF) ${pageSql()}`)).map((r) => r['QUERY PLAN']);
    expect(plan.some((line) => line.startsWith('JIT:'))).toBe(false);
  }, 120_000);
});

// A Groups Manager's queue of pending requests (Viewer.joinRequestsToDecide) across every group: read in its
// order through the index on (status, createdAt, id), not by sorting every request the site ever had.
describe('the join requests to decide, for a Groups Manager', () => {
  const managerViewer = { memberId: 'boss', name: null, isGroupsManager: true, expiresAt: null };
  it('a page is read through the status index, in order, whatever the history', async () => {
    const name = `q${Date.now()}`;
    const groups = await Promise.all(
      [0, 1, 2, 3].map((i) => db.group.create({ data: { name: `${name}${i}`, nameSearch: `${name}${i}`, slug: `${name}${i}`, privacy: 'PRIVATE' } })),
    );
    // A long history of decided requests, and a few pending.
    await db.joinRequest.createMany({
      data: Array.from({ length: 20_000 }, (_, i) => ({
        groupId: groups[i % 4]!.id,
        memberId: `m${i}`,
        status: i % 500 === 0 ? ('PENDING' as const) : ('APPROVED' as const),
      })),
    });
    await db.$executeRawUnsafe(TEST_DATABASE === 'sqlite' ? 'ANALYZE' : 'ANALYZE "JoinRequest"');
    // Forward from the start, and backward (`last`) from the end: the same index, read from either end.
    for (const [direction, position] of [['forward', FROM_THE_START], ['backward', { after: null, before: null, backward: true }]] as const) {
      const sql = joinRequestPageSql(TEST_DATABASE, managerViewer, { decidable: true, status: 'PENDING' }, OLDEST_FIRST, position, 21);
      const plan =
        TEST_DATABASE === 'sqlite'
          ? (await db.$queryRaw<{ detail: string }[]>(Prisma.sql`EXPLAIN QUERY PLAN ${sql}`)).map((row) => row.detail)
          : (await db.$queryRaw<{ 'QUERY PLAN': string }[]>(Prisma.sql`EXPLAIN ${sql}`)).map((row) => row['QUERY PLAN']);
      console.log(`join requests to decide (manager, ${direction}), plan:\n  ${plan.join('\n  ')}`);
      expect(plan.some((step) => step.includes('JoinRequest_status_createdAt_id_idx'))).toBe(true);
      expect(plan.some((step) => /TEMP B-TREE FOR ORDER BY|^Sort\b|-> +Sort\b/.test(step.trim()))).toBe(false);
      const page = await db.read<{ status: string; createdAt: unknown }>(sql);
      expect(page.length).toBe(21);
      expect(page.every((row) => row.status === 'PENDING')).toBe(true);
    }
  }, 120_000);
});

// A site member's queue: on SQLite, read from the groups they decide in (their memberships first), not by
// testing every pending request of the site against their memberships in date order (60-100 ms for a member
// who decides nothing among 20,000 pending requests). PostgreSQL keeps the correlated form (visibility.ts).
describe.runIf(TEST_DATABASE === 'sqlite')('the join requests to decide, for a site member (SQLite)', () => {
  const deputy = { memberId: 'deputy', name: null, isGroupsManager: false, expiresAt: null };
  it('a page starts from the member’s own groups, and holds the requests of the one they decide in', async () => {
    // A site's shape: many groups, each with some members and a few pending requests.
    const name = `d${Date.now()}`;
    await db.group.createMany({
      data: Array.from({ length: 2_000 }, (_, i) => ({ name: `${name}-${i}`, nameSearch: `${name}-${i}`, slug: `${name}-${i}`, privacy: 'PRIVATE' as const })),
    });
    const groups = (await db.group.findMany({ where: { slug: { startsWith: `${name}-` } }, select: { id: true, slug: true } }))
      .sort((a, b) => Number(a.slug.split('-')[1]) - Number(b.slug.split('-')[1]));
    await db.groupMember.createMany({
      data: groups.flatMap((group, g) => Array.from({ length: 10 }, (_, i) => ({ groupId: group.id, memberId: `s${(g * 7 + i * 131) % 5_000}-${i}` }))),
    });
    // An admin of the first group, a plain member of nine others (members there may not approve).
    await db.groupMember.createMany({
      data: groups.slice(0, 10).map((group, i) => ({ groupId: group.id, memberId: 'deputy', role: i === 0 ? ('ADMIN' as const) : ('MEMBER' as const) })),
    });
    await db.joinRequest.createMany({
      data: Array.from({ length: 20_000 }, (_, i) => ({ groupId: groups[i % 2_000]!.id, memberId: `p${i}`, status: 'PENDING' as const })),
    });
    await db.$executeRawUnsafe('ANALYZE');
    const sql = joinRequestPageSql('sqlite', deputy, { decidable: true, status: 'PENDING' }, OLDEST_FIRST, FROM_THE_START, 21);
    const plan = (await db.$queryRaw<{ detail: string }[]>(Prisma.sql`EXPLAIN QUERY PLAN ${sql}`)).map((row) => row.detail);
    console.log(`join requests to decide (site member), plan:\n  ${plan.join('\n  ')}`);
    expect(plan.some((step) => step.includes('GroupMember_memberId_joinedAt_id_idx'))).toBe(true);
    expect(plan.some((step) => step.includes('JoinRequest_groupId_status_createdAt_id_idx'))).toBe(true);
    expect(plan.some((step) => step.includes('JoinRequest_status_createdAt_id_idx'))).toBe(false);
    const page = await db.read<{ groupId: string; memberId: string }>(sql);
    expect(page).toHaveLength(10);
    expect(page.every((row) => row.groupId === groups[0]!.id)).toBe(true);
  }, 120_000);
});
