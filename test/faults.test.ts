/**
 * Faults: the database failing under the gateway, and the gateway process dying mid-write.
 *
 * - A driver that fails the Nth statement, for every N of a mutation: the answer is INTERNAL_SERVER_ERROR
 *   with a fixed sentence (no SQL, no stack), nothing of the mutation is written, and the same gateway
 *   carries on as soon as the database answers again.
 * - SQLite write-locked by another process; PostgreSQL dropping every connection
 *   (pg_terminate_backend): INTERNAL_SERVER_ERROR while it lasts, recovery without a restart.
 * - The server process SIGKILLed while many mutations are in flight, then started again on the same
 *   database: every invariant holds (membersCount = member rows, an admin in every group with members), and
 *   the event log replayed from nothing gives exactly the memberships that exist (every change has its
 *   event, every event its change).
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import { DriverAdapterError } from '@prisma/driver-adapter-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { buildApp } from '../src/app.ts';
import { sqliteFilePath, tuneSqlite } from '../src/db/adapter.ts';
import { createDb, type Db } from '../src/db/client.ts';
import { codes, ok, postGraphQL, startGateway, TEST_SECRET, tokenFor, type GraphQLResponse, type TestGateway, type ViewerSpec } from './helpers/gateway.ts';
import { createTestDatabase, TEST_DATABASE, type TestDatabase } from './helpers/database.ts';
import { exitWithin, killGateways, launchGateway, waitForOutput } from './helpers/live.ts';
import { freePort } from './helpers/postgres.ts';
import { manager } from './helpers/world.ts';

const MASKED = 'Something went wrong on our side. Try again later.';

/**
 * A switch that makes the driver fail one statement: the Nth from the moment it is armed, or (failCommits)
 * each COMMIT. The faults sit below the gateway's guard for failed COMMITs (releaseFailedTransactions in
 * src/db/adapter.ts), exactly where a real driver error comes from.
 */
class FaultSwitch {
  private left: number | null = null;
  /** Statements run since the last arm() (counted whether or not one failed). */
  count = 0;
  /** COMMITs left to fail. */
  failCommits = 0;
  /**
   * Statements inside a transaction left to fail as PostgreSQL fails a deadlock or a serialization failure
   * (the adapter's TransactionWriteConflict, which Prisma reports as P2034).
   */
  conflicts = 0;
  /** Statements running now, and when the last one ended. */
  inflight = 0;
  lastActive = 0;
  /**
   * Waits until no statement has run for a while. A read's resolvers run side by side: when one statement
   * fails, the error answer goes out while its siblings' statements are still running, and those must not
   * be counted against the next request.
   */
  async settled() {
    while (this.inflight > 0 || Date.now() - this.lastActive < 50) await new Promise((r) => setTimeout(r, 10));
  }
  arm(nth: number) {
    this.left = nth;
    this.count = 0;
  }
  disarm() {
    this.left = null;
  }
  tick(sql: string, inTransaction: boolean) {
    if (inTransaction && this.conflicts > 0 && !/^(BEGIN|COMMIT|ROLLBACK)\b/i.test(sql)) {
      this.conflicts--;
      this.count++;
      throw new DriverAdapterError({ kind: 'TransactionWriteConflict' });
    }
    if (sql === 'COMMIT') {
      if (this.failCommits === 0) return; // a COMMIT is not counted: the Nth statement is one of the work
      this.failCommits--;
      throw new Error('injected fault: the connection dropped at COMMIT');
    }
    this.count++;
    if (this.left === null) return;
    this.left--;
    if (this.left === 0) {
      this.left = null;
      throw new Error('injected fault: the database went away');
    }
  }
}

/**
 * Wraps a Prisma driver adapter (factory, connection, transaction alike) so every statement passes the
 * switch first: the failure comes from below Prisma, as a real one would.
 */
function faulty<T extends object>(target: T, fault: FaultSwitch, inTransaction = false): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver);
      if (typeof value !== 'function') return value;
      if (property === 'queryRaw' || property === 'executeRaw') {
        return async (...args: unknown[]) => {
          fault.inflight++;
          try {
            fault.tick((args[0] as { sql?: string })?.sql ?? '', inTransaction);
            return await value.apply(object, args);
          } finally {
            fault.inflight--;
            fault.lastActive = Date.now();
          }
        };
      }
      if (property === 'connect' || property === 'startTransaction') {
        return async (...args: unknown[]) => faulty(await value.apply(object, args), fault, inTransaction || property === 'startTransaction');
      }
      return value.bind(object);
    },
  });
}

