/**
 * Display names: recorded from the token a member signs in with, shown beside their id in member lists,
 * join requests and create requests, to exactly those who may see the id.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import pg from 'pg';
import { TEST_DATABASE } from './helpers/database.ts';
import { openSubscription, startLiveGateway, TRANSPORTS, type LiveGateway } from './helpers/live.ts';
import { Audience } from '../src/live/audience.ts';
import { createDb } from '../src/db/client.ts';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { secretKey, signToken } from '../src/auth/viewer.ts';
import { displayNameOf, LIMITS } from '../src/domain/validate.ts';
import { codes, ok, startGateway, TEST_SECRET, type TestGateway, type ViewerSpec } from './helpers/gateway.ts';
import { addMembers, admin, createGroup, manager, outsider, type GroupHandle } from './helpers/world.ts';

const MEMBERS = `query($id: ID!) { group(id: $id) { members { edges { node { memberId memberName } } } } }`;

let gw: TestGateway;
let club: GroupHandle;
let board: GroupHandle;
let circle: GroupHandle;

/** Names are written in the background (db/member-names.ts): waits until those of the tokens seen so far are. */
const written = () => gw.app.services.memberNames.flush();

/** Signs in: any request with a fresh token records the name it carries. */
async function signIn(viewer: ViewerSpec) {
  const { viewer: seen } = ok(await gw.as(viewer)(`{ viewer { memberId name } }`));
  await written();
  return seen as { memberId: string; name: string | null };
}

/** A token issued `secondsAgo` (signToken issues them now). */
function tokenIssued(sub: string, name: string, secondsAgo: number) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ name, roles: [] })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt(now - secondsAgo)
    .setExpirationTime(now + 3_600)
    .sign(secretKey(TEST_SECRET));
}

async function namesIn(groupId: string, viewer: ViewerSpec = manager) {
  const data = ok(await gw.as(viewer)(MEMBERS, { id: groupId }));
  return Object.fromEntries(data.group.members.edges.map((e: any) => [e.node.memberId, e.node.memberName]));
}

beforeAll(async () => {
  gw = await startGateway();
  club = await createGroup(gw, { name: 'Running Club', privacy: 'PUBLIC' });
  board = await createGroup(gw, { name: 'The Board', privacy: 'SECRET' });
  circle = await createGroup(gw, { name: 'Quiet Circle', privacy: 'PRIVATE', settings: { showMemberList: false } });
  await addMembers(gw, club.id, ['ana', 'ben', 'noname']);
  await addMembers(gw, board.id, ['ana']);
  await addMembers(gw, circle.id, ['ana']);
}, 60_000);
afterAll(() => gw.close());

