/**
 * Data migrations, run on a database holding the rows they exist for. The template database has every
 * migration applied, so a test puts back the state a migration fixes and runs that migration's own SQL file
 * (the one `prisma migrate deploy` runs) on the database the run targets.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, ok, startGateway, type TestGateway } from './helpers/gateway.ts';
import { TEST_DATABASE } from './helpers/database.ts';
import { manager } from './helpers/world.ts';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway();
});
afterAll(() => gw.close());

function migrationSql(name: string): string {
  const folder = TEST_DATABASE === 'postgresql' ? 'prisma/postgresql/migrations' : 'prisma/migrations';
  return fs.readFileSync(`${folder}/${name}/migration.sql`, 'utf8');
}

describe('20261206000000_secret_slugs', () => {
  it('gives every secret group still on a plain or numbered slug a secret one, and leaves the rest alone', async () => {
    const create = async (name: string, privacy: string) =>
      ok(await gw.as(manager)(`mutation($i: CreateGroupInput!) { createGroup(input: $i) { group { id slug } } }`, { i: { name, privacy, creatorId: 'alice' } }))
        .createGroup.group as { id: string; slug: string };
    const legacy = await create('Quiet Room', 'SECRET');
    const legacyNumbered = await create('Quiet Room Two', 'SECRET');
    const alreadySecret = await create('Hush', 'SECRET');
    const visible = await create('Open Room', 'PUBLIC');
    const numbered = await create('Open Room', 'PRIVATE');
    expect(numbered.slug).toBe('open-room-2');
    // Before secret slugs, secret groups took plain and numbered slugs like everyone else.
    const db = gw.app.services.db;
    await db.group.update({ where: { id: legacy.id }, data: { slug: 'quiet-room' } });
    await db.group.update({ where: { id: legacyNumbered.id }, data: { slug: 'quiet-room-2' } });

    await db.$executeRawUnsafe(migrationSql('20261206000000_secret_slugs'));

    const slugs = new Map((await db.group.findMany({ select: { id: true, slug: true } })).map((g) => [g.id, g.slug]));
    expect(slugs.get(legacy.id)).toMatch(/^quiet-room--[a-z][a-z0-9]{5}$/);
    expect(slugs.get(legacyNumbered.id)).toMatch(/^quiet-room-2--[a-z][a-z0-9]{5}$/);
    expect(slugs.get(alreadySecret.id)).toBe(alreadySecret.slug);
    expect(alreadySecret.slug).toMatch(/^hush--/);
    expect(slugs.get(visible.id)).toBe('open-room');
    expect(slugs.get(numbered.id)).toBe('open-room-2');

    // What the migration is for: a visible group named like the secret one takes the plain slug, unnumbered.
    expect((await create('Quiet Room', 'PUBLIC')).slug).toBe('quiet-room');
    // The members still reach their group by its new slug.
    const found = ok(await gw.as({ sub: 'alice' })(`query($s: String!) { groupBySlug(slug: $s) { id } }`, { s: slugs.get(legacy.id) }));
    expect(found.groupBySlug).toEqual({ id: legacy.id });
  });
});

describe('20261208000000_create_request_pending_key', () => {
  const FILE = `mutation($n: String!) { createGroup(input: { name: $n }) { createRequest { id status } } }`;
  const CANCEL = `mutation($id: ID!) { cancelCreateRequest(id: $id) { status } }`;
  const lena = { sub: 'lena' };

  it('applies over pending duplicates filed before it, which keep no key and still count as duplicates', async () => {
    const file = async (name: string) => ok(await gw.as(lena)(FILE, { n: name })).createGroup.createRequest.id as string;
    const ids = [await file('Film Night'), await file('Film Night 2'), await file('Film Night 3')];
    const db = gw.app.services.db;
    // Before the key, nothing stopped a member from asking for the same name again and again.
    await db.$executeRawUnsafe(`DROP INDEX "CreateRequest_pendingKey_key"`);
    await db.$executeRawUnsafe(`ALTER TABLE "CreateRequest" DROP COLUMN "pendingKey"`);
    await db.$executeRawUnsafe(`UPDATE "CreateRequest" SET "name" = 'film night' WHERE "id" = '${ids[1]}'`);
    await db.$executeRawUnsafe(`UPDATE "CreateRequest" SET "name" = 'FILM NIGHT' WHERE "id" = '${ids[2]}'`);

    // Statement by statement, as Prisma runs a PostgreSQL migration file.
    for (const statement of migrationSql('20261208000000_create_request_pending_key').split(';')) {
      if (statement.trim()) await db.$executeRawUnsafe(statement);
    }

    const rows = await db.createRequest.findMany({ where: { id: { in: ids } }, select: { status: true, pendingKey: true } });
    expect(rows).toEqual(ids.map(() => ({ status: 'PENDING', pendingKey: null })));
    // The unkeyed pending requests still count: while any of the three is pending, the name is taken.
    for (const id of ids) {
      expect(codes(await gw.as(lena)(FILE, { n: 'Film night' }))).toEqual(['CONFLICT']);
      expect(ok(await gw.as(lena)(CANCEL, { id })).cancelCreateRequest).toEqual({ status: 'CANCELED' });
    }
    const fresh = await file('Film night');
    expect(await db.createRequest.findUniqueOrThrow({ where: { id: fresh }, select: { pendingKey: true } })).toEqual({ pendingKey: '["lena","film night"]' });
    expect(codes(await gw.as(lena)(FILE, { n: 'film night' }))).toEqual(['CONFLICT']);
  });
});
