/**
 * Data migrations, run on a database holding the rows they exist for. The template database has every
 * migration applied, so a test puts back the state a migration fixes and runs that migration's own SQL file
 * (the one `prisma migrate deploy` runs) on the database the run targets.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, startGateway, type TestGateway } from './helpers/gateway.ts';
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