describe('display names', () => {
  it('are recorded at sign-in and shown in the member list; a member who never signed in with one has none', async () => {
    expect(await namesIn(club.id)).toEqual({ admin: null, ana: null, ben: null, noname: null });
    expect(await signIn({ sub: 'ana', name: '  Ana Lima ' })).toEqual({ memberId: 'ana', name: 'Ana Lima' });
    await signIn({ sub: 'ben', name: 'Ben Adeyemi' });
    await signIn({ sub: 'noname' });
    expect(await namesIn(club.id)).toEqual({ admin: null, ana: 'Ana Lima', ben: 'Ben Adeyemi', noname: null });
    // Anyone who may read a PUBLIC group's member list sees them: here an anonymous visitor.
    expect(await namesIn(club.id, 'anonymous')).toMatchObject({ ana: 'Ana Lima' });
  });

  it('follow the token: a new name replaces the old one, a token without one keeps it', async () => {
    await signIn({ sub: 'ben', name: 'Benjamin Adeyemi' });
    expect((await namesIn(club.id)).ben).toBe('Benjamin Adeyemi');
    await signIn({ sub: 'ben' });
    expect((await namesIn(club.id)).ben).toBe('Benjamin Adeyemi');
    // The same name again writes nothing: the row keeps the time it was last changed.
    const before = await gw.app.services.db.memberName.findUniqueOrThrow({ where: { memberId: 'ben' } });
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // CURRENT_TIMESTAMP counts seconds on SQLite
    await signIn({ sub: 'ben', name: 'Benjamin Adeyemi' });
    const after = await gw.app.services.db.memberName.findUniqueOrThrow({ where: { memberId: 'ben' } });
    expect(after.updatedAt.getTime()).toBe(before.updatedAt.getTime());
  });

  it('are the newest token’s: an older token verified later (after a restart, on another instance) changes nothing', async () => {
    const phone = await tokenIssued('cam', 'Cam (old phone)', 7_200);
    const laptop = await tokenIssued('cam', 'Cam Renamed', 60);
    await signIn({ token: laptop });
    expect((await signIn({ token: phone })).name).toBe('Cam (old phone)'); // the token says what it says...
    expect(await gw.app.services.db.memberName.findUnique({ where: { memberId: 'cam' }, select: { name: true } })).toEqual({ name: 'Cam Renamed' }); // ...the list keeps the newer
    // Both new, in the same write: the newer wins there too.
    const older = await tokenIssued('dee', 'Dee Old', 600);
    const newer = await tokenIssued('dee', 'Dee New', 5);
    await Promise.all([gw.as({ token: newer })(`{ viewer { name } }`), gw.as({ token: older })(`{ viewer { name } }`)]);
    await written();
    expect(await gw.app.services.db.memberName.findUnique({ where: { memberId: 'dee' }, select: { name: true } })).toEqual({ name: 'Dee New' });
  });

  it('are the viewer’s own token’s in their own answers, written yet or not', async () => {
    const fresh = { sub: 'fay', name: 'Fay Fresh' };
    await addMembers(gw, club.id, ['fay']);
    const data = ok(await gw.as(fresh)(MEMBERS, { id: club.id }));
    expect(Object.fromEntries(data.group.members.edges.map((e: any) => [e.node.memberId, e.node.memberName]))).toMatchObject({ fay: 'Fay Fresh', ana: 'Ana Lima' });
  });

  it('are recorded from a token whose iat has a fraction (JWT allows one), and so are the others written with it', async () => {
    const now = Date.now() / 1000;
    const fraction = await new SignJWT({ name: 'Fay Fraction' }).setProtectedHeader({ alg: 'HS256' }).setSubject('fraction-fay').setIssuedAt(now - 0.5).setExpirationTime('1h').sign(secretKey(TEST_SECRET));
    const beside = await tokenIssued('fraction-gil', 'Gil Beside', 5);
    await Promise.all([gw.as({ token: fraction })(`{ viewer { name } }`), gw.as({ token: beside })(`{ viewer { name } }`)]);
    await written();
    const names = await gw.app.services.db.memberName.findMany({ where: { memberId: { in: ['fraction-fay', 'fraction-gil'] } }, select: { memberId: true, name: true, issuedAt: true }, orderBy: { memberId: 'asc' } });
    expect(names.map(({ memberId, name }) => [memberId, name])).toEqual([['fraction-fay', 'Fay Fraction'], ['fraction-gil', 'Gil Beside']]);
    expect(Number(names[0].issuedAt)).toBe(Math.floor(now - 0.5));
  });

  it('are not recorded when the token’s name is nothing to show, and are cut to the name limit', async () => {
    for (const name of ['   ', 'Eve\u0007', '\u202Eevil', 'Tab\there', 'Two\u2028lines', '\u200B'.repeat(LIMITS.name) + 'X']) {
      expect(await signIn({ sub: 'odd', name })).toEqual({ memberId: 'odd', name: null });
    }
    expect(await gw.app.services.db.memberName.findUnique({ where: { memberId: 'odd' } })).toBeNull();
    const long = 'Ö'.repeat(LIMITS.name) + 'tail';
    expect((await signIn({ sub: 'odd', name: long })).name).toBe('Ö'.repeat(LIMITS.name));
  });

  it('show no more than the ids do: a hidden group or member list hides them too', async () => {
    await signIn({ sub: 'ana', name: 'Ana Lima' });
    // A member of the secret group sees who is in it; an outsider sees no group at all.
    expect(await namesIn(board.id, { sub: 'ana' })).toMatchObject({ ana: 'Ana Lima' });
    expect(ok(await gw.as(outsider)(MEMBERS, { id: board.id })).group).toBeNull();
    // A PRIVATE group whose member list is hidden: FORBIDDEN for a non-admin member, names included.
    const hidden = await gw.as({ sub: 'ana' })(MEMBERS, { id: circle.id });
    expect(codes(hidden)).toEqual(['FORBIDDEN']);
    expect(JSON.stringify(hidden)).not.toContain('Ana Lima');
  });

  it('name the requester of a join request (to its group’s admins) and of a create request (to Groups Managers)', async () => {
    const { group } = ok(await gw.as(manager)(`mutation { createGroup(input: { name: "Choir", privacy: PRIVATE, creatorId: "admin" }) { group { id } } }`)).createGroup;
    const cleo = { sub: 'cleo', name: 'Cleo Park' };
    ok(await gw.as(cleo)(`mutation($id: ID!) { joinGroup(groupId: $id) { joinRequest { id } } }`, { id: group.id }));
    await written();
    const requests = ok(await gw.as(admin)(`query($id: ID!) { group(id: $id) { joinRequests { edges { node { memberId memberName } } } } }`, { id: group.id }));
    expect(requests.group.joinRequests.edges.map((e: any) => e.node)).toEqual([{ memberId: 'cleo', memberName: 'Cleo Park' }]);
    const own = ok(await gw.as(cleo)(`{ viewer { joinRequests { edges { node { memberName } } } } }`));
    expect(own.viewer.joinRequests.edges.map((e: any) => e.node.memberName)).toEqual(['Cleo Park']);

    ok(await gw.as(manager)(`mutation { updateGroupsSettings(input: { groupCreation: ADMIN_APPROVAL }) { groupCreation } }`));
    const dan = { sub: 'dan', name: 'Dan Cho' };
    const made = ok(await gw.as(dan)(`mutation { createGroup(input: { name: "Dan's Darts" }) { createRequest { id requestedBy requestedByName } } }`));
    expect(made.createGroup.createRequest).toMatchObject({ requestedBy: 'dan', requestedByName: 'Dan Cho' });
    await written();
    const queue = ok(await gw.as(manager)(`{ createRequests { edges { node { requestedBy requestedByName } } } }`));
    expect(queue.createRequests.edges.map((e: any) => e.node)).toContainEqual({ requestedBy: 'dan', requestedByName: 'Dan Cho' });
  });
});

