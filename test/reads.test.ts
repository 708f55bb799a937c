/**
 * `db.read` (src/db/reads.ts) runs hand-written reads on Prisma's own connection, around Prisma's query
 * compiler. Its answers must be exactly what `$queryRaw` answers for the same SQL, on each database: the
 * same rows, with the same JavaScript types (Date, boolean, number, bigint, null); and every statement
 * must reach the statement hook that tests and metrics count with.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../src/db/client.ts';
import { Prisma } from '../src/generated/prisma/client.ts';
import { STANDING_COLUMNS, standingJoinsSql } from '../src/db/viewer-standing.ts';
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
