/**
 * Two gateway processes (`tsx src/server.ts`) on one database and one Redis: a change made through one
 * instance reaches subscribers of the other, and a Redis outage loses nothing: once Redis is back, each
 * subscription fills from the event log what it missed, and receives every committed event once, in order.
 *
 * The instances share a database, so this file runs in one project only: PostgreSQL's when the suite has
 * one (the production setup), else SQLite's (one file shared by both processes).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_SECRET, testEventIds, ok, postGraphQL, tokenFor, type GraphQLResponse, type ViewerSpec } from './helpers/gateway.ts';
import { createTestDatabase, TEST_DATABASE, type TestDatabase } from './helpers/database.ts';
import { findPostgresBin, freePort } from './helpers/postgres.ts';
import { findRedisServer, startRedis, startRelay, type RedisServer } from './helpers/redis.ts';
import { killGateways, launchGateway, openSubscription, startLiveGateway, waitForOutput, type LiveEvent, type LiveSubscription } from './helpers/live.ts';
import { createDb, type Db } from '../src/db/client.ts';
import { manager } from './helpers/world.ts';

const redisBin = findRedisServer();
const runsHere = TEST_DATABASE === (findPostgresBin() ? 'postgresql' : 'sqlite');
if (runsHere && !redisBin) console.log('Redis tests skipped: redis-server is not installed (Debian: apt-get install redis-server).');

interface Instance {
  url: string;
  as(viewer: ViewerSpec): <T = any>(query: string, variables?: Record<string, unknown>) => Promise<GraphQLResponse<T>>;
  ready(): Promise<{ status: number; checks: Record<string, string> }>;
}

async function startInstance(env: Record<string, string>): Promise<Instance> {
  const port = await freePort();
  const gateway = launchGateway({ ...env, PORT: String(port), HOST: '127.0.0.1' });
  await waitForOutput(gateway, 'Groups gateway on', 30_000);
  expect(gateway.output()).toContain('live events: through Redis');
  const url = `http://127.0.0.1:${port}/graphql`;
  return {
    url,
    as: (viewer) => (query, variables) => postGraphQL(url, viewer, query, variables),
    async ready() {
      const response = await fetch(`http://127.0.0.1:${port}/ready`, { signal: AbortSignal.timeout(5_000) });
      return { status: response.status, checks: ((await response.json()) as { checks: Record<string, string> }).checks };
    },
  };
}

describe.runIf(runsHere && redisBin)('two gateway instances sharing Redis', () => {
  let redis: RedisServer;
  let database: TestDatabase;
  let db: Db;
  let a: Instance;
  let b: Instance;
  const subscriptions: LiveSubscription[] = [];

  beforeAll(async () => {
    redis = await startRedis(redisBin!);
    database = await createTestDatabase();
    db = createDb(database.url, { poolSize: 2 });
    const env = { NODE_ENV: 'test', JWT_SECRET: TEST_SECRET, DATABASE_URL: database.url, REDIS_URL: redis.url };
    [a, b] = await Promise.all([startInstance(env), startInstance(env)]);
  }, 90_000);

  afterAll(async () => {
    await Promise.all(subscriptions.map((s) => s.close()));
    killGateways();
    await db?.$disconnect();
    await redis?.stop();
    await database?.drop();
  });

  /** A subscription to every group, from the event `after` on. */
  async function subscribe(instance: Instance, after: string, transport: 'ws' | 'sse' = 'ws') {
    const subscription = openSubscription(instance.url, await tokenFor(manager), { after }, transport);
    subscriptions.push(subscription);
    return subscription;
  }

  const createGroup = async (on: Instance, name: string): Promise<string> =>
    ok(await on.as(manager)(`mutation($n: String!) { createGroup(input: { name: $n }) { group { id } } }`, { n: name })).createGroup.group.id;
  const addMember = async (on: Instance, groupId: string, memberId: string) =>
    ok(await on.as(manager)(`mutation($g: ID!, $m: [ID!]!) { addGroupMembers(groupId: $g, memberIds: $m) { memberId } }`, { g: groupId, m: [memberId] }));

  /** The ids of every event in the log after `after`, in order. */
  const committedAfter = async (after: string) =>
    (await db.groupEvent.findMany({ where: { id: { gt: testEventIds.decode(after)! } }, orderBy: { id: 'asc' }, select: { id: true } })).map((e) => testEventIds.encode(e.id));

  /** Reads everything `subscription` receives until it has every event in the log after `after`. */
  async function expectExactlyTheLog(subscription: LiveSubscription, after: string, received: LiveEvent[] = []) {
    const expected = await committedAfter(after);
    received.push(...(await subscription.events.take(expected.length - received.length, 15_000)));
    expect(received.map((e) => e.id)).toEqual(expected); // each once, in log order
    expect(await subscription.events.unreadAfter(300)).toEqual([]);
    expect(subscription.errors.items).toEqual([]);
    return received;
  }

  it('a change made through one instance reaches a WebSocket subscriber of the other; /ready checks Redis', async () => {
    const start = testEventIds.encode((await db.groupEvent.findFirst({ orderBy: { id: 'desc' } }))?.id ?? 0);
    const onB = await subscribe(b, start);
    const onA = await subscribe(a, start, 'sse');
    const groupId = await createGroup(a, 'Across instances');
    const [created] = await onB.events.take(1, 10_000);
    expect(created).toMatchObject({ type: 'GROUP_CREATED', groupId });
    expect((await onA.events.take(1, 10_000))[0].id).toBe(created.id);
    for (const instance of [a, b]) expect(await instance.ready()).toEqual({ status: 200, checks: expect.objectContaining({ redis: 'ok' }) });
  });

  it('concurrent writes through both instances reach a subscriber of each, once and in log order', async () => {
    const start = testEventIds.encode((await db.groupEvent.findFirst({ orderBy: { id: 'desc' } }))?.id ?? 0);
    const groups = await Promise.all([a, b, a, b].map((on, i) => createGroup(on, `Concurrent ${i}`)));
    const onA = await subscribe(a, start, 'sse');
    const onB = await subscribe(b, start);
    await Promise.all(groups.flatMap((g, i) => Array.from({ length: 5 }, (_, m) => addMember(m % 2 ? a : b, g, `c${i}-${m}`))));
    for (const subscription of [onA, onB]) await expectExactlyTheLog(subscription, start);
  });

  it('while Redis is down, writes go on; once it is back, subscribers get every committed event once, in order', async () => {
    const start = testEventIds.encode((await db.groupEvent.findFirst({ orderBy: { id: 'desc' } }))?.id ?? 0);
    const groupId = await createGroup(a, 'Through the outage');
    const onB = await subscribe(b, start);
    const onA = await subscribe(a, start, 'sse');
    const beforeB = await onB.events.take(1, 10_000);
    const beforeA = await onA.events.take(1, 10_000);

    await redis.stop();
    for (const instance of [a, b]) {
      const { status, checks } = await instance.ready();
      expect(status).toBe(503);
      expect(checks.redis).not.toBe('ok');
    }
    // Committed while Redis is down: published into nowhere (or into a queue that may be dropped).
    for (const [i, on] of [a, b, a, b, a].entries()) await addMember(on, groupId, `during-${i}`);
    expect(onB.events.items).toHaveLength(1);

    await redis.start();
    const received = await expectExactlyTheLog(onB, start, beforeB);
    expect(received.map((e) => `${e.type} ${e.memberId ?? ''}`.trim())).toEqual([
      'GROUP_CREATED manager',
      ...[0, 1, 2, 3, 4].map((i) => `MEMBER_ADDED during-${i}`),
    ]);
    await expectExactlyTheLog(onA, start, beforeA);

    // And live delivery has resumed, through Redis.
    await addMember(b, groupId, 'after');
    expect((await onA.events.take(1, 10_000))[0]).toMatchObject({ type: 'MEMBER_ADDED', memberId: 'after' });
    expect((await onB.events.take(1, 10_000))[0]).toMatchObject({ type: 'MEMBER_ADDED', memberId: 'after' });
    expect((await a.ready()).status).toBe(200);
  });

  it('after Redis comes back, a subscription fills from the log what was committed but never published', async () => {
    const gw = await startLiveGateway({ REDIS_URL: redis.url });
    try {
      const subscription = await gw.subscribe(manager, { after: null });
      await redis.stop();
      // As if its instance had stopped between the commit and the publish.
      const unpublished = await gw.db.groupEvent.create({ data: { type: 'GROUP_UPDATED', groupId: 'elsewhere', groupPrivacy: 'PUBLIC' } });
      await redis.start();
      expect((await subscription.events.take(1, 10_000)).map((e) => e.id)).toEqual([testEventIds.encode(unpublished.id)]);
    } finally {
      await gw.close();
    }
  });

  it('an instance cut off from Redis while the others are not: once back, every instance shows what it could not publish', { timeout: 90_000 }, async () => {
    // c reaches Redis through a relay; a and b directly, and stay connected throughout.
    const relay = await startRelay(redis.url);
    const c = await startInstance({ NODE_ENV: 'test', JWT_SECRET: TEST_SECRET, DATABASE_URL: database.url, REDIS_URL: relay.url });
    const start = testEventIds.encode((await db.groupEvent.findFirst({ orderBy: { id: 'desc' } }))?.id ?? 0);
    const groupId = await createGroup(c, 'Partitioned');
    const onB = await subscribe(b, start);
    const onA = await subscribe(a, start, 'sse');
    const [createdB] = await onB.events.take(1, 10_000);
    const [createdA] = await onA.events.take(1, 10_000);

    await relay.cut();
    // Committed through c while its link is down: the publish waits in its client's queue, then fails (about
    // 10 s of reconnection attempts). b and a never lost Redis, so nothing of theirs reconnects.
    await addMember(c, groupId, 'while-cut');
    await new Promise((resolve) => setTimeout(resolve, 13_000));
    expect(onB.events.items).toHaveLength(1); // the group's creation, still alone
    await relay.restore();
    // No other write happens: the event arrives because c, back, asks every instance to fill from the log.
    await expectExactlyTheLog(onB, start, [createdB]);
    await expectExactlyTheLog(onA, start, [createdA]);
    await relay.cut(); // c is stopped with the others, after the file
  });

  it('SSE clients that leave while their subscription is being set up leave no listener and no slot behind', async () => {
    const gw = await startLiveGateway({ REDIS_URL: redis.url });
    try {
      const token = await tokenFor({ sub: 'flaky' });
      const before = gw.server.app.services.events.listenerCount('groupEvent');
      // Each leaves after 0 to 95 ms: some before the subscription is set up, some during, some after.
      await Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          const controller = new AbortController();
          setTimeout(() => controller.abort(), (i % 20) * 5);
          try {
            const response = await fetch(`${gw.server.url}?query=${encodeURIComponent('subscription { groupEvents(after: "0") { id } }')}`, {
              headers: { accept: 'text/event-stream', authorization: `Bearer ${token}` },
              signal: controller.signal,
            });
            await response.body?.cancel();
          } catch {
            // aborted
          }
        }),
      );
      // Subscriptions still being set up finish (or end) within a few seconds.
      const held = () => ({ listeners: gw.server.app.services.events.listenerCount('groupEvent') - before, slots: gw.server.app.services.audience.slots.count('member:flaky') });
      const deadline = Date.now() + 10_000;
      while ((held().listeners > 0 || held().slots > 0) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(held()).toEqual({ listeners: 0, slots: 0 });
    } finally {
      await gw.close();
    }
  });
});