describe('members(search:)', () => {
  const SEARCH = `query($id: ID!, $search: String, $role: GroupRole, $first: Int, $after: String) {
    group(id: $id) { members(search: $search, role: $role, first: $first, after: $after) {
      totalCount edges { node { memberId memberName } } pageInfo { hasNextPage endCursor } } } }`;
  let team: GroupHandle;
  const found = async (search: string | null, extra: Record<string, unknown> = {}, viewer: ViewerSpec = admin) => {
    const data = ok(await gw.as(viewer)(SEARCH, { id: team.id, search, ...extra }));
    return { total: data.group.members.totalCount, ids: data.group.members.edges.map((e: any) => e.node.memberId) };
  };

  beforeAll(async () => {
    team = await createGroup(gw, { name: 'Search Team', privacy: 'PRIVATE' });
    await addMembers(gw, team.id, ['u_1', 'u%2', 'Zoe.Hart', 'émile', 'quiet', 'ana']);
    await signIn({ sub: 'u_1', name: 'Sofía Núñez' });
    await signIn({ sub: 'u%2', name: 'Ben 100% Ready' });
    await signIn({ sub: 'émile', name: 'ÉMILE ZOLA' });
    await signIn({ sub: 'ana', name: 'Ana Lima' });
  });

  it('finds members by a part of their display name or id, case-insensitive, and counts what it finds', async () => {
    expect(await found('sofía')).toEqual({ total: 1, ids: ['u_1'] });
    expect(await found('NÚÑ')).toEqual({ total: 1, ids: ['u_1'] });
    expect(await found('émile zo')).toEqual({ total: 1, ids: ['émile'] }); // by name: any script's case
    // Names compare as group names do: without their accents, however typed.
    expect(await found('sofia nunez')).toEqual({ total: 1, ids: ['u_1'] });
    expect(await found('NUN')).toEqual({ total: 1, ids: ['u_1'] });
    expect(await found('emile z')).toEqual({ total: 1, ids: ['émile'] });
    expect(await found('Sofi\u0301a')).toEqual({ total: 1, ids: ['u_1'] });
    expect(await found('zoe.')).toEqual({ total: 1, ids: ['Zoe.Hart'] }); // by id, which has no name
    expect(await found('QUIET')).toEqual({ total: 1, ids: ['quiet'] });
    expect(await found(' li ')).toEqual({ total: 1, ids: ['ana'] }); // trimmed: "Ana Lima"
    expect(await found('nobody')).toEqual({ total: 0, ids: [] });
    // Blank is no filter.
    expect((await found('  ')).total).toBe(7);
    expect((await found(null)).total).toBe(7);
  });

  it('reads % and _ as themselves', async () => {
    expect(await found('%')).toEqual({ total: 1, ids: ['u%2'] }); // the id u%2 and the name "Ben 100% Ready"
    expect(await found('u_')).toEqual({ total: 1, ids: ['u_1'] });
    expect(await found('_')).toEqual({ total: 1, ids: ['u_1'] });
    expect(await found('0% r')).toEqual({ total: 1, ids: ['u%2'] });
  });

  it('combines with role and pages', async () => {
    expect(await found('a', { role: 'ADMIN' })).toEqual({ total: 1, ids: ['admin'] });
    const first = ok(await gw.as(admin)(SEARCH, { id: team.id, search: 'a', first: 2 })).group.members;
    // admin and Zoe.Hart by id; Sofía Núñez, Ben 100% Ready, ÉMILE ZOLA and Ana Lima by name; not quiet.
    expect(first.totalCount).toBe(6);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const rest = ok(await gw.as(admin)(SEARCH, { id: team.id, search: 'a', first: 10, after: first.pageInfo.endCursor })).group.members;
    const all = [...first.edges, ...rest.edges].map((e: any) => e.node.memberId);
    expect(all).toEqual((await found('a', { first: 10 })).ids);
    expect(new Set(all).size).toBe(first.totalCount);
  });

  it('takes at most 3 searches in one request, fragments counted each time they are spread', async () => {
    const searches = (n: number) => Array.from({ length: n }, (_, i) => `s${i}: members(search: "x${i}", first: 1) { totalCount }`).join(' ');
    ok(await gw.as(admin)(`query($id: ID!) { group(id: $id) { ${searches(3)} all: members { totalCount } } }`, { id: team.id }));
    const refused = [
      await gw.as(admin)(`query($id: ID!) { group(id: $id) { ${searches(4)} } }`, { id: team.id }),
      await gw.as(admin)(`query($id: ID!) { a: group(id: $id) { ...S } b: group(id: $id) { ...S } } fragment S on Group { ${searches(2)} }`, { id: team.id }),
      await gw.as('anonymous')(`query($s: String, $id: ID!) { a: group(id: $id) { ${[1, 2, 3, 4].map((i) => `m${i}: members(search: $s) { totalCount }`).join(' ')} } }`, { id: team.id, s: 'a' }),
    ];
    for (const response of refused) {
      expect(response.errors!.map((e) => [e.extensions?.code, e.message])).toEqual([['BAD_USER_INPUT', 'At most 3 member searches (members with a search) may be asked in one request.']]);
      expect(response.data ?? null).toBeNull();
    }
  });

  it('refuses an overlong term, and finds nothing in a list the viewer may not read', async () => {
    const long = await gw.as(admin)(SEARCH, { id: team.id, search: 'x'.repeat(201) });
    expect(codes(long)).toEqual(['BAD_USER_INPUT']);
    expect(long.errors![0].message).toBe('"search" must be at most 200 characters.');
    // An outsider of a PRIVATE group: FORBIDDEN, whether or not the search would find someone.
    for (const search of ['sofía', 'nobody']) {
      const denied = await gw.as(outsider)(SEARCH, { id: team.id, search });
      expect(codes(denied)).toEqual(['FORBIDDEN']);
      expect(denied.data.group.members).toBeNull();
    }
  });

  it('costs the same statements at any page size, on every group of a list', async () => {
    const query = `query($first: Int) { groups(first: 10) { edges { node { id members(search: "a", first: $first) { totalCount edges { node { memberId memberName } } } } } } }`;
    const counts = [];
    const edges = [];
    for (const first of [1, 20]) {
      gw.statements.length = 0;
      const data = ok(await gw.as(manager)(query, { first }));
      counts.push(gw.statements.length);
      edges.push(data.groups.edges.reduce((n: number, e: any) => n + e.node.members.edges.length, 0));
    }
    expect(edges[1]).toBeGreaterThan(edges[0] + 5);
    expect(counts[0]).toBe(counts[1]);
    // The groups, their members found, how many each found, and their names.
    expect(counts[0]).toBeLessThanOrEqual(4);
  });
});

