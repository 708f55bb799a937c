/**
 * Data migrations, run on a database holding the rows they exist for. The template database has every
 * migration applied, so a test puts back the state a migration fixes and runs that migration's own SQL file
 * (the one `prisma migrate deploy` runs) on the database the run targets. Data migrations written in
 * TypeScript (db/search-keys.ts) are run as the gateway runs them.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, ok, startGateway, TEST_SECRET, type TestGateway } from './helpers/gateway.ts';
import { TEST_DATABASE } from './helpers/database.ts';
import { addMembers, manager } from './helpers/world.ts';
import { loadConfig } from '../src/config.ts';
import { createDb } from '../src/db/client.ts';
import { refreshSearchKeys, refreshSearchKeysAtStart, searchKeysCurrent } from '../src/db/search-keys.ts';
import { SEARCH_KEY_VERSION } from '../src/domain/search.ts';
import { startServer } from '../src/http.ts';

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

describe('20261212000000_search_keys', () => {
  const FILE = `mutation($n: String!) { createGroup(input: { name: $n }) { createRequest { id } } }`;
  const CANCEL = `mutation($id: ID!) { cancelCreateRequest(id: $id) { status } }`;
  const SEARCH = `query($s: String) { groups(filter: { search: $s }, first: 10) { edges { node { name } } } }`;
  const rosa = { sub: 'rosa' };
  /** searchKey as it was before version 2: lower case, LIKE's characters mapped away, nothing else. */
  const versionOneKey = (text: string) => text.toLowerCase().replace(/%/g, '\uFF05').replace(/_/g, '\uFF3F').replace(/\\/g, '\uFF3C');

  it('is marked done on a database that had no keys, and not on one that had', async () => {
    const db = gw.app.services.db;
    // The template database was empty when its migrations ran.
    expect(await searchKeysCurrent(db)).toBe(true);
    ok(await gw.as(manager)(`mutation { createGroup(input: { name: "Key Holders", creatorId: "alice" }) { group { id } } }`));
    await db.dataMigration.deleteMany({ where: { name: SEARCH_KEY_VERSION } });
    // The migration of the current SEARCH_KEY_VERSION (each version's inserts its own name).
    const insert = migrationSql('20261213000000_search_keys_latin').split(';').find((statement) => statement.includes('INSERT INTO'))!;
    expect(insert).toContain(`'${SEARCH_KEY_VERSION}'`);
    await db.$executeRawUnsafe(insert); // on a database that holds a group
    expect(await searchKeysCurrent(db)).toBe(false);
    expect(await refreshSearchKeys(db)).not.toBeNull();
    expect(await searchKeysCurrent(db)).toBe(true);
  });

  it('keys stored by version 1 are recomputed once, and a pending request whose new key is taken keeps none', async () => {
    const db = gw.app.services.db;
    const group = ok(await gw.as(manager)(`mutation { createGroup(input: { name: "Café Crème", creatorId: "alice" }) { group { id } } }`)).createGroup.group.id as string;
    await db.memberName.create({ data: { memberId: 'zoe', name: 'Zoë Saldaña', nameSearch: versionOneKey('Zoë Saldaña'), issuedAt: 1n } });
    await addMembers(gw, group, ['zoe']);
    const brulee = ok(await gw.as(rosa)(FILE, { n: 'Crème Brûlée' })).createGroup.createRequest.id as string;
    // As version 1 stored them. Under it, "Creme Brulee" was another name than "Crème Brûlée": rosa asked for both.
    await db.group.update({ where: { id: group }, data: { nameSearch: versionOneKey('Café Crème') } });
    await db.createRequest.update({ where: { id: brulee }, data: { pendingKey: JSON.stringify(['rosa', versionOneKey('Crème Brûlée')]) } });
    const plain = ok(await gw.as(rosa)(FILE, { n: 'Creme Brulee' })).createGroup.createRequest.id as string;
    await db.dataMigration.deleteMany({ where: { name: SEARCH_KEY_VERSION } });
    const search = async (s: string) => ok(await gw.as(manager)(SEARCH, { s })).groups.edges.map((e: any) => e.node.name);
    expect(await search('cafe')).toEqual([]);

    expect(await refreshSearchKeys(db)).toEqual({ groups: 1, memberNames: 1, createRequests: 1 });

    expect(await search('cafe creme')).toEqual(['Café Crème']);
    const members = ok(await gw.as({ sub: 'alice' })(`query($id: ID!) { group(id: $id) { members(search: "saldana") { edges { node { memberId } } } } }`, { id: group }));
    expect(members.group.members.edges).toEqual([{ node: { memberId: 'zoe' } }]);
    // The request that found its new key taken keeps none, and still counts as a duplicate, as does the other.
    const keys = await db.createRequest.findMany({ where: { id: { in: [brulee, plain] } }, select: { id: true, pendingKey: true } });
    expect(new Map(keys.map((k) => [k.id, k.pendingKey]))).toEqual(new Map([[brulee, null], [plain, '["rosa","creme brulee"]']]));
    expect(codes(await gw.as(rosa)(FILE, { n: 'CRÈME BRULÉE' }))).toEqual(['CONFLICT']);
    expect(ok(await gw.as(rosa)(CANCEL, { id: plain })).cancelCreateRequest).toEqual({ status: 'CANCELED' });
    expect(codes(await gw.as(rosa)(FILE, { n: 'creme brulee' }))).toEqual(['CONFLICT']);
    expect(ok(await gw.as(rosa)(CANCEL, { id: brulee })).cancelCreateRequest).toEqual({ status: 'CANCELED' });
    expect(ok(await gw.as(rosa)(FILE, { n: 'creme brulee' })).createGroup.createRequest.id).toEqual(expect.any(String));

    // Once done, it is not run again.
    await db.group.update({ where: { id: group }, data: { nameSearch: versionOneKey('Café Crème') } });
    expect(await refreshSearchKeys(db)).toBeNull();
    expect(await search('cafe creme')).toEqual([]);
    await db.dataMigration.deleteMany({ where: { name: SEARCH_KEY_VERSION } });
    expect(await refreshSearchKeys(db)).toEqual({ groups: 1, memberNames: 0, createRequests: 0 });
    expect(await search('cafe creme')).toEqual(['Café Crème']);
  });
});