/**
 * The gateway's database client on a driver that fails on demand. Connected, with SQLite's set-up PRAGMAs
 * (createDb runs them on the first connection) done, before any fault is armed: they are statements too.
 */
async function faultyDb(url: string, fault: FaultSwitch): Promise<Db> {
  const db = createDb(url, { poolSize: 5, wrapDriver: (driver) => faulty(driver, fault) });
  await db.$connect();
  // The same PRAGMAs again, queued behind createDb's own on the one connection: when these are done, so are those.
  if (TEST_DATABASE === 'sqlite') await tuneSqlite(db);
  return db;
}

/** Everything a mutation could have written, in a comparable form. */
async function snapshot(db: Db) {
  const [groups, members, requests, events] = await Promise.all([
    db.group.findMany({ orderBy: { id: 'asc' }, select: { id: true, name: true, membersCount: true, recentActivityAt: true } }),
    db.groupMember.findMany({ orderBy: [{ groupId: 'asc' }, { memberId: 'asc' }], select: { groupId: true, memberId: true, role: true } }),
    db.joinRequest.findMany({ orderBy: { id: 'asc' }, select: { id: true, status: true, pendingKey: true } }),
    db.groupEvent.count(),
  ]);
  return { groups, members, requests, events };
}

/** The event log replayed from nothing: the memberships it says exist, as "group member role". */
async function membershipsFromLog(db: Db): Promise<string[]> {
  const state = new Map<string, Map<string, string>>();
  for (const event of await db.groupEvent.findMany({ orderBy: { id: 'asc' } })) {
    const members = state.get(event.groupId) ?? new Map<string, string>();
    state.set(event.groupId, members);
    const who = event.memberId ?? '';
    switch (event.type) {
      case 'GROUP_CREATED':
        members.set(who, 'ADMIN');
        break;
      case 'MEMBER_JOINED':
      case 'MEMBER_ADDED':
        members.set(who, 'MEMBER');
        break;
      case 'MEMBER_LEFT':
      case 'MEMBER_REMOVED':
        members.delete(who);
        break;
      case 'ROLE_ASSIGNED':
        members.set(who, event.role!);
        break;
      case 'ROLE_UNASSIGNED':
        members.set(who, 'MEMBER');
        break;
      case 'GROUP_DELETED':
        state.delete(event.groupId);
        break;
    }
  }
  return [...state].flatMap(([groupId, members]) => [...members].map(([memberId, role]) => `${groupId} ${memberId} ${role}`)).sort();
}

/** The invariants every committed state keeps. */
async function expectInvariants(db: Db) {
  const groups = await db.group.findMany({ include: { members: true } });
  for (const group of groups) {
    expect({ group: group.name, membersCount: group.membersCount }).toEqual({ group: group.name, membersCount: group.members.length });
    if (group.members.length) expect({ group: group.name, hasAdmin: group.members.some((m) => m.role === 'ADMIN') }).toEqual({ group: group.name, hasAdmin: true });
  }
  const members = (await db.groupMember.findMany()).map((m) => `${m.groupId} ${m.memberId} ${m.role}`).sort();
  expect(await membershipsFromLog(db)).toEqual(members);
}