describe('a name write held up by a lock', () => {
  // On PostgreSQL a row lock held elsewhere (a migration, an operator's session) makes the write wait: the
  // sign-ins go on meanwhile, and the names are written once it is released. (On SQLite a write lock held by
  // another process pauses the whole process, names or not: README, "Writes and the event log".)
  it.runIf(TEST_DATABASE === 'postgresql')('holds up neither the sign-ins nor anyone else', async () => {
    await signIn({ sub: 'gil', name: 'Gil One' });
    const other = new pg.Client({ connectionString: gw.databaseUrl });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query(`UPDATE "MemberName" SET "name" = "name" WHERE "memberId" = 'gil'`);
      const started = Date.now();
      const answers = await Promise.all([
        ...Array.from({ length: 8 }, (_, i) => gw.as({ sub: 'gil', name: `Gil ${i + 2}` })(`{ viewer { name } }`)),
        gw.as('anonymous')(MEMBERS, { id: club.id }),
      ]);
      for (const answer of answers) ok(answer);
      expect(Date.now() - started).toBeLessThan(3_000);
      await other.query('ROLLBACK');
    } finally {
      await other.end();
    }
    await written();
    expect((await gw.app.services.db.memberName.findUniqueOrThrow({ where: { memberId: 'gil' } })).name).toMatch(/^Gil [2-9]$/);
  });
});