describe('20261213000000_search_keys_latin', () => {
  it('keys stored by version 2 are recomputed: the Latin letters with no accent to strip are spelled in ASCII', async () => {
    const db = gw.app.services.db;
    const id = ok(await gw.as(manager)(`mutation { createGroup(input: { name: "Łódź Øster Walkers", creatorId: "alice" }) { group { id } } }`)).createGroup.group.id as string;
    const search = async (s: string) => ok(await gw.as(manager)(`query($s: String) { groups(filter: { search: $s }) { edges { node { id } } } }`, { s })).groups.edges;
    expect(await search('lodz oster')).toEqual([{ node: { id } }]);
    // As version 2 stored it: accents stripped, `ł` and `ø` kept.
    await db.group.update({ where: { id }, data: { nameSearch: 'łodz øster walkers' } });
    await db.dataMigration.deleteMany({ where: { name: SEARCH_KEY_VERSION } });
    expect(await search('lodz oster')).toEqual([]);
    expect(await refreshSearchKeys(db)).toEqual({ groups: 1, memberNames: 0, createRequests: 0 });
    expect(await search('lodz oster')).toEqual([{ node: { id } }]);
    expect(await search('ŁÓDŹ')).toEqual([{ node: { id } }]);
  });
});

describe('search keys at start-up', () => {
  it('a gateway started on a database of version 1 keys recomputes them before its first answer', async () => {
    const db = gw.app.services.db;
    const id = ok(await gw.as(manager)(`mutation { createGroup(input: { name: "Über Walkers", creatorId: "alice" }) { group { id } } }`)).createGroup.group.id as string;
    await db.group.update({ where: { id }, data: { nameSearch: 'über walkers' } });
    await db.dataMigration.deleteMany({ where: { name: SEARCH_KEY_VERSION } });
    const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: TEST_SECRET, DATABASE_URL: gw.databaseUrl, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' });
    const server = await startServer(config, { db: createDb(gw.databaseUrl, { poolSize: 2 }) });
    try {
      const response = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: `{ groups(filter: { search: "uber" }) { edges { node { id } } } }` }),
      });
      expect((await response.json()).data.groups.edges).toEqual([{ node: { id } }]);
    } finally {
      await server.close();
    }
    expect(await searchKeysCurrent(db)).toBe(true);
  });

  it('a database out of reach at start-up does not keep the gateway from starting; the run is tried again later', async () => {
    const db = createDb(gw.databaseUrl, { poolSize: 1 });
    const failing = Object.assign(Object.create(db), { dataMigration: { count: () => Promise.reject(new Error('connection refused')) } }) as typeof db;
    const warnings: string[] = [];
    const run = refreshSearchKeysAtStart(failing, { info: () => undefined, warn: (_details, message) => warnings.push(message) });
    await run.done;
    run.stop();
    expect(warnings).toEqual(['search keys could not be brought up to date; trying again in 30 s']);
    await db.$disconnect();
  });
});