function expectMasked(response: GraphQLResponse) {
  expect(codes(response).length).toBeGreaterThan(0);
  expect(new Set(codes(response))).toEqual(new Set(['INTERNAL_SERVER_ERROR']));
  for (const error of response.errors!) expect(error.message).toBe(MASKED);
  expect(JSON.stringify(response)).not.toMatch(/injected|prisma|SELECT|INSERT|UPDATE "|\/src\/|\s{2}at /i);
}

describe('a database that fails the Nth statement of a request', () => {
  let gw: TestGateway;
  let plain: Db;
  const fault = new FaultSwitch();
  let app: ReturnType<typeof buildApp>;
  const logLines: Record<string, unknown>[] = [];
  const send = async (viewer: ViewerSpec, query: string, variables?: Record<string, unknown>, requestId?: string): Promise<GraphQLResponse> => {
    const token = await tokenFor(viewer);
    const response = await app.yoga.fetch(
      new Request('http://gateway.test/graphql', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(requestId ? { 'x-request-id': requestId } : {}),
        },
        body: JSON.stringify({ query, variables }),
      }),
    );
    return { ...(await response.json()), status: response.status };
  };

  beforeAll(async () => {
    gw = await startGateway(); // only for its fresh database: the gateway under test is built below
    plain = createDb(gw.databaseUrl);
    app = buildApp(loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'info', JWT_SECRET: TEST_SECRET, DATABASE_URL: gw.databaseUrl }), {
      db: await faultyDb(gw.databaseUrl, fault),
      logDestination: { write: (line: string) => void logLines.push(JSON.parse(line)) },
    });
  });
  afterAll(async () => {
    await app?.close();
    await plain?.$disconnect();
    await gw?.close();
  });

  /**
   * Runs `mutation` with the Nth statement failing, for N = 1, 2, … until it no longer reaches a failing
   * statement: every failure is masked and leaves the database as it was; then it succeeds, unassisted.
   */
  async function failEveryStatement(viewer: ViewerSpec, query: string, variables: Record<string, unknown>) {
    let nth = 1;
    for (; nth < 200; nth++) {
      const before = await snapshot(plain);
      const logged = logLines.length;
      fault.arm(nth);
      const response = await send(viewer, query, variables);
      const reached = fault.count >= nth;
      fault.disarm();
      if (!reached) {
        ok(response);
        break;
      }
      expectMasked(response);
      // The log tells what failed, also when it failed inside a permission rule (else graphql-shield
      // swallows it, and the operator reads "Not Authorised!").
      const failures = logLines.slice(logged).filter((line) => line.msg === 'unexpected error').map((line) => (line.err as { message?: string })?.message ?? '');
      expect({ nth, failures }).toEqual({ nth, failures: [expect.stringMatching(/injected fault/)] });
      expect({ nth, state: await snapshot(plain) }).toEqual({ nth, state: before });
    }
    expect(nth).toBeGreaterThan(3); // the mutation really was several statements
    await expectInvariants(plain);
    return nth - 1;
  }

  it('createGroup, addGroupMembers, approveJoinRequests, removeGroupMembers, removeSiteMember and deleteGroup: all or nothing at every statement', async () => {
    const created = await failEveryStatement(manager, `mutation { createGroup(input: { name: "Faulty", privacy: PRIVATE, creatorId: "admin" }) { group { id } } }`, {});
    const groupId = (await plain.group.findFirstOrThrow({ where: { name: 'Faulty' } })).id;
    for (const who of ['ann', 'ben']) {
      ok(await send({ sub: who }, `mutation($g: ID!) { joinGroup(groupId: $g) { joinRequest { id } } }`, { g: groupId }));
    }
    const added = await failEveryStatement({ sub: 'admin' }, `mutation($g: ID!) { addGroupMembers(groupId: $g, memberIds: ["cid", "ann", "dot"]) { memberId } }`, { g: groupId });
    const approved = await failEveryStatement({ sub: 'admin' }, `mutation($g: ID!) { approveJoinRequests(groupId: $g, memberIds: ["ben"]) { status } }`, { g: groupId });
    const removed = await failEveryStatement({ sub: 'admin' }, `mutation($g: ID!) { removeGroupMembers(groupId: $g, memberIds: ["cid", "dot"]) { removedMemberIds } }`, { g: groupId });
    ok(await send({ sub: 'eve' }, `mutation($g: ID!) { joinGroup(groupId: $g) { joinRequest { id } } }`, { g: groupId }));
    const siteRemoved = await failEveryStatement(manager, `mutation { removeSiteMember(memberId: "ben") { groupIds } }`, {});
    const requestCanceled = await failEveryStatement(manager, `mutation { removeSiteMember(memberId: "eve") { canceledJoinRequests } }`, {});
    const deleted = await failEveryStatement(manager, `mutation($g: ID!) { deleteGroup(id: $g) { deletedGroupId } }`, { g: groupId });
    console.log(
      `statements failed one at a time: createGroup ${created}, addGroupMembers ${added}, approveJoinRequests ${approved}, removeGroupMembers ${removed}, ` +
        `removeSiteMember ${siteRemoved} and ${requestCanceled}, deleteGroup ${deleted}`,
    );
    expect(await plain.group.count({ where: { id: groupId } })).toBe(0);
  });

  it('a failing COMMIT is rolled back and its connection released, so later writes go through', async () => {
    ok(await send(manager, `mutation { createGroup(input: { name: "Committed", privacy: PRIVATE, creatorId: "admin" }) { group { id } } }`));
    const groupId = (await plain.group.findFirstOrThrow({ where: { name: 'Committed' } })).id;
    const before = await snapshot(plain);
    // More failures than the pool has connections (5): without the guard, PostgreSQL's pool would run dry
    // (each connection kept inside its transaction) and SQLite's writer lock would never be released.
    for (let attempt = 0; attempt < 7; attempt++) {
      fault.failCommits = 1;
      const response = await send({ sub: 'admin' }, `mutation($g: ID!) { addGroupMembers(groupId: $g, memberIds: ["ann"]) { memberId } }`, { g: groupId });
      expect(fault.failCommits).toBe(0); // the COMMIT was reached, and failed
      expectMasked(response);
      expect(await snapshot(plain)).toEqual(before);
    }
    const added = ok(await send({ sub: 'admin' }, `mutation($g: ID!) { addGroupMembers(groupId: $g, memberIds: ["ann"]) { memberId } }`, { g: groupId }));
    expect(added).toEqual({ addGroupMembers: [{ memberId: 'ann' }] });
    await expectInvariants(plain);
  });

  it('a write the database aborts as a deadlock or write conflict runs again from the start, once for all to see', async () => {
    ok(await send(manager, `mutation { createGroup(input: { name: "Contended", privacy: PRIVATE, creatorId: "admin" }) { group { id } } }`));
    const groupId = (await plain.group.findFirstOrThrow({ where: { name: 'Contended' } })).id;
    const add = (memberId: string) => send({ sub: 'admin' }, `mutation($g: ID!, $m: ID!) { addGroupMembers(groupId: $g, memberIds: [$m]) { memberId role } }`, { g: groupId, m: memberId });
    const eventsBefore = await plain.groupEvent.count({ where: { groupId } });
    // Aborted at its first statement, and again at the first of its second run: the third run goes through.
    fault.conflicts = 2;
    expect(ok(await add('fay'))).toEqual({ addGroupMembers: [{ memberId: 'fay', role: 'MEMBER' }] });
    expect(fault.conflicts).toBe(0);
    expect(await plain.groupMember.count({ where: { groupId, memberId: 'fay' } })).toBe(1);
    expect(await plain.groupEvent.count({ where: { groupId } })).toBe(eventsBefore + 1); // one MEMBER_ADDED, not one per run
    // Aborted every time: after three runs the client gets the masked error, and nothing was written.
    const before = await snapshot(plain);
    fault.conflicts = 3;
    expectMasked(await add('gus'));
    expect(fault.conflicts).toBe(0);
    expect(await snapshot(plain)).toEqual(before);
    fault.conflicts = 0;
    await expectInvariants(plain);
  });

  it('a read failing mid-way is masked, and the next read is whole', async () => {
    ok(await send(manager, `mutation { createGroup(input: { name: "Readable" }) { group { id } } }`));
    const query = `{ groups(first: 10) { totalCount edges { node { id members(first: 5) { totalCount edges { node { memberId } } } viewerCan { update } } } } }`;
    const whole = ok(await send(manager, query));
    let nth = 1;
    for (; nth < 50; nth++) {
      await fault.settled();
      fault.arm(nth);
      const response = await send(manager, query, undefined, `req-read-fault-${nth}`);
      const reached = fault.count >= nth;
      fault.disarm();
      if (!reached) {
        expect(ok(response)).toEqual(whole);
        break;
      }
      expectMasked(response);
      // The log says what failed, on a line carrying the id of the request it failed in.
      const logged = logLines.find((line) => line.msg === 'unexpected error' && line.requestId === `req-read-fault-${nth}`);
      expect(logged, `the error line of request ${nth}`).toMatchObject({ level: 'error', err: { type: expect.any(String) } });
    }
    expect(nth).toBeGreaterThan(2); // the read really was several statements, each of them failed once
    expect(ok(await send(manager, query))).toEqual(whole);
  });
});

