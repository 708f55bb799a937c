/**
 * `db.read` (src/db/reads.ts) runs hand-written reads on Prisma's own connection, around Prisma's query
 * compiler. Its answers must be exactly what `$queryRaw` answers for the same SQL, on each database: the
 * same rows, with the same JavaScript types (Date, boolean, number, bigint, null); and every statement
 * must reach the statement hook that tests and metrics count with. The readers built on it (a member's
 * memberships with their groups, pages of join requests with answers, counts by status and role, create
 * requests) must
 * answer what Prisma's model queries answer for the same rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../src/db/client.ts';
import { Prisma } from '../src/generated/prisma/client.ts';
import { STANDING_COLUMNS, standingJoinsSql } from '../src/db/viewer-standing.ts';
import { readMembershipPage, countMemberships } from '../src/db/membership-list.ts';
import { readGroups } from '../src/db/group-list.ts';
import { countCreateRequests, readCreateRequestPage } from '../src/db/create-request-list.ts';
import { visibleGroupsSql } from '../src/auth/visibility.ts';
import { createLoaders } from '../src/loaders.ts';
import { FROM_THE_START, type PagePosition } from '../src/db/keyset.ts';
import { ANONYMOUS, type Viewer } from '../src/auth/viewer.ts';
import { createTestDatabase, type TestDatabase } from './helpers/database.ts';

let database: TestDatabase;
let db: Db;
const statements: string[] = [];
const JOINED = new Date('2025-03-04T05:06:07.089Z');

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDb(database.url, { onQuery: (sql) => statements.push(sql) });
  await db.group.create({
    data: { id: 'g1', slug: 'g1', name: 'Runners', nameSearch: 'runners', privacy: 'PRIVATE', membersCount: 2, showMemberList: false },
  });
  await db.group.create({ data: { id: 'g2', slug: 'g2', name: 'Swimmers', nameSearch: 'swimmers', description: 'Laps', coverImageUrl: null } });
  await db.groupMember.createMany({
    data: [
      { id: 'gm1', groupId: 'g1', memberId: 'ann', role: 'ADMIN', joinedAt: JOINED },
      { id: 'gm2', groupId: 'g1', memberId: 'bob', joinedAt: new Date(JOINED.getTime() + 1000) },
    ],
  });
  await db.joinRequest.create({ data: { id: 'jr1', groupId: 'g2', memberId: 'ann', pendingKey: 'g2:ann' } });
});

afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

/** Both ways of running `query`, which must agree. */
async function both(query: Prisma.Sql) {
  const viaPrisma = await db.$queryRaw<Record<string, unknown>[]>(query);
  const direct = await db.read(query);
  return { viaPrisma, direct };
}

const typesOf = (rows: Record<string, unknown>[]) =>
  rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v instanceof Date ? 'Date' : v === null ? 'null' : typeof v])));

describe('db.read answers as $queryRaw does', () => {
  it('whole rows: text, enums, integers, booleans, dates and nulls', async () => {
    const { viaPrisma, direct } = await both(Prisma.sql`SELECT * FROM "Group" ORDER BY "id"`);
    expect(direct).toEqual(viaPrisma);
    expect(typesOf(direct)).toEqual(typesOf(viaPrisma));
    expect(direct[0]).toMatchObject({ id: 'g1', privacy: 'PRIVATE', membersCount: 2, showMemberList: false, description: null });
    expect(direct[0].createdAt).toBeInstanceOf(Date);
  });

  it('a count (a 64-bit integer) and computed values', async () => {
    const { viaPrisma, direct } = await both(Prisma.sql`SELECT COUNT(*) AS "n", MAX("membersCount") AS "most" FROM "Group"`);
    expect(direct).toEqual(viaPrisma);
    expect(typesOf(direct)).toEqual(typesOf(viaPrisma));
    expect(Number(direct[0].n)).toBe(2);
  });

  it('parameters of every kind the gateway binds: text, numbers, dates, lists', async () => {
    const query = Prisma.sql`SELECT "id", "memberId", "role", "joinedAt" FROM "GroupMember"
      WHERE "groupId" IN (${Prisma.join(['g1', 'g2'])}) AND "joinedAt" >= ${JOINED} AND "role" IN ('ADMIN', 'MEMBER')
      ORDER BY "joinedAt" LIMIT ${10}`;
    const { viaPrisma, direct } = await both(query);
    expect(direct).toEqual(viaPrisma);
    expect(direct.map((row) => row.memberId)).toEqual(['ann', 'bob']);
    expect((direct[0].joinedAt as Date).toISOString()).toBe(JOINED.toISOString());
    const later = await db.read(Prisma.sql`SELECT "memberId" FROM "GroupMember" WHERE "joinedAt" > ${JOINED}`);
    expect(later).toEqual([{ memberId: 'bob' }]);
  });

  it('the viewer standing joined onto a LIMITed subquery, and UNION ALL branches', async () => {
    const standing = Prisma.sql`SELECT g."id", ${STANDING_COLUMNS}
      FROM (SELECT "id" FROM "Group" ORDER BY "id" LIMIT 5) g ${standingJoinsSql('ann')} ORDER BY g."id"`;
    const first = await both(standing);
    expect(first.direct).toEqual(first.viaPrisma);
    expect(first.direct.map((row) => [row.id, row.vmRole, row.vrId])).toEqual([
      ['g1', 'ADMIN', null],
      ['g2', null, 'jr1'],
    ]);
    const branch = (groupId: string) =>
      Prisma.sql`SELECT * FROM (SELECT "id", "groupId", "joinedAt" FROM "GroupMember" WHERE "groupId" = ${groupId} ORDER BY "joinedAt" LIMIT 1) AS "page"`;
    const union = await both(Prisma.sql`${Prisma.join([branch('g1'), branch('g2')], ' UNION ALL ', '', '')}`);
    expect(union.direct).toEqual(union.viaPrisma);
    expect(typesOf(union.direct)).toEqual(typesOf(union.viaPrisma));
  });

  it('counts each statement once, and fails as the driver does', async () => {
    statements.length = 0;
    await db.read(Prisma.sql`SELECT 1 AS "one"`);
    expect(statements).toHaveLength(1);
    await expect(db.read(Prisma.sql`SELECT * FROM "NoSuchTable"`)).rejects.toThrow();
    await expect(db.$queryRaw(Prisma.sql`SELECT * FROM "NoSuchTable"`)).rejects.toThrow();
  });
});