describe('live events', () => {
  const NAMED_EVENTS = `subscription($groupId: ID, $after: ID) { groupEvents(groupId: $groupId, after: $after) { id type memberId memberName } }`;
  let live: LiveGateway;
  let groupId: string;
  beforeAll(async () => {
    live = await startLiveGateway();
    groupId = ok(await live.as(manager)(`mutation { createGroup(input: { name: "Live Names", privacy: PUBLIC, creatorId: "admin" }) { group { id } } }`)).createGroup.group.id;
  });
  afterAll(() => live?.close());

  const join = async (viewer: { sub: string; name?: string }) => {
    ok(await live.as(viewer)(`mutation($id: ID!) { joinGroup(groupId: $id) { membership { memberId } } }`, { id: groupId }));
  };

  it('name a new member in the event of their first request, before their name is written', async () => {
    const token = await gw.token(admin);
    const subscribers = TRANSPORTS.map((transport) => openSubscription(live.server.url, token, { groupId, after: null }, transport, NAMED_EVENTS));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await join({ sub: 'kay', name: 'Kay First' }); // signs in and joins in one request
    for (const subscriber of subscribers) {
      const [event] = (await subscriber.events.take(1)) as unknown as { memberId: string; memberName: string }[];
      expect({ memberId: event!.memberId, memberName: event!.memberName }).toEqual({ memberId: 'kay', memberName: 'Kay First' });
      await subscriber.close();
    }
  });

  it('name the member an event is about, live and replayed, over both transports', async () => {
    await join({ sub: 'hal', name: 'Hal Early' });
    await join({ sub: 'ivy' }); // never signed in with a name
    await live.server.app.services.memberNames.flush();
    const after = await live.latestEventId();
    const token = await gw.token(admin);
    for (const transport of TRANSPORTS) {
      const replay = openSubscription(live.server.url, token, { groupId, after: '0' }, transport, NAMED_EVENTS);
      const logged = await live.db.groupEvent.count({ where: { groupId } });
      const events = (await replay.events.take(logged)) as unknown as { type: string; memberId: string | null; memberName: string | null }[];
      expect(events.filter((e) => e.type === 'MEMBER_JOINED').map(({ memberId, memberName }) => ({ memberId, memberName }))).toEqual([
        { memberId: 'kay', memberName: 'Kay First' }, // the test above
        { memberId: 'hal', memberName: 'Hal Early' },
        { memberId: 'ivy', memberName: null },
      ]);
      expect(events.filter((e) => e.memberId === null).every((e) => e.memberName === null)).toBe(true);
      await replay.close();
    }
    const subscribers = TRANSPORTS.map((transport) => openSubscription(live.server.url, token, { groupId, after }, transport, NAMED_EVENTS));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const jon = { sub: 'jon', name: 'Jon Later' };
    ok(await live.as(jon)(`{ viewer { name } }`));
    await live.server.app.services.memberNames.flush();
    await join(jon);
    for (const subscriber of subscribers) {
      const [event] = (await subscriber.events.take(1)) as unknown as { type: string; memberId: string; memberName: string }[];
      expect({ type: event!.type, memberId: event!.memberId, memberName: event!.memberName }).toEqual({ type: 'MEMBER_JOINED', memberId: 'jon', memberName: 'Jon Later' });
      await subscriber.close();
    }
  });
});

