/**
 * The gateway the way a user runs it: `node --import tsx src/server.ts` as its own process, configured by environment,
 * spoken to over real HTTP and WebSocket, and stopped with SIGTERM.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { TEST_SECRET, codes, tokenFor, type ViewerSpec } from './helpers/gateway.ts';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDb } from '../src/db/client.ts';
import { createTestDatabase, type TestDatabase } from './helpers/database.ts';
import { exitWithin, killGateways, launchGateway as launch, waitForOutput } from './helpers/live.ts';
import { freePort } from './helpers/postgres.ts';
import { runToEnd } from './helpers/process.ts';
import { manager } from './helpers/world.ts';

const databases = new Set<TestDatabase>();
afterEach(async () => {
  killGateways();
  await Promise.all([...databases].map((db) => db.drop()));
  databases.clear();
});

async function post(url: string, body: string, viewer: ViewerSpec = 'anonymous') {
  const token = await tokenFor(viewer);
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body,
    signal: AbortSignal.timeout(5_000),
  });
  const text = await response.text();
  return { status: response.status, text, json: JSON.parse(text) };
}

describe('the gateway process', () => {
  it('serves HTTP and WebSocket, answers errors with contract codes, and stops cleanly on SIGTERM', async () => {
    const database = await createTestDatabase();
    databases.add(database);
    const port = await freePort();
    const gateway = launch({ PORT: String(port), HOST: '127.0.0.1', JWT_SECRET: TEST_SECRET, DATABASE_URL: database.url, NODE_ENV: 'test' });
    await waitForOutput(gateway, 'Groups gateway on');
    const url = `http://127.0.0.1:${port}/graphql`;
    expect(gateway.output()).toContain(`:${port}/graphql`);

    const created = await post(
      url,
      JSON.stringify({ query: `mutation { createGroup(input: { name: "Night Owls" }) { group { id slug privacy } } }` }),
      manager,
    );
    expect(created.status).toBe(200);
    expect(created.json.data.createGroup.group).toMatchObject({ slug: 'night-owls', privacy: 'PUBLIC' });

    const listed = await post(url, JSON.stringify({ query: `{ groups { totalCount edges { node { name } } } }` }));
    expect(listed.json).toEqual({ data: { groups: { totalCount: 1, edges: [{ node: { name: 'Night Owls' } }] } } });

    const badToken = await post(url, JSON.stringify({ query: `{ viewer { memberId } }` }), { token: 'not-a-jwt' });
    expect(badToken.status).toBe(401);
    expect(codes(badToken.json)).toEqual(['UNAUTHENTICATED']);

    const syntax = await post(url, JSON.stringify({ query: `{ groups { ` }));
    expect(codes(syntax.json)).toEqual(['GRAPHQL_PARSE_FAILED']);
    expect(syntax.text).not.toMatch(/stack|\bat .+:\d+:\d+|\.ts\b|node_modules/);

    // A live WebSocket client is told the server is going away (1001, with a reason) on shutdown.
    const client = createClient({
      url: url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${await tokenFor(manager)}` },
    });
    const closed = new Promise<{ code: number; reason: string }>((resolve) => client.on('closed', (event: any) => resolve(event)));
    const connected = new Promise((resolve) => client.on('connected', resolve));
    client.subscribe({ query: `subscription { groupEvents { id } }` }, { next: () => undefined, error: () => undefined, complete: () => undefined });
    await connected;
    // And an SSE stream is ended (not cut off), rather than holding the shutdown, without its `complete`
    // event: that would tell an EventSource (which the README closes on it) the subscription is over for good.
    const sse = await fetch(url, {
      method: 'POST',
      headers: { accept: 'text/event-stream', 'content-type': 'application/json' },
      body: JSON.stringify({ query: `subscription { groupEvents { id } }` }),
      signal: AbortSignal.timeout(10_000),
    });
    const sseDone = sse.text().then((text) => (text.includes('event: complete') ? `completed: ${text}` : 'ended'), (error) => `cut off: ${error}`);
    // And a multipart one (Apollo Client's HttpLink) with its closing delimiter.
    const multipart = await fetch(url, {
      method: 'POST',
      headers: { accept: 'multipart/mixed;boundary="graphql";subscriptionSpec=1.0,application/json', 'content-type': 'application/json' },
      body: JSON.stringify({ query: `subscription { groupEvents { id } }` }),
      signal: AbortSignal.timeout(10_000),
    });
    const multipartDone = multipart.text().then((text) => (text.endsWith('\r\n--graphql--\r\n') ? 'completed' : `ended without its delimiter: ${JSON.stringify(text)}`), (error) => `cut off: ${error}`);

    gateway.child.kill('SIGTERM');
    expect(await exitWithin(gateway, 5_000)).toBe(0);
    const close = await closed;
    expect(close.code).toBe(1001);
    expect(close.reason).not.toBe('');
    expect(await sseDone).toBe('ended');
    expect(await multipartDone).toBe('completed');
    expect(gateway.output()).toContain('SIGTERM');
    await client.dispose();
  });

  it('SIGTERM lets a mutation in flight finish and commit before the process exits', { timeout: 30_000 }, async () => {
    const database = await createTestDatabase();
    databases.add(database);
    const port = await freePort();
    const gateway = launch({ PORT: String(port), HOST: '127.0.0.1', JWT_SECRET: TEST_SECRET, DATABASE_URL: database.url, NODE_ENV: 'test' });
    await waitForOutput(gateway, 'Groups gateway on');
    // A client on a slow link: the request has begun (headers and half the body sent) when SIGTERM comes.
    const body = Buffer.from(JSON.stringify({ query: `mutation { createGroup(input: { name: "Last Orders" }) { group { name } } }` }));
    const token = await tokenFor(manager);
    const request = http.request({
      host: '127.0.0.1',
      port,
      path: '/graphql',
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': body.length, authorization: `Bearer ${token}` },
    });
    const answered = new Promise<{ status: number; text: string }>((resolve, reject) => {
      request.on('response', (response) => {
        let text = '';
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode!, text }));
      });
      request.on('error', reject);
    });
    request.write(body.subarray(0, 20));
    await new Promise((r) => setTimeout(r, 300));
    gateway.child.kill('SIGTERM');
    await waitForOutput(gateway, 'SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    expect(gateway.child.exitCode).toBeNull(); // waiting for the request to finish
    request.end(body.subarray(20));
    const answer = await answered;
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toEqual({ data: { createGroup: { group: { name: 'Last Orders' } } } });
    expect(await exitWithin(gateway, 5_000)).toBe(0);
    // Committed, not only answered: the next process finds it.
    const db = createDb(database.url);
    try {
      expect(await db.group.findMany({ select: { name: true } })).toEqual([{ name: 'Last Orders' }]);
    } finally {
      await db.$disconnect();
    }
  });

  it('production: /metrics is off without METRICS_TOKEN (saying how to turn it on), and asks for the token with it', async () => {
    const database = await createTestDatabase();
    databases.add(database);
    const base = { NODE_ENV: 'production', HOST: '127.0.0.1', JWT_SECRET: TEST_SECRET, DATABASE_URL: database.url, LOG_LEVEL: 'silent' };
    const metricsOf = async (env: Record<string, string>, headers: Record<string, string> = {}) => {
      const port = await freePort();
      const gateway = launch({ ...base, ...env, PORT: String(port) });
      try {
        await waitForOutput(gateway, 'Groups gateway on');
        const response = await fetch(`http://127.0.0.1:${port}/metrics`, { headers, signal: AbortSignal.timeout(5_000) });
        return { status: response.status, text: await response.text(), output: gateway.output() };
      } finally {
        killGateways();
      }
    };
    const closed = await metricsOf({});
    expect(closed.status).toBe(404);
    expect(closed.text).not.toContain('graphql_');
    expect(closed.output).toContain('/metrics is off: set METRICS_TOKEN');

    const noToken = await metricsOf({ METRICS_TOKEN: 'scrape-me' });
    expect(noToken.status).toBe(401);
    expect(noToken.output).not.toContain('/metrics is off');
    const withToken = await metricsOf({ METRICS_TOKEN: 'scrape-me' }, { authorization: 'Bearer scrape-me' });
    expect(withToken.status).toBe(200);
    expect(withToken.text).toContain('gateway_db_statement_duration_seconds');

    const open = await metricsOf({ METRICS_ENABLED: 'true' });
    expect(open.status).toBe(200);
    expect(open.output).not.toContain('/metrics is off');
  }, 90_000);

  it('production: the demo seed is skipped on start-up and refused when asked for, and writes nothing', async () => {
    const database = await createTestDatabase();
    try {
      const env = { NODE_ENV: 'production', JWT_SECRET: TEST_SECRET, DATABASE_URL: database.url };
      const onStart = await runToEnd(['prisma/seed.ts', '--if-empty'], env);
      expect({ code: onStart.code, stdout: onStart.stdout.trim() }).toEqual({ code: 0, stdout: 'Demo seed skipped: NODE_ENV=production.' });
      const asked = await runToEnd(['prisma/seed.ts'], env);
      expect(asked.code).toBe(1);
      expect(asked.stderr).toContain('not loaded with NODE_ENV=production');
      // `npm start` runs the seed before the gateway: a missing JWT_SECRET is left for the gateway to report.
      const { JWT_SECRET: _secret, ...noSecret } = env;
      const unconfigured = await runToEnd(['prisma/seed.ts', '--if-empty'], noSecret);
      expect({ code: unconfigured.code, stdout: unconfigured.stdout.trim(), stderr: unconfigured.stderr.trim() }).toEqual({
        code: 0,
        stdout: 'Demo seed skipped: NODE_ENV=production.',
        stderr: '',
      });
      const db = createDb(database.url);
      try {
        expect(await db.group.count()).toBe(0);
      } finally {
        await db.$disconnect();
      }
    } finally {
      await database.drop();
    }
  }, 60_000);

  it('says in one line that the port is taken, or the host unknown, with no stack trace', async () => {
    const taken = http.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const database = await createTestDatabase();
    try {
      const port = String((taken.address() as AddressInfo).port);
      for (const env of [{ HOST: '127.0.0.1', PORT: port }, { HOST: 'no-such-host.invalid', PORT: '0' }]) {
        const gateway = launch({ ...env, NODE_ENV: 'test', JWT_SECRET: TEST_SECRET, DATABASE_URL: database.url });
        const code = await exitWithin(gateway, 20_000);
        expect(code).toBe(1);
        const lines = gateway.output().trim().split('\n').filter((line) => line.includes('Cannot start'));
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(/^Cannot start: .*(EADDRINUSE|ENOTFOUND|EAI_AGAIN)/);
        expect(gateway.output()).not.toMatch(/\bat \S+ \(|node:events/);
      }
    } finally {
      await new Promise((resolve) => taken.close(resolve));
      await database.drop();
    }
  }, 60_000);

  it('refuses to start in production without JWT_SECRET, saying so', async () => {
    const gateway = launch({ NODE_ENV: 'production', PORT: String(await freePort()), DATABASE_URL: 'file:./unused.db' });
    const code = await exitWithin(gateway, 20_000);
    expect(code).not.toBe(0);
    expect(gateway.output()).toContain('JWT_SECRET');
    expect(gateway.output()).not.toContain('Groups gateway on');
  });
});
