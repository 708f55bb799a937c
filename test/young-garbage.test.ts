/**
 * What a request allocates must die young: once its answer is sent, nothing of it may survive into the
 * old generation. When it does, every young-generation collection copies the dead requests of the last
 * tens of milliseconds and pauses the process for longer, which is what held the bench's p99 at 4-5x its
 * p50 (bench/README.md, round 8). Two causes were found and are guarded here:
 * - a WeakMap entry per request (V8's young collector keeps a WeakMap's values alive even when their key
 *   has died): src/observability/request-state.ts;
 * - an object literal made by a spread followed by more properties, which on Node 20 makes the next young
 *   collection keep the garbage allocated next to it: the context (src/context.ts). The same fix in a
 *   group list's sort keys and a group's rules and questions is not guarded (see below).
 *
 * The gateway runs as a real process, with logs, metrics and the rate limit on, and a preloaded module
 * (test/helpers/gc-report.ts) that records its collections while autocannon sends it requests. The
 * assertion is on bytes, not time: what its young collections promoted per `{ __typename }` answered. With
 * the causes in place that was 460-600 bytes; now it is 15. A query that reads the database is not measured
 * here: its answers take long enough, on a loaded machine, to outlive a young collection and be promoted
 * while in flight (a member's group list read 20-45 bytes alone and up to 980 with other work running, and
 * 165-354 on Node 24), so its figure cannot tell a regression from a busy machine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import autocannon from 'autocannon';
import { createTestDatabase, type TestDatabase } from './helpers/database.ts';
import { freePort } from './helpers/process.ts';
import { TEST_SECRET } from './helpers/gateway.ts';

interface GcReport {
  scavenges: number;
  survivedBytes: number;
  promotedBytes: number;
  markCompacts: number;
}

let database: TestDatabase;
let gateway: ChildProcess;
let url: string;
let stdout = '';

beforeAll(async () => {
  database = await createTestDatabase();
  const port = await freePort();
  url = `http://127.0.0.1:${port}/graphql`;
  gateway = spawn(process.execPath, ['--import', 'tsx', '--import', './test/helpers/gc-report.ts', 'src/server.ts'], {
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      JWT_SECRET: TEST_SECRET,
      DATABASE_URL: database.url,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      METRICS_ENABLED: 'true',
      RATE_LIMIT_POINTS: '1000000000',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // The request lines are many: keep only the report's.
  gateway.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    for (const line of chunk.split('\n')) if (line.startsWith('gc-report:')) stdout += `${line}\n`;
  });
  for (let attempt = 0; ; attempt++) {
    const ready = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false);
    if (ready) break;
    if (attempt > 200) throw new Error('the gateway did not start');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}, 60_000);

afterAll(async () => {
  gateway?.kill('SIGKILL');
  await database?.drop();
});

async function drive(body: string, seconds: number): Promise<number> {
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections: 10,
    duration: seconds,
  });
  expect(result.non2xx + result.errors).toBe(0);
  return result.requests.total;
}

async function report(): Promise<GcReport> {
  const before = stdout.length;
  gateway.kill('SIGUSR2');
  for (let attempt = 0; attempt < 100; attempt++) {
    const line = stdout.slice(before).split('\n').find((l) => l.startsWith('gc-report: {'));
    if (line) return JSON.parse(line.slice('gc-report: '.length)) as GcReport;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no gc report:\n${stdout}`);
}

async function started() {
  const before = stdout.length;
  gateway.kill('SIGUSR2');
  for (let attempt = 0; attempt < 100 && !stdout.slice(before).includes('gc-report: started'); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Sends `body` for a while, then for two seconds with the collections recorded; bytes promoted per request. */
async function promotedPerRequest(body: string) {
  await drive(body, 1); // warm-up: caches filled, code compiled
  await started();
  const requests = await drive(body, 2);
  const gc = await report();
  expect(gc.scavenges).toBeGreaterThan(3); // enough collections to judge by
  return { perRequest: gc.promotedBytes / requests, figures: JSON.stringify({ requests, ...gc }) };
}

describe('young garbage', () => {
  it('anonymous { __typename }: nothing of an answered request reaches the old generation', async () => {
    const { perRequest, figures } = await promotedPerRequest(JSON.stringify({ query: '{ __typename }' }));
    expect(perRequest, figures).toBeLessThan(100);
  }, 30_000);
});
