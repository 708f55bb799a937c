/**
 * Isolation: what other requests see and do while one mutation's transaction is open, on SQLite and on
 * PostgreSQL alike. The driver below the gateway holds a mutation's last statement until the test lets it
 * go (or fails it), so the transaction stays open, with its change written, for as long as the test needs.
 *
 * - A read sees only what has committed: not a rename in progress, and not a SECRET group being made PUBLIC
 *   by a change that then fails.
 * - A write outside any transaction (a member's create request, under ADMIN_APPROVAL) sent while another
 *   mutation's transaction is open is kept when that transaction rolls back.
 *
 * On SQLite both failed before reads and such writes were given their own path (SqliteAdapterFactory in
 * src/db/adapter.ts): the adapter ran them on the connection that held the open transaction.
 */
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createDb, type Db } from '../src/db/client.ts';
import { codes, ok, startGateway, TEST_SECRET, tokenFor, type GraphQLResponse, type TestGateway, type ViewerSpec } from './helpers/gateway.ts';
import { admin, anonymous, manager, member, threeGroups, type GroupHandle, type Privacy } from './helpers/world.ts';

/** The statement held: a mutation's last before its COMMIT (its events), when its change is written. */
const HELD_STATEMENT = /INSERT INTO "GroupEvent"/;

/** Holds the next event INSERT sent in a transaction until release() (which lets it through or fails it). */
class StatementHold {
  private armed: { reached: () => void; released: Promise<boolean> } | null = null;
  private release_: (commit: boolean) => void = () => undefined;

  /** Arms the hold; `reached` settles once a statement is held. */
  arm(): { reached: Promise<void> } {
    let reached!: () => void;
    const reachedPromise = new Promise<void>((resolve) => (reached = resolve));
    const released = new Promise<boolean>((resolve) => (this.release_ = resolve));
    this.armed = { reached, released };
    return { reached: reachedPromise };
  }
  /** Lets the held statement run (`true`) or fails it as a dropped connection would (`false`). */
  release(commit: boolean) {
    this.release_(commit);
  }
  async pass(sql: string) {
    if (!HELD_STATEMENT.test(sql) || !this.armed) return;
    const { reached, released } = this.armed;
    this.armed = null;
    reached();
    if (!(await released)) throw new Error('injected fault: the connection dropped');
  }
}

/** The driver with every transaction's statements passing the hold first. */
function holding(factory: SqlMigrationAwareDriverAdapterFactory, hold: StatementHold): SqlMigrationAwareDriverAdapterFactory {
  const wrap = <T extends object>(target: T, inTransaction: boolean): T =>
    new Proxy(target, {
      get(object, property, receiver) {
        const value = Reflect.get(object, property, receiver);
        if (typeof value !== 'function') return value;
        if (inTransaction && (property === 'queryRaw' || property === 'executeRaw')) {
          return async (query: { sql: string }) => {
            await hold.pass(query.sql);
            return value.call(object, query);
          };
        }
        if (property === 'connect') return async () => wrap(await value.call(object), false);
        if (property === 'startTransaction') return async (...args: unknown[]) => wrap(await value.apply(object, args), true);
        return value.bind(object);
      },
    });
  return wrap(factory, false);
}

