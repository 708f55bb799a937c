/**
 * The rate limit across instances: two gateways with the same REDIS_URL count a viewer's operations in
 * the same Redis keys, so RATE_LIMIT_POINTS hold across both. With Redis gone, each instance counts in its own
 * process, at once (no request waits for Redis), and Redis takes over again when it is back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, startGateway, type TestGateway, type ViewerSpec } from './helpers/gateway.ts';
import { findRedisServer, startRedis, type RedisServer } from './helpers/redis.ts';

const redisBin = findRedisServer();
if (!redisBin) console.log('Shared rate limit tests skipped: redis-server is not installed (Debian: apt-get install redis-server).');

describe.runIf(redisBin)('the rate limit shared through Redis', () => {
  let redis: RedisServer;
  let a: TestGateway;
  let b: TestGateway;
  const POINTS = 3;

  beforeAll(async () => {
    redis = await startRedis(redisBin!);
    const env = { REDIS_URL: redis.url, RATE_LIMIT_POINTS: String(POINTS), RATE_LIMIT_DURATION: '60' };
    [a, b] = await Promise.all([startGateway(env), startGateway(env)]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await redis?.stop();
  });

  const typename = (gw: TestGateway, viewer: ViewerSpec) => gw.as(viewer)('{ __typename }');

  /**
   * A new viewer's operations, alternating between the instances, until the count is shared: POINTS answered,
   * then a refusal that neither instance alone would give. An instance counts in its own process until its
   * Redis client is connected (at start, after an outage), so this waits for that, bounded.
   */
  async function sharedCount(): Promise<{ viewer: ViewerSpec; refused: Awaited<ReturnType<typeof typename>> }> {
    const deadline = Date.now() + 15_000;
    for (let attempt = 0; ; attempt++) {
      const viewer = { sub: `rate-${attempt}-${Date.now()}` };
      const statuses: number[] = [];
      for (let i = 0; i < POINTS; i++) statuses.push((await typename(i % 2 ? b : a, viewer)).status);
      expect(statuses).toEqual([200, 200, 200]);
      // a has seen two of them, b one: only a shared count refuses this one.
      const refused = await typename(b, viewer);
      if (refused.status === 429) return { viewer, refused };
      if (Date.now() > deadline) throw new Error('the instances never shared the count');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  it('counts a viewer’s operations on every instance together', async () => {
    const { viewer, refused } = await sharedCount();
    expect(codes(refused)).toEqual(['RATE_LIMITED']);
    expect((await typename(a, viewer)).status).toBe(429);
    // Another viewer has points of their own.
    expect((await typename(a, { sub: 'rate-other' })).status).toBe(200);
  });

  /** A viewer's POINTS operations on instance a, then one more: counted (in this process or not), and refused. */
  async function expectCountedOnA(sub: string) {
    const viewer = { sub };
    const started = Date.now();
    const onA = [];
    for (let i = 0; i < POINTS; i++) onA.push((await typename(a, viewer)).status);
    expect(onA).toEqual([200, 200, 200]);
    // The in-process count still limits: one more on the same instance is refused.
    expect((await typename(a, viewer)).status).toBe(429);
    expect(Date.now() - started).toBeLessThan(5_000);
  }

  it('counts in each process while Redis is away, without waiting for it, and shares again once it is back', async () => {
    await redis.stop();
    try {
      await expectCountedOnA('rate-outage');
    } finally {
      await redis.start();
    }
    await sharedCount();
  }, 40_000);

  it('counts in each process, within a moment, while Redis is connected but does not answer (frozen)', async () => {
    await sharedCount();
    redis.pause();
    try {
      // Before, each of these waited for Redis as long as it was frozen (postGraphQL gives up after 10 s).
      await expectCountedOnA('rate-frozen');
      // Points that each waited out the command timeout, three in a row: Redis is left aside for a while, and
      // the next requests do not wait for it at all (before, each of them waited 200 ms more).
      const others = Date.now();
      for (let i = 0; i < 5; i++) expect((await typename(a, { sub: `rate-frozen-${i}` })).status).toBe(200);
      expect(Date.now() - others).toBeLessThan(600);
    } finally {
      redis.resume();
    }
    await sharedCount();
  }, 60_000);
});