describe('Audience.memberName', () => {
  it('reads a live event’s name once for all its subscribers', async () => {
    await signIn({ sub: 'kit', name: 'Kit Once' });
    const statements: string[] = [];
    const db = createDb(gw.databaseUrl, { poolSize: 2, onQuery: (sql) => statements.push(sql) });
    try {
      const audience = new Audience(db, TEST_SECRET);
      const event = { id: 999_999, type: 'MEMBER_JOINED' as const, groupId: club.id, groupPrivacy: 'PUBLIC' as const, memberListShown: true, memberId: 'kit', role: 'MEMBER' as const, actorId: 'kit', occurredAt: new Date() };
      const names = await Promise.all(Array.from({ length: 200 }, () => audience.memberName({ ...event })));
      expect(new Set(names)).toEqual(new Set(['Kit Once']));
      expect(statements).toHaveLength(1);
    } finally {
      await db.$disconnect();
    }
  });
});

describe('JWT_NAME_CLAIM', () => {
  let named: TestGateway;
  beforeAll(async () => {
    named = await startGateway({ JWT_NAME_CLAIM: 'nickname' });
  });
  afterAll(() => named?.close());

  it('reads the display name from the claim it names, and only from it', async () => {
    const key = secretKey(TEST_SECRET);
    const viaNickname = await signToken(key, { sub: 'kim', name: 'Kim S.', nameClaim: 'nickname' });
    const viaName = await signToken(key, { sub: 'lee', name: 'Lee Ray' });
    expect(ok(await named.as({ token: viaNickname })(`{ viewer { name } }`)).viewer.name).toBe('Kim S.');
    expect(ok(await named.as({ token: viaName })(`{ viewer { name } }`)).viewer.name).toBeNull();
    await named.app.services.memberNames.flush();
    expect(await named.app.services.db.memberName.findMany({ select: { memberId: true, name: true } })).toEqual([{ memberId: 'kim', name: 'Kim S.' }]);
  });
});

describe('a name that cannot be recorded', () => {
  it('is logged, and the request goes on', async () => {
    const base = await startGateway();
    const lines: Record<string, unknown>[] = [];
    const app = buildApp(loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'info', JWT_SECRET: TEST_SECRET, DATABASE_URL: base.databaseUrl }), {
      logDestination: { write: (line: string) => void lines.push(JSON.parse(line)) },
    });
    try {
      await app.services.db.$executeRawUnsafe('DROP TABLE "MemberName"');
      const token = await signToken(secretKey(TEST_SECRET), { sub: 'mo', name: 'Mo Diaz' });
      const response = await app.yoga.fetch(
        new Request('http://gateway.test/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query: '{ viewer { memberId name } }' }),
        }),
      );
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ data: { viewer: { memberId: 'mo', name: 'Mo Diaz' } } });
      await app.services.memberNames.flush();
      const line = lines.find((l) => l.msg === 'display names not recorded');
      expect(line).toMatchObject({ level: 'warn', memberIds: ['mo'], count: 1 });
      expect(JSON.stringify(lines)).not.toContain('Mo Diaz'); // no display name is ever logged
    } finally {
      await app.close();
      await base.close();
    }
  });
});

describe('displayNameOf', () => {
  it('keeps a name to show, trimmed, and nothing else', () => {
    expect(displayNameOf(' Zoë Ødegaard ')).toBe('Zoë Ødegaard');
    expect(displayNameOf('李小龍')).toBe('李小龍');
    expect(displayNameOf('محمد')).toBe('محمد');
    for (const claim of [undefined, null, 42, ['Ana'], '', ' \u200B ', 'a\nb', 'a\u0000b', 'x\u202Ey', '\uD800']) {
      expect(displayNameOf(claim)).toBeNull();
    }
  });

  it('cuts an overlong name between characters as they are seen, and keeps only what still shows', () => {
    const emoji = '😀'.repeat(LIMITS.name + 1);
    expect(Array.from(displayNameOf(emoji)!)).toHaveLength(LIMITS.name);
    expect(displayNameOf('a'.repeat(LIMITS.name - 1) + ' b')).toBe('a'.repeat(LIMITS.name - 1));
    // A family emoji is five code points: never cut into a lone person.
    expect(displayNameOf('a'.repeat(LIMITS.name - 2) + '👩‍👩‍👧')).toBe('a'.repeat(LIMITS.name - 2));
    expect(displayNameOf('e\u0301'.repeat(60))).toBe('e\u0301'.repeat(50));
    // Nothing visible within the limit: no name, whatever came after it.
    for (const blank of ['\u200B', '\u0301', '\u3164']) expect(displayNameOf(blank.repeat(LIMITS.name) + 'X')).toBeNull();
    expect(displayNameOf('Bob\u2029Admin')).toBeNull();
  });
});