describe('while a mutation’s transaction is open', () => {
  let gw: TestGateway;
  let app: ReturnType<typeof buildApp>;
  let plain: Db;
  let groups: Record<Privacy, GroupHandle>;
  const hold = new StatementHold();

  const send = async (viewer: ViewerSpec, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse> => {
    const token = await tokenFor(viewer);
    const response = await app.yoga.fetch(
      new Request('http://gateway.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      }),
    );
    return (await response.json()) as GraphQLResponse;
  };

  /**
   * Sends `mutation` and resolves once its transaction is held open, with its answer to come (wrapped: an
   * async function returning the promise itself would wait for it).
   */
  async function heldMutation(viewer: ViewerSpec, mutation: string, variables: Record<string, unknown>): Promise<{ answer: Promise<GraphQLResponse> }> {
    const { reached } = hold.arm();
    const answer = send(viewer, mutation, variables);
    await Promise.race([reached, answer.then((response) => Promise.reject(new Error(`answered before it was held: ${JSON.stringify(response)}`)))]);
    return { answer };
  }

  beforeAll(async () => {
    gw = await startGateway(); // its fresh database and its world; the gateway under test is built below
    groups = await threeGroups(gw);
    plain = createDb(gw.databaseUrl);
    const db = createDb(gw.databaseUrl, { poolSize: 5, wrapDriver: (driver) => holding(driver, hold) });
    app = buildApp(loadConfig({ NODE_ENV: 'test', JWT_SECRET: TEST_SECRET, DATABASE_URL: gw.databaseUrl }), { db });
  });
  afterEach(() => hold.release(false)); // a test that failed while holding lets its transaction go
  afterAll(async () => {
    await app?.close();
    await plain?.$disconnect();
    await gw?.close();
  });

  const nameOf = `query ($id: ID!) { group(id: $id) { name } }`;
  const rename = `mutation ($id: ID!, $name: String!) { updateGroup(id: $id, input: { name: $name }) { name } }`;

  it('a read sees the group as last committed, then the change once it has committed', async () => {
    const { answer } = await heldMutation(admin, rename, { id: groups.PUBLIC.id, name: 'Renamed club' });
    expect(ok(await send(anonymous, nameOf, { id: groups.PUBLIC.id }))).toEqual({ group: { name: 'public club' } });
    hold.release(true);
    expect(ok(await answer)).toEqual({ updateGroup: { name: 'Renamed club' } });
    expect(ok(await send(anonymous, nameOf, { id: groups.PUBLIC.id }))).toEqual({ group: { name: 'Renamed club' } });
  });

  it('a SECRET group being made PUBLIC stays hidden until that commits, and for good when it fails', async () => {
    const secret = groups.SECRET;
    const visible = `query ($id: ID!) { group(id: $id) { name } groups(first: 50) { totalCount edges { node { id } } } }`;
    const before = ok(await send(anonymous, visible, { id: secret.id }));
    expect(before.group).toBeNull();

    const { answer } = await heldMutation(admin, `mutation ($id: ID!) { updateGroup(id: $id, input: { privacy: PUBLIC }) { privacy } }`, { id: secret.id });
    const during = ok(await send(anonymous, visible, { id: secret.id }));
    expect(during).toEqual(before);
    expect(during.groups.edges.map((e: { node: { id: string } }) => e.node.id)).not.toContain(secret.id);
    hold.release(false);
    expect(codes(await answer)).toEqual(['INTERNAL_SERVER_ERROR']);
    expect(ok(await send(anonymous, visible, { id: secret.id }))).toEqual(before);
  });

  it('a create request sent meanwhile is kept when that transaction rolls back', async () => {
    const { answer } = await heldMutation(admin, rename, { id: groups.PRIVATE.id, name: 'Never named' });
    const requested = send(member, `mutation { createGroup(input: { name: "Chess evenings" }) { group { id } createRequest { id status } } }`);
    // The request may answer before the release (PostgreSQL) or wait for the writer (SQLite): both are fine.
    await new Promise((resolve) => setTimeout(resolve, 100));
    hold.release(false);
    expect(codes(await answer)).toEqual(['INTERNAL_SERVER_ERROR']);
    const created = ok(await requested).createGroup;
    expect(created).toMatchObject({ group: null, createRequest: { status: 'PENDING' } });

    const queue = ok(await send(manager, `{ createRequests(status: PENDING, first: 50) { edges { node { id name } } } }`));
    expect(queue.createRequests.edges).toContainEqual({ node: { id: created.createRequest.id, name: 'Chess evenings' } });
    expect(await plain.createRequest.count({ where: { name: 'Chess evenings' } })).toBe(1);
    expect((await plain.group.findUniqueOrThrow({ where: { id: groups.PRIVATE.id } })).name).toBe('private club');
  });
});