describe("the readers on db.read answer as Prisma's model queries do", () => {
  const NEWEST_FIRST = [
    { field: 'joinedAt' as const, order: 'desc' as const, kind: 'date' as const },
    { field: 'id' as const, order: 'desc' as const, kind: 'string' as const },
  ];
  const viewer = (memberId: string | null, isGroupsManager = false): Viewer => ({ ...ANONYMOUS, memberId, isGroupsManager });

  // More rows, for these readers only: a SECRET group, answers, a decided request.
  beforeAll(async () => {
    await db.group.create({ data: { id: 'g3', slug: 'g3', name: 'Hidden', nameSearch: 'hidden', privacy: 'SECRET' } });
    await db.groupMember.create({ data: { id: 'gm3', groupId: 'g3', memberId: 'bob', joinedAt: new Date(JOINED.getTime() + 2000) } });
    await db.joinRequest.create({
      data: {
        id: 'jr2',
        groupId: 'g1',
        memberId: 'cy',
        createdAt: JOINED,
        answers: {
          create: [
            { id: 'a2', questionId: 'q2', question: 'Why?', text: 'To run', position: 1 },
            { id: 'a1', questionId: 'q1', question: 'Pace?', text: '5:00', position: 0 },
          ],
        },
      },
    });
    await db.joinRequest.create({
      data: { id: 'jr3', groupId: 'g1', memberId: 'dee', status: 'REJECTED', rejectionReason: 'Full', decidedAt: JOINED, decidedBy: 'ann', createdAt: new Date(JOINED.getTime() + 1) },
    });
    await db.joinRequest.create({ data: { id: 'jr4', groupId: 'g1', memberId: 'eve', pendingKey: 'g1:eve', createdAt: new Date(JOINED.getTime() + 2) } });
  });

  it("a member's memberships, each with its group, only in groups the viewer may see", async () => {
    // bob in g1 (PRIVATE) and g3 (SECRET): an outsider sees g1 only; bob himself and a manager see both.
    for (const [who, expected] of [[viewer('zed'), ['gm2']], [viewer('bob'), ['gm3', 'gm2']], [viewer('zed', true), ['gm3', 'gm2']]] as const) {
      const page = await readMembershipPage(db, who, 'bob', NEWEST_FIRST, FROM_THE_START, 10);
      expect(page.map((row) => row.membership.id)).toEqual(expected);
      expect(await countMemberships(db, who, 'bob')).toBe(expected.length);
      for (const { membership, group } of page) {
        expect(membership).toEqual(await db.groupMember.findUniqueOrThrow({ where: { id: membership.id } }));
        expect(group).toEqual(await db.group.findUniqueOrThrow({ where: { id: membership.groupId } }));
      }
    }
    // After a keyset position: the rest of the page.
    const gm3: [Date, string] = [new Date(JOINED.getTime() + 2000), 'gm3'];
    const after = await readMembershipPage(db, viewer('bob'), 'bob', NEWEST_FIRST, { after: gm3, before: null, backward: false }, 10);
    expect(after.map((row) => row.membership.id)).toEqual(['gm2']);
    // Before it: nothing (gm3 is the newest); read backward from gm2's position: gm3.
    expect(await readMembershipPage(db, viewer('bob'), 'bob', NEWEST_FIRST, { after: null, before: gm3, backward: false }, 10)).toEqual([]);
    const gm2 = [after[0].membership.joinedAt, 'gm2'];
    const backward = await readMembershipPage(db, viewer('bob'), 'bob', NEWEST_FIRST, { after: null, before: gm2, backward: true }, 10);
    expect(backward.map((row) => row.membership.id)).toEqual(['gm3']);
  });

  it('pages of join requests of one status or all, after a position', async () => {
    // The same page through Prisma: rows after `after` and before `before`, read from the end when backward.
    const prisma = (groupId: string, status: 'PENDING' | null, take: number, position: PagePosition) => {
      const [after, before] = [position.after, position.before] as ([Date, string] | null)[];
      const direction = position.backward ? 'desc' : 'asc';
      return db.joinRequest.findMany({
        where: {
          groupId,
          ...(status ? { status } : {}),
          AND: [
            ...(after ? [{ OR: [{ createdAt: { gt: after[0] } }, { createdAt: after[0], id: { gt: after[1] } }] }] : []),
            ...(before ? [{ OR: [{ createdAt: { lt: before[0] } }, { createdAt: before[0], id: { lt: before[1] } }] }] : []),
          ],
        },
        orderBy: [{ createdAt: direction }, { id: direction }],
        take,
      });
    };
    const jr2: [Date, string] = [JOINED, 'jr2'];
    const shapes = [
      { status: 'PENDING' as const, take: 10, position: FROM_THE_START },
      { status: null, take: 10, position: FROM_THE_START },
      { status: null, take: 2, position: FROM_THE_START },
      { status: null, take: 10, position: { after: jr2, before: null, backward: false } },
      { status: null, take: 10, position: { after: null, before: jr2, backward: false } },
      { status: null, take: 1, position: { after: null, before: null, backward: true } },
      { status: null, take: 10, position: { after: null, before: jr2, backward: true } },
      { status: null, take: 10, position: { after: jr2, before: null, backward: true } },
    ];
    for (const shape of shapes) {
      const loaders = createLoaders(db, viewer('ann'));
      statements.length = 0;
      const [g1, g2] = await Promise.all(['g1', 'g2'].map((groupId) => loaders.joinRequestPage.load({ groupId, ...shape })));
      expect(statements).toHaveLength(1); // the requests of both groups
      expect(g1).toEqual(await prisma('g1', shape.status, shape.take, shape.position));
      expect(g2).toEqual(await prisma('g2', shape.status, shape.take, shape.position));
    }
  });

  it("the answers of many join requests, in the questions' order", async () => {
    const loaders = createLoaders(db, viewer('ann'));
    statements.length = 0;
    const answers = await Promise.all(['jr2', 'jr1', 'nope'].map((id) => loaders.joinRequestAnswers.load(id)));
    expect(statements).toHaveLength(1);
    expect(answers[0].map((a) => a.text)).toEqual(['5:00', 'To run']);
    expect(answers).toEqual(
      await Promise.all(['jr2', 'jr1', 'nope'].map((id) => db.joinRequestAnswer.findMany({ where: { joinRequestId: id }, orderBy: { position: 'asc' } }))),
    );
  });

  it('groups by id or slug with the viewer\'s standing in each, as the loaders read both', async () => {
    // ann: ADMIN of g1, a pending request in g2; bob: member of the SECRET g3, which ann may not see.
    for (const [who, by] of [['ann', { id: 'g1' }], ['ann', { slug: 'g2' }], ['bob', { id: 'g3' }], ['zed', { slug: 'g1' }]] as const) {
      const [found] = await readGroups(db, [by], visibleGroupsSql(viewer(who)), who);
      const id = 'id' in by ? by.id : by.slug;
      expect(found?.group).toEqual(await db.group.findUniqueOrThrow({ where: { id } }));
      expect(found?.standing).toEqual(await createLoaders(db, viewer(who)).viewerStanding.load(id));
    }
    expect(await readGroups(db, [{ id: 'g3' }], visibleGroupsSql(viewer('ann')), 'ann')).toEqual([null]);
    expect(await readGroups(db, [{ id: 'g3' }], visibleGroupsSql(ANONYMOUS))).toEqual([null]);
    // Several in one statement, each in its key's place, the ones the viewer may not see (or that do not exist) null.
    statements.length = 0;
    const many = await readGroups(db, [{ id: 'g2' }, { slug: 'g3' }, { id: 'nope' }, { slug: 'g1' }, { id: 'g2' }], visibleGroupsSql(viewer('ann')), 'ann');
    expect(statements).toHaveLength(1);
    expect(many.map((found) => found?.group.id ?? null)).toEqual(['g2', null, null, 'g1', 'g2']);
    expect(many[0]?.standing?.pendingJoinRequest).not.toBeNull();
    expect(many[3]?.standing?.membership?.role).toBe('ADMIN');
  });

  it('pages of create requests, of one status, of one member or all, newest first, after a position', async () => {
    const at = (ms: number) => new Date(JOINED.getTime() + ms);
    await db.createRequest.createMany({
      data: [
        { id: 'cr1', requestedBy: 'ann', name: 'Chess', createdAt: at(0) },
        { id: 'cr2', requestedBy: 'bob', name: 'Go', description: 'Stones', privacy: 'SECRET', membersCanApprove: true, showMemberList: false, createdAt: at(1) },
        { id: 'cr3', requestedBy: 'ann', name: 'Bridge', status: 'REJECTED', rejectionReason: 'No', decidedAt: at(5), decidedBy: 'boss', createdAt: at(1) },
        { id: 'cr4', requestedBy: 'cy', name: 'Darts', status: 'APPROVED', groupId: 'g2', decidedAt: at(6), decidedBy: 'boss', createdAt: at(2) },
      ],
    });
    const keys = [
      { field: 'createdAt' as const, order: 'desc' as const, kind: 'date' as const },
      { field: 'id' as const, order: 'desc' as const, kind: 'string' as const },
    ];
    const filters = [{}, { status: 'PENDING' as const }, { requestedBy: 'ann' }, { status: 'REJECTED' as const, requestedBy: 'ann' }];
    for (const filter of filters) {
      const where = { ...(filter.status ? { status: filter.status } : {}), ...(filter.requestedBy ? { requestedBy: filter.requestedBy } : {}) };
      const expected = await db.createRequest.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
      expect(await readCreateRequestPage(db, filter, keys, FROM_THE_START, 10)).toEqual(expected);
      expect(await readCreateRequestPage(db, filter, keys, FROM_THE_START, 1)).toEqual(expected.slice(0, 1));
      expect(await countCreateRequests(db, filter)).toBe(expected.length);
    }
    // After (createdAt of cr2 and cr3, id cr3): cr2 (same time, lower id), then cr1.
    const cr3 = [at(1), 'cr3'];
    expect((await readCreateRequestPage(db, {}, keys, { after: cr3, before: null, backward: false }, 10)).map((r) => r.id)).toEqual(['cr2', 'cr1']);
    // Before it, read backward (from the end of the window: nearest first), and forward.
    const newest = (await readCreateRequestPage(db, {}, keys, FROM_THE_START, 10)).map((r) => r.id);
    const beforeCr3 = newest.slice(0, newest.indexOf('cr3'));
    expect(beforeCr3.length).toBeGreaterThan(0);
    expect((await readCreateRequestPage(db, {}, keys, { after: null, before: cr3, backward: true }, 10)).map((r) => r.id)).toEqual([...beforeCr3].reverse());
    expect((await readCreateRequestPage(db, {}, keys, { after: null, before: cr3, backward: false }, 10)).map((r) => r.id)).toEqual(beforeCr3);
  });

  it('counts of join requests by status and of members by role', async () => {
    const loaders = createLoaders(db, viewer('ann'));
    const counts = await Promise.all([
      loaders.joinRequestCount.load({ groupId: 'g1', status: null }),
      loaders.joinRequestCount.load({ groupId: 'g1', status: 'PENDING' }),
      loaders.joinRequestCount.load({ groupId: 'g1', status: 'REJECTED' }),
      loaders.joinRequestCount.load({ groupId: 'g2', status: 'APPROVED' }),
      loaders.memberCountByRole.load({ groupId: 'g1', role: 'ADMIN' }),
      loaders.memberCountByRole.load({ groupId: 'g1', role: 'MEMBER' }),
      loaders.memberCountByRole.load({ groupId: 'g2', role: 'MEMBER' }),
    ]);
    expect(counts).toEqual([
      await db.joinRequest.count({ where: { groupId: 'g1' } }),
      await db.joinRequest.count({ where: { groupId: 'g1', status: 'PENDING' } }),
      await db.joinRequest.count({ where: { groupId: 'g1', status: 'REJECTED' } }),
      0,
      await db.groupMember.count({ where: { groupId: 'g1', role: 'ADMIN' } }),
      await db.groupMember.count({ where: { groupId: 'g1', role: 'MEMBER' } }),
      0,
    ]);
    expect(counts.slice(0, 3)).toEqual([3, 2, 1]);
  });
});