describe('the database becoming unreachable, then coming back', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(() => gw?.close());

  it.runIf(TEST_DATABASE === 'sqlite')('SQLite write-locked by another process: the write is INTERNAL_SERVER_ERROR, reads go on, then writes resume', { timeout: 40_000 }, async () => {
    ok(await gw.as(manager)(`mutation { createGroup(input: { name: "Before the lock" }) { group { id } } }`));
    const before = await snapshot(gw.app.services.db);
    const other = new Database(sqliteFilePath(gw.databaseUrl));
    other.prepare('BEGIN EXCLUSIVE').run(); // a backup tool, say: nobody else may read or write
    try {
      const started = Date.now();
      const [write, read] = await Promise.all([
        gw.as(manager)(`mutation { createGroup(input: { name: "During the lock" }) { group { id } } }`),
        gw.as('anonymous')(`{ groups { totalCount } }`),
      ]);
      expectMasked(write);
      // Write-ahead logging: readers are not blocked by a writer, so the list still answers.
      expect(read.data).toEqual({ groups: { totalCount: 1 } });
      expect(Date.now() - started).toBeLessThan(30_000);
    } finally {
      other.prepare('ROLLBACK').run();
      other.close();
    }
    expect(await snapshot(gw.app.services.db)).toEqual(before);
    ok(await gw.as(manager)(`mutation { createGroup(input: { name: "After the lock" }) { group { id } } }`));
    expect(ok(await gw.as('anonymous')(`{ groups { totalCount } }`)).groups.totalCount).toBe(2);
  });

  it.runIf(TEST_DATABASE === 'postgresql')('PostgreSQL dropping every connection mid-load: each mutation all or nothing, then service resumes', { timeout: 40_000 }, async () => {
    const group = ok(await gw.as(manager)(`mutation { createGroup(input: { name: "Busy", creatorId: "admin" }) { group { id } } }`)).createGroup.group;
    const name = new URL(gw.databaseUrl).pathname.slice(1);
    const admin = new pg.Client({ connectionString: gw.databaseUrl });
    await admin.connect();
    try {
      const kill = () => admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [name]);
      const writes = Array.from({ length: 40 }, (_, i) =>
        gw.as({ sub: `m${i}` })(`mutation($g: ID!) { joinGroup(groupId: $g) { membership { memberId } } }`, { g: group.id }),
      );
      await new Promise((resolve) => setTimeout(resolve, 20));
      await kill();
      const answers = await Promise.all(writes);
      for (const answer of answers) if (answer.errors) expectMasked(answer);
      const joined = answers.filter((a) => !a.errors).map((a) => a.data.joinGroup.membership.memberId);
      // Every answer tells the truth: those told they joined are members, the others are not.
      const members = await gw.app.services.db.groupMember.findMany({ where: { groupId: group.id, role: 'MEMBER' } });
      expect(members.map((m) => m.memberId).sort()).toEqual(joined.sort());
    } finally {
      await admin.end();
    }
    await expectInvariants(gw.app.services.db);
    // The pool replaces the dropped connections: no restart needed.
    let recovered: GraphQLResponse | null = null;
    for (let attempt = 0; attempt < 10 && !recovered; attempt++) {
      const answer = await gw.as('anonymous')(`{ groups { totalCount } }`);
      if (!answer.errors) recovered = answer;
      else expectMasked(answer);
    }
    expect(recovered?.data).toEqual({ groups: { totalCount: 1 } });
    ok(await gw.as({ sub: 'late' })(`mutation($g: ID!) { joinGroup(groupId: $g) { membership { memberId } } }`, { g: group.id }));
  });
});

describe('the gateway process killed mid-mutation', () => {
  const databases: TestDatabase[] = [];
  afterEach(async () => {
    killGateways();
    await Promise.all(databases.splice(0).map((db) => db.drop()));
  });

  async function start(databaseUrl: string) {
    const port = await freePort();
    const gateway = launchGateway({ PORT: String(port), HOST: '127.0.0.1', JWT_SECRET: TEST_SECRET, DATABASE_URL: databaseUrl, NODE_ENV: 'test' });
    await waitForOutput(gateway, 'Groups gateway on');
    const url = `http://127.0.0.1:${port}/graphql`;
    const send = (viewer: ViewerSpec, query: string, variables?: Record<string, unknown>) => postGraphQL(url, viewer, query, variables, 15_000);
    return { gateway, send };
  }

  it('SIGKILL during a burst of writes leaves every invariant intact, and the restarted gateway carries on', { timeout: 90_000 }, async () => {
    const database = await createTestDatabase();
    databases.push(database);
    const first = await start(database.url);
    const groups: string[] = [];
    for (const privacy of ['PUBLIC', 'PRIVATE', 'SECRET', 'PUBLIC']) {
      const created = ok(await first.send(manager, `mutation($p: GroupPrivacy!) { createGroup(input: { name: "Burst", privacy: $p, creatorId: "admin" }) { group { id } } }`, { p: privacy }));
      groups.push(created.createGroup.group.id);
    }
    // Many kinds of multi-statement writes at once, over every group.
    const operations = Array.from({ length: 240 }, (_, i) => {
      const g = groups[i % groups.length];
      const person = `p${i % 30}`;
      switch (i % 6) {
        case 0:
          return () => first.send({ sub: person }, `mutation($g: ID!) { joinGroup(groupId: $g) { membership { memberId } } }`, { g });
        case 1:
          return () => first.send({ sub: 'admin' }, `mutation($g: ID!, $m: [ID!]!) { addGroupMembers(groupId: $g, memberIds: $m) { memberId } }`, { g, m: [person, `q${i}`, `r${i}`] });
        case 2:
          return () => first.send({ sub: 'admin' }, `mutation($g: ID!, $m: [ID!]!) { assignRole(groupId: $g, memberIds: $m, role: ADMIN) { memberId } }`, { g, m: [`q${i - 1}`] });
        case 3:
          return () => first.send({ sub: person }, `mutation($g: ID!) { leaveGroup(groupId: $g) { groupId } }`, { g });
        case 4:
          return () => first.send({ sub: 'admin' }, `mutation($g: ID!, $m: [ID!]!) { approveJoinRequests(groupId: $g, memberIds: $m) { status } }`, { g, m: [person] });
        default:
          return () => first.send({ sub: 'admin' }, `mutation($g: ID!, $m: [ID!]!) { removeGroupMembers(groupId: $g, memberIds: $m) { removedMemberIds } }`, { g, m: [`r${i - 5}`] });
      }
    });
    // Twenty clients, each sending its next write as soon as the last is answered, so writes are always in
    // flight; the process is killed once forty have been answered.
    let answered = 0;
    let next = 0;
    const clients = Array.from({ length: 20 }, async () => {
      while (next < operations.length) {
        const run = operations[next++];
        try {
          await run();
          answered++;
        } catch {
          return; // the connection died with the process
        }
      }
    });
    const deadline = Date.now() + 30_000;
    while (answered < 40 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 2));
    process.kill(-first.gateway.child.pid!, 'SIGKILL'); // tsx and the server it runs
    expect(await exitWithin(first.gateway, 5_000)).toBe('SIGKILL');
    await Promise.all(clients);
    expect(answered).toBeGreaterThan(0);
    expect(answered).toBeLessThan(operations.length);

    const db = createDb(database.url);
    try {
      await expectInvariants(db);
      const second = await start(database.url);
      const before = await db.groupMember.count({ where: { groupId: groups[0] } });
      ok(await second.send({ sub: 'after-restart' }, `mutation($g: ID!) { joinGroup(groupId: $g) { membership { memberId } } }`, { g: groups[0] }));
      expect(await db.groupMember.count({ where: { groupId: groups[0] } })).toBe(before + 1);
      await expectInvariants(db);
      console.log(`killed after ${answered} of ${operations.length} writes answered; ${await db.groupEvent.count()} events, all consistent`);
    } finally {
      await db.$disconnect();
    }
  });
});
