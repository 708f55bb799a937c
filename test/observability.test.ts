/**
 * Operability of a running gateway process: JSON request logs (ids, viewer, operation, codes; never a token
 * or a name), Prometheus metrics at /metrics, live subscribers by transport, GraphiQL's defaults, and
 * OpenTelemetry spans arriving at an OTLP collector started by the test.
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { GraphQLError } from 'graphql';
import { loadConfig } from '../src/config.ts';
import { secretKey, signToken } from '../src/auth/viewer.ts';
import { GRAPHIQL_DEFAULT_QUERY } from '../src/observability/graphiql.ts';
import { statementKind } from '../src/observability/metrics.ts';
import { createLoggers, isoTimeByMillisecond, logDestination, serializeError } from '../src/observability/logging.ts';
import { TEST_SECRET, startGateway, tokenFor } from './helpers/gateway.ts';
import { manager } from './helpers/world.ts';
import { postGraphQL, startGatewayProcess, stopProcesses, type GatewayProcess } from './helpers/process.ts';

const METRICS_TOKEN = 'scrape-me-please';
const DISPLAY_NAME = 'Zelda Quintessa';
const SEARCH_TERM = 'needle-in-the-variables';
/** MAX_WS_CONNECTIONS_PER_ADDRESS of the gateway process below. */
const WS_CAP = 4;

afterAll(stopProcesses);

/** Waits (bounded) until `check` returns a value that is not undefined/false. */
async function eventually<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The value of one sample of a Prometheus text exposition, by name and (a subset of) labels. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return undefined;
}

describe('a running gateway process', () => {
  let gw: GatewayProcess;
  let memberToken: string;
  let managerToken: string;
  const scrape = async () => {
    const response = await fetch(`${gw.origin}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(response.status).toBe(200);
    return response.text();
  };

  beforeAll(async () => {
    gw = await startGatewayProcess({ LOG_LEVEL: 'info', METRICS_TOKEN, MAX_WS_CONNECTIONS_PER_ADDRESS: String(WS_CAP) });
    memberToken = await signToken(secretKey(TEST_SECRET), { sub: 'member-7', name: DISPLAY_NAME });
    managerToken = (await tokenFor(manager))!;
    const created = await postGraphQL(
      gw.url,
      { query: `mutation SetUp { createGroup(input: { name: "Log Lovers", creatorId: "member-7" }) { group { id } } }` },
      { token: managerToken },
    );
    expect(created.json.errors).toBeUndefined();
  }, 60_000);

  it('logs one JSON line per request: request id, viewer, operation, duration, error codes', async () => {
    const mine = await postGraphQL(
      gw.url,
      {
        query: `query MyGroups($search: String) { viewer { memberId memberships { totalCount } } groups(filter: { search: $search }) { totalCount } }`,
        variables: { search: SEARCH_TERM },
      },
      { token: memberToken, headers: { 'x-request-id': 'req-observability-1' } },
    );
    expect(mine.json.data.viewer).toEqual({ memberId: 'member-7', memberships: { totalCount: 1 } });
    expect(mine.headers.get('x-request-id')).toBe('req-observability-1');

    // An id that is not a sane token is replaced by a fresh one, which the response names.
    const anonymous = await postGraphQL(gw.url, { query: `query Browse { groups { totalCount } }` }, { headers: { 'x-request-id': 'not sane; at all' } });
    const generatedId = anonymous.headers.get('x-request-id');
    expect(generatedId).toMatch(/^[0-9a-f-]{36}$/);

    const tampered = `${memberToken.slice(0, -4)}AAAA`;
    const rejected = await postGraphQL(gw.url, { query: `query Who { viewer { memberId } }` }, { token: tampered, headers: { 'x-request-id': 'req-bad-token' } });
    expect(rejected.status).toBe(401);
    const missing = await postGraphQL(
      gw.url,
      { query: `mutation Gone { deleteGroup(id: "no-such-group") { deletedGroupId } }` },
      { token: memberToken, headers: { 'x-request-id': 'req-not-found' } },
    );
    expect(missing.json.errors?.[0].extensions.code).toBe('NOT_FOUND');
    await postGraphQL(gw.url, { query: `{ groups { ` }, { headers: { 'x-request-id': 'req-parse' } });
    const wrongType = await postGraphQL(
      gw.url,
      { query: `query Typed($f: Int) { groups(first: $f) { totalCount } }`, variables: { f: 'ten' } },
      { headers: { 'x-request-id': 'req-variables' } },
    );
    expect(wrongType.json.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
    await postGraphQL(gw.url, { query: `query Typo { groupz }` }, { headers: { 'x-request-id': 'req-invalid' } });

    const line = (id: string) => eventually(() => gw.logLines().find((entry) => entry.requestId === id && entry.msg === 'request'), `the log line of ${id}`);
    const first = await line('req-observability-1');
    expect(first).toMatchObject({
      level: 'info',
      msg: 'request',
      transport: 'http',
      method: 'POST',
      path: '/graphql',
      status: 200,
      viewer: 'member-7',
      operationName: 'MyGroups',
      operationType: 'query',
      errorCodes: [],
    });
    expect(first.durationMs).toEqual(expect.any(Number));
    expect(Date.parse(first.time as string)).not.toBeNaN();
    expect(await line(generatedId!)).toMatchObject({ viewer: 'anonymous', operationName: 'Browse', status: 200, errorCodes: [] });
    expect(await line('req-bad-token')).toMatchObject({ viewer: 'unverified', operationName: 'Who', status: 401, errorCodes: ['UNAUTHENTICATED'] });
    expect(await line('req-not-found')).toMatchObject({ viewer: 'member-7', operationName: 'Gone', operationType: 'mutation', errorCodes: ['NOT_FOUND'] });
    expect(await line('req-parse')).toMatchObject({ viewer: 'anonymous', operationName: null, errorCodes: ['GRAPHQL_PARSE_FAILED'] });
    expect(await line('req-variables')).toMatchObject({ operationName: 'Typed', errorCodes: ['BAD_USER_INPUT'] });
    expect(await line('req-invalid')).toMatchObject({ operationName: 'Typo', errorCodes: ['GRAPHQL_VALIDATION_FAILED'] });
    // A client's mistakes are not failures of ours: none of these requests logged an error.
    expect(gw.logLines().filter((entry) => entry.level === 'error')).toEqual([]);

    // Every line on stdout that looks like JSON is JSON, and nothing anywhere holds a token or personal data.
    const output = gw.stdout() + gw.stderr();
    for (const secret of [memberToken, managerToken, tampered, memberToken.split('.')[1], 'Bearer', DISPLAY_NAME, 'Zelda', SEARCH_TERM]) {
      expect(output).not.toContain(secret);
    }
  });

  it('serves Prometheus metrics at /metrics, only with METRICS_TOKEN', async () => {
    expect((await fetch(`${gw.origin}/metrics`)).status).toBe(401);
    expect((await fetch(`${gw.origin}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    // The scheme in any case (RFC 9110), as /graphql reads it.
    expect((await fetch(`${gw.origin}/metrics`, { headers: { authorization: `bearer ${METRICS_TOKEN}` } })).status).toBe(200);

    await postGraphQL(gw.url, { query: `query MetricsQuery { groups(first: 2) { totalCount } }` }, { token: memberToken });
    await postGraphQL(gw.url, { query: `mutation MetricsGone { deleteGroup(id: "nope") { deletedGroupId } }` }, { token: memberToken });
    await postGraphQL(gw.url, { query: `query MetricsInvalid { noSuchField }` });

    const response = await fetch(`${gw.origin}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();

    // Requests, and duration histograms per operation name.
    expect(sample(text, 'gateway_http_requests_total', { route: '/graphql', method: 'POST', status: '200' })).toBeGreaterThanOrEqual(3);
    expect(sample(text, 'graphql_envelop_request', { operationName: 'MetricsQuery', operationType: 'query' })).toBe(1);
    expect(sample(text, 'graphql_envelop_request_duration_count', { operationName: 'MetricsQuery', operationType: 'query' })).toBe(1);
    expect(sample(text, 'graphql_envelop_request_duration_bucket', { operationName: 'MetricsQuery', le: '+Inf' })).toBe(1);
    expect(sample(text, 'graphql_yoga_http_duration_count', { operationName: 'MetricsQuery', method: 'POST', statusCode: '200' })).toBe(1);
    expect(sample(text, 'graphql_envelop_phase_execute_count', { operationName: 'MetricsQuery', operationType: 'query' })).toBe(1);
    // Timed to a fraction of a millisecond (a local query takes about one).
    expect(sample(text, 'graphql_envelop_request_duration_sum', { operationName: 'MetricsQuery' })).toBeGreaterThan(0);
    expect(sample(text, 'graphql_envelop_phase_execute_sum', { operationName: 'MetricsQuery' })).toBeGreaterThan(0);
    expect(sample(text, 'graphql_yoga_http_duration_sum', { operationName: 'MetricsQuery' })).toBeGreaterThan(0);
    // A document that does not validate is never run.
    expect(sample(text, 'graphql_envelop_request', { operationName: 'MetricsInvalid' })).toBeUndefined();
    expect(sample(text, 'graphql_envelop_request', { operationName: 'MetricsGone', operationType: 'mutation' })).toBe(1);
    // Errors by contract code.
    expect(sample(text, 'gateway_graphql_errors_total', { code: 'NOT_FOUND', operationName: 'MetricsGone' })).toBe(1);
    expect(sample(text, 'gateway_graphql_errors_total', { code: 'GRAPHQL_VALIDATION_FAILED', operationName: 'MetricsInvalid' })).toBe(1);
    expect(sample(text, 'gateway_graphql_errors_total', { code: 'UNAUTHENTICATED' })).toBeGreaterThanOrEqual(1);
    // SQL statements, counted and timed.
    expect(sample(text, 'gateway_db_statement_duration_seconds_count', { statement: 'select' })).toBeGreaterThan(0);
    expect(sample(text, 'gateway_db_statement_duration_seconds_sum', { statement: 'select' })).toBeGreaterThan(0);
    expect(sample(text, 'gateway_db_statement_duration_seconds_count', { statement: 'insert' })).toBeGreaterThan(0);
    // Live subscribers, and the process.
    expect(sample(text, 'gateway_live_subscribers', { transport: 'sse' })).toBe(0);
    expect(sample(text, 'gateway_live_subscribers', { transport: 'ws' })).toBe(0);
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('counts live subscribers by transport while their streams are open, and logs graphql-ws operations', async () => {
    const live = async () => {
      const text = await scrape();
      return `sse=${sample(text, 'gateway_live_subscribers', { transport: 'sse' })} ws=${sample(text, 'gateway_live_subscribers', { transport: 'ws' })}`;
    };
    const aborter = new AbortController();
    const sse = await fetch(gw.url, {
      method: 'POST',
      headers: { accept: 'text/event-stream', 'content-type': 'application/json', authorization: `Bearer ${memberToken}` },
      body: JSON.stringify({ query: `subscription SseEvents { groupEvents { id } }` }),
      signal: aborter.signal,
    });
    expect(sse.status).toBe(200);
    await eventually(async () => (await live()) === 'sse=1 ws=0', 'one SSE subscriber');

    const client = createClient({
      url: gw.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${memberToken}` },
    });
    try {
      const unsubscribe = client.subscribe({ query: `subscription WsEvents { groupEvents { id } }` }, { next: () => undefined, error: () => undefined, complete: () => undefined });
      await eventually(async () => (await live()) === 'sse=1 ws=1', 'one subscriber of each transport');

      // Each subscription counted as run, and the time it took to start.
      const started = await scrape();
      for (const operationName of ['SseEvents', 'WsEvents']) {
        expect(sample(started, 'graphql_envelop_request', { operationName, operationType: 'subscription' })).toBe(1);
        expect(sample(started, 'graphql_envelop_phase_subscribe_count', { operationName, operationType: 'subscription' })).toBe(1);
      }

      aborter.abort();
      unsubscribe();
      await eventually(async () => (await live()) === 'sse=0 ws=0', 'no subscribers left');
      const wsLine = await eventually(() => gw.logLines().find((entry) => entry.operationName === 'WsEvents'), 'the graphql-ws line');
      expect(wsLine).toMatchObject({ msg: 'operation', transport: 'ws', viewer: 'member-7', operationType: 'subscription', errorCodes: [] });
      expect(wsLine.requestId).toEqual(expect.any(String));

      // A variable that does not fit is the client's mistake over graphql-ws too: logged and counted with the
      // code the client gets, not as a failure of ours (the logs and metrics see it before the error mask).
      const refused = await new Promise<unknown[]>((resolve) => {
        const errors: unknown[] = [];
        client.subscribe(
          { query: `subscription WsBadVariable($g: ID!) { groupEvents(groupId: $g) { id } }`, variables: {} },
          { next: (value) => void errors.push(...(value.errors ?? [])), error: (error) => resolve(error as unknown[]), complete: () => resolve(errors) },
        );
      });
      expect((refused as { extensions: unknown }[]).map((e) => e.extensions)).toEqual([{ code: 'BAD_USER_INPUT' }]);
      const badLine = await eventually(() => gw.logLines().find((entry) => entry.operationName === 'WsBadVariable'), 'the refused operation’s line');
      expect(badLine).toMatchObject({ level: 'info', transport: 'ws', errorCodes: ['BAD_USER_INPUT'] });
      const counted = await scrape();
      expect(sample(counted, 'gateway_graphql_errors_total', { code: 'BAD_USER_INPUT', operationName: 'WsBadVariable' })).toBe(1);
      expect(sample(counted, 'gateway_graphql_errors_total', { code: 'INTERNAL_SERVER_ERROR', operationName: 'WsBadVariable' })).toBeUndefined();
    } finally {
      await client.dispose();
    }
  });

  it('logs and counts what is refused before GraphQL, and every WebSocket connection’s end with its close code', async () => {
    /** What the gateway answers to `head` (a request line and headers), and `body`, sent as they are on a new connection. */
    const sendRaw = (head: string, body = '') =>
      new Promise<string>((resolve, reject) => {
        const socket = net.connect(Number(new URL(gw.origin).port), '127.0.0.1', () => socket.write(`${head}\r\n\r\n${body}`));
        let text = '';
        socket.on('data', (chunk) => (text += chunk));
        socket.on('close', () => resolve(text));
        socket.on('error', reject);
      });
    // Headers over 16 KB: Node cannot read the request, so neither its path nor its method is known.
    const answer = await sendRaw(`GET /graphql HTTP/1.1\r\nHost: localhost\r\nX-Padding: ${'x'.repeat(20_000)}`);
    expect(answer).toMatch(/^HTTP\/1\.1 431 /);
    // A Host header and target that make no URL: 400 with a JSON error, never Yoga's 500 and its stack trace.
    // A JSON POST too, answered directly or handed to Yoga (an invalid document: before, a 500).
    for (const body of ['{"query":"{ nope }"}', '{"query":"{ __typename }"}']) {
      const unusable = await sendRaw(`POST /graphql HTTP/1.1\r\nHost: a b\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close`, body);
      expect(unusable, body).toMatch(/^HTTP\/1\.1 400 /);
      expect(unusable).toContain('The Host header and the request target do not make a URL.');
    }
    for (const head of ['GET /health HTTP/1.1\r\nHost: a b', 'GET /graphql?query=%7B__typename%7D HTTP/1.1\r\nHost: x:99999', 'POST * HTTP/1.1\r\nHost: localhost:80\r\nContent-Length: 0']) {
      const unusable = await sendRaw(`${head}\r\nConnection: close`);
      expect(unusable, head).toMatch(/^HTTP\/1\.1 400 /);
      expect(unusable.slice(unusable.indexOf('\r\n\r\n') + 4)).toBe(
        '{"errors":[{"message":"The Host header and the request target do not make a URL.","extensions":{"code":"BAD_USER_INPUT"}}]}',
      );
    }
    const tooLarge = await eventually(() => gw.logLines().find((entry) => entry.msg === 'request' && entry.status === 431), 'the 431 line');
    expect(tooLarge).toMatchObject({ level: 'info', transport: 'http', method: null, path: null, viewer: null, errorCodes: ['BAD_USER_INPUT'] });
    expect(sample(await scrape(), 'gateway_http_requests_total', { route: 'unknown', method: 'unknown', status: '431' })).toBe(1);
    // Refused before Yoga, but read: their method, and their path where the target is one, are logged.
    const gzip = await fetch(`${gw.url}?from=test`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: 'x' });
    expect(gzip.status).toBe(415);
    const refusedLines = () => gw.logLines().filter((entry) => entry.msg === 'request' && (entry.status === 415 || entry.status === 400)).map((entry) => JSON.stringify([entry.status, entry.method, entry.path]));
    const wanted = [[400, 'GET', '/health'], [400, 'GET', '/graphql'], [400, 'POST', null], [415, 'POST', '/graphql']].map((line) => JSON.stringify(line));
    await eventually(() => wanted.every((line) => refusedLines().includes(line)), 'the 400 and 415 lines').catch(() => undefined);
    expect(refusedLines()).toEqual(expect.arrayContaining(wanted));
    expect(sample(await scrape(), 'gateway_http_requests_total', { route: '/graphql', method: 'POST', status: '415' })).toBe(1);

    // 406 (no acceptable answer) and 415 (a body Yoga does not read): the code in their body is logged and counted.
    const refusals = [
      await fetch(gw.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/xml', 'x-request-id': 'refused-406' }, body: '{"query":"{ __typename }"}' }),
      await fetch(gw.url, { method: 'POST', headers: { 'content-type': 'application/xml', 'x-request-id': 'refused-415' }, body: '<query/>' }),
    ];
    expect(await Promise.all(refusals.map(async (r) => [r.status, (await r.json()).errors[0].extensions.code]))).toEqual([
      [406, 'BAD_USER_INPUT'],
      [415, 'BAD_USER_INPUT'],
    ]);
    for (const requestId of ['refused-406', 'refused-415']) {
      const line = await eventually(() => gw.logLines().find((entry) => entry.requestId === requestId), requestId);
      expect(line).toMatchObject({ msg: 'request', errorCodes: ['BAD_USER_INPUT'] });
    }
    expect(sample(await scrape(), 'gateway_graphql_errors_total', { code: 'BAD_USER_INPUT', operationName: 'anonymous' })).toBeGreaterThanOrEqual(2);

    const wsUrl = gw.url.replace(/^http/, 'ws');
    /** A raw graphql-ws connection: opened, initialised with `authorization`, and its close code once closed. */
    const connect = async (authorization: string | null) => {
      const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
      const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
      await new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve());
        socket.once('error', reject);
      });
      const acked = new Promise<boolean>((resolve) => {
        socket.once('message', (data) => resolve(JSON.parse(String(data)).type === 'connection_ack'));
        socket.once('close', () => resolve(false));
      });
      socket.send(JSON.stringify({ type: 'connection_init', payload: authorization ? { authorization } : {} }));
      return { socket, closed, acked: await acked };
    };
    const closedLines = () => gw.logLines().filter((entry) => entry.msg === 'connection closed');
    const before = closedLines().length;

    // A token refused at connection_init: graphql-ws's 4403, logged and counted as such.
    const refused = await connect('Bearer not-a-token');
    expect({ acked: refused.acked, code: await refused.closed }).toEqual({ acked: false, code: 4403 });
    // The same, from a client that drops the connection on the close frame instead of answering it: ws on the
    // server would report 1006 (no close frame came back); the gateway still logs the 4403 it sent.
    const dropping = new WebSocket(wsUrl, 'graphql-transport-ws');
    await new Promise<void>((resolve, reject) => {
      dropping.once('open', () => resolve());
      dropping.once('error', reject);
    });
    const raw = (dropping as unknown as { _socket: net.Socket })._socket;
    raw.prependListener('data', (chunk: Buffer) => {
      if (chunk[0] === 0x88) raw.destroy(); // FIN + close opcode: gone before ws can answer it
    });
    dropping.send(JSON.stringify({ type: 'connection_init', payload: { authorization: 'Bearer still-not-a-token' } }));
    await new Promise((resolve) => dropping.once('close', resolve));
    // A member's connection, ended by the client.
    const member = await connect(`Bearer ${memberToken}`);
    expect(member.acked).toBe(true);
    // An operation the document does not have: refused after validation, and logged and counted all the same.
    const answered = new Promise<unknown>((resolve) => member.socket.once('message', (data) => resolve(JSON.parse(String(data)))));
    member.socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'query Here { __typename }', operationName: 'NotHere' } }));
    expect(await answered).toMatchObject({ id: '1', type: 'error', payload: [{ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] });
    const notHere = await eventually(() => gw.logLines().find((entry) => entry.operationName === 'NotHere'), 'the refused operation’s line');
    expect(notHere).toMatchObject({ msg: 'operation', transport: 'ws', viewer: 'member-7', errorCodes: ['GRAPHQL_VALIDATION_FAILED'] });
    expect(sample(await scrape(), 'gateway_graphql_errors_total', { code: 'GRAPHQL_VALIDATION_FAILED', operationName: 'NotHere' })).toBe(1);
    member.socket.close(1000);
    expect(await member.closed).toBe(1000);
    const lines = await eventually(() => closedLines().length >= before + 3 && closedLines().slice(before), 'three close lines');
    expect(lines.map(({ code, viewer, transport, level }) => ({ code, viewer, transport, level }))).toEqual([
      { code: 4403, viewer: 'unverified', transport: 'ws', level: 'info' },
      { code: 4403, viewer: 'unverified', transport: 'ws', level: 'info' },
      { code: 1000, viewer: 'member-7', transport: 'ws', level: 'info' },
    ]);
    expect(lines.every((line) => typeof line.durationMs === 'number')).toBe(true);
    const afterCloses = await scrape();
    expect(sample(afterCloses, 'gateway_ws_connections_closed_total', { code: '4403' })).toBe(2);
    expect(sample(afterCloses, 'gateway_ws_connections_closed_total', { code: '1006' })).toBeUndefined();
    expect(sample(afterCloses, 'gateway_ws_connections_closed_total', { code: '1000' })).toBeGreaterThanOrEqual(1);

    // Up to the cap, connections are open and counted; the next handshake is refused (429) and logged.
    const held = await Promise.all(Array.from({ length: WS_CAP }, () => connect(null)));
    expect(held.every((one) => one.acked)).toBe(true);
    expect(sample(await scrape(), 'gateway_ws_connections')).toBe(WS_CAP);
    const over = new WebSocket(wsUrl, 'graphql-transport-ws');
    const status = await new Promise<number>((resolve) => over.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    over.on('error', () => undefined); // ws reports the handshake it was told to abandon
    over.terminate();
    expect(status).toBe(429);
    const overLine = await eventually(() => gw.logLines().find((entry) => entry.msg === 'request' && entry.status === 429), 'the 429 line');
    expect(overLine).toMatchObject({ transport: 'ws', method: 'GET', path: '/graphql' });
    expect(sample(await scrape(), 'gateway_http_requests_total', { route: '/graphql', method: 'GET', status: '429' })).toBe(1);
    for (const one of held) one.socket.close(1000);
    await Promise.all(held.map((one) => one.closed));
    await eventually(async () => sample(await scrape(), 'gateway_ws_connections') === 0, 'no connections left open');
  });

  it('serves GraphiQL with a default query that runs, and an authorization header to fill in', async () => {
    const page = await fetch(gw.url, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('query Overview');
    expect(html).toContain('authorization');
    // Every script and style from this server: nothing loaded from elsewhere (a CDN could read the token).
    expect(html).toContain('<div id="root">');
    expect(html.match(/(?:src|href)\s*=\s*["']?(?:https?:)?\/\/[^"'\s>]*/gi)).toBeNull();

    // The default query works as it is (the empty header is the anonymous viewer) and with a token.
    const asAnyone = await postGraphQL(gw.url, { query: GRAPHIQL_DEFAULT_QUERY }, { headers: { authorization: '' } });
    expect(asAnyone.json.errors).toBeUndefined();
    expect(asAnyone.json.data.viewer.memberId).toBeNull();
    const asMember = await postGraphQL(gw.url, { query: GRAPHIQL_DEFAULT_QUERY }, { token: memberToken });
    expect(asMember.json.errors).toBeUndefined();
    expect(asMember.json.data.viewer.memberships.totalCount).toBe(1);
  });
});

describe('tracing', () => {
  it('sends spans for HTTP, the GraphQL operation, its resolvers and its SQL to the OTLP endpoint', async () => {
    // A minimal OTLP/HTTP collector: it keeps the JSON export requests it receives.
    const exports: any[] = [];
    const collector = http.createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        if (request.url === '/v1/traces') exports.push(JSON.parse(body));
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = collector.address() as { port: number };
      const gw = await startGatewayProcess({
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
        OTEL_BSP_SCHEDULE_DELAY: '100',
        LOG_LEVEL: 'info',
      });
      const traced = await postGraphQL(
        gw.url,
        { query: `query TracedGroups($search: String) { groups(filter: { search: $search }) { totalCount edges { node { name membersCount } } } }`, variables: { search: SEARCH_TERM } },
        { headers: { 'x-request-id': 'req-traced' } },
      );
      expect(traced.json.errors).toBeUndefined();

      const spans = () => exports.flatMap((e) => e.resourceSpans.flatMap((r: any) => r.scopeSpans.flatMap((s: any) => s.spans.map((span: any) => ({ ...span, resource: r.resource })))));
      const operation = await eventually(() => spans().find((span) => span.name === 'query.TracedGroups'), 'the operation span');
      const trace = await eventually(() => {
        const same = spans().filter((span) => span.traceId === operation.traceId);
        const names = same.map((span) => span.name);
        return names.includes('POST') && names.includes('Query.groups') && names.includes('db_query') ? same : undefined;
      }, 'the HTTP, resolver and SQL spans of the same trace');
      // The list's statements (hand-written reads, src/db/reads.ts) name their SQL, never its values.
      const statement = trace.find((span: any) => span.name === 'db_query');
      const text = statement.attributes.find((a: any) => a.key === 'db.query.text');
      expect(text.value.stringValue).toMatch(/^\s*SELECT/);

      const httpSpan = trace.find((span: any) => span.name === 'POST');
      expect(httpSpan.kind).toBe(2); // SERVER
      expect(operation.parentSpanId).toBe(httpSpan.spanId);
      const serviceName = httpSpan.resource.attributes.find((a: any) => a.key === 'service.name');
      expect(serviceName.value.stringValue).toBe('groups-gateway');
      // No client values in spans: variables, resolver arguments.
      const everything = JSON.stringify(exports);
      expect(everything).not.toContain(SEARCH_TERM);
      expect(everything).not.toContain('graphql.resolver.args');

      // The request's log line names its trace.
      const line = await eventually(() => gw.logLines().find((entry) => entry.requestId === 'req-traced' && entry.msg === 'request'), 'the log line');
      expect(line.traceId).toBe(operation.traceId);
    } finally {
      await new Promise((resolve) => collector.close(resolve));
    }
  }, 60_000);
});

describe('configuration', () => {
  it('reads the observability variables with their defaults, refusing invalid values', () => {
    const base = { JWT_SECRET: 'x'.repeat(32) };
    expect(loadConfig({ ...base, NODE_ENV: 'test' }).observability).toEqual({
      metricsEnabled: true,
      metricsToken: null,
      logLevel: 'silent',
      otlpEndpoint: null,
      serviceName: 'groups-gateway',
    });
    expect(loadConfig({ ...base, NODE_ENV: 'production' }).observability.logLevel).toBe('info');
    expect(loadConfig({ ...base, NODE_ENV: 'test', LOG_LEVEL: 'debug' }).observability.logLevel).toBe('debug');
    expect(loadConfig({ ...base, METRICS_ENABLED: 'false' }).observability.metricsEnabled).toBe(false);
    // Production: off unless a token guards it, or METRICS_ENABLED says to serve it anyway.
    const production = { ...base, NODE_ENV: 'production' };
    expect(loadConfig(production).observability.metricsEnabled).toBe(false);
    expect(loadConfig({ ...production, METRICS_TOKEN: 't' }).observability).toMatchObject({ metricsEnabled: true, metricsToken: 't' });
    expect(loadConfig({ ...production, METRICS_ENABLED: 'true' }).observability).toMatchObject({ metricsEnabled: true, metricsToken: null });
    expect(loadConfig({ ...production, METRICS_TOKEN: 't', METRICS_ENABLED: 'false' }).observability.metricsEnabled).toBe(false);
    expect(loadConfig({ ...base, NODE_ENV: 'development' }).observability.metricsEnabled).toBe(true);
    expect(() => loadConfig({ ...base, LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
    expect(() => loadConfig({ ...base, METRICS_ENABLED: 'perhaps' })).toThrow(/METRICS_ENABLED/);
    expect(() => loadConfig({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4318' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
  });

  it('METRICS_ENABLED=false: no /metrics; production: no GraphiQL', async () => {
    const off = await startGateway({ METRICS_ENABLED: 'false' });
    try {
      expect(off.app.metrics).toBeNull();
      expect((await off.fetch('/metrics')).status).toBe(404);
    } finally {
      await off.close();
    }
    const production = await startGateway({ NODE_ENV: 'production', LOG_LEVEL: 'silent' });
    try {
      const page = await production.fetch('/graphql', { headers: { accept: 'text/html' } });
      expect(page.headers.get('content-type') ?? '').not.toContain('text/html');
    } finally {
      await production.close();
    }
  });

  it('logs an unexpected error by type, code, first line and stack, not the arguments a database error spells out', () => {
    const database = Object.assign(new Error('\nInvalid `tx.joinRequest.create()` invocation in\n/app/x.ts:3\n  answers: "call me on 555-0100"'), { code: 'P2002' });
    const logged = serializeError(new GraphQLError('Unexpected error.', { originalError: database }));
    expect(logged).toMatchObject({ type: 'GraphQLError', message: 'Unexpected error.', cause: { type: 'Error', code: 'P2002', message: 'Invalid `tx.joinRequest.create()` invocation in' } });
    expect((logged.cause as { stack: string }).stack).toMatch(/^\s+at /);
    expect(JSON.stringify(logged)).not.toContain('555-0100');
  });

  it('censors keys that could hold a secret on the general logger, at the top level and one down', async () => {
    const written: string[] = [];
    const destination = { write: (line: string) => written.push(line) };
    const { logger, requestLines } = createLoggers('info', destination);
    logger.info({ authorization: 'Bearer abc', viewer: { token: 'def' }, headers: { cookie: 'ghi' }, kept: 'yes' }, 'something');
    requestLines.info({ requestId: 'req-1', viewer: 'm1' }, 'request');
    const [general, request] = written.map((line) => JSON.parse(line));
    expect(general).toMatchObject({ authorization: '[redacted]', viewer: { token: '[redacted]' }, headers: '[redacted]', kept: 'yes', msg: 'something' });
    expect(written[0]).not.toMatch(/abc|def|ghi/);
    // The request lines share the level, fields and destination.
    expect(request).toMatchObject({ level: 'info', service: 'groups-gateway', requestId: 'req-1', viewer: 'm1', msg: 'request' });
  });

  it("stamps lines with pino's ISO time, made once per millisecond", () => {
    let now = Date.UTC(2026, 10, 24, 3, 4, 5, 678);
    const stamp = isoTimeByMillisecond(() => now);
    const first = stamp();
    expect(first).toBe(`,"time":"2026-11-24T03:04:05.678Z"`);
    expect(first).toBe(pino.stdTimeFunctions.isoTime().replace(/"[^"]*"$/, `"${new Date(now).toISOString()}"`));
    expect(stamp()).toBe(first);
    now += 1;
    expect(stamp()).toBe(`,"time":"2026-11-24T03:04:05.679Z"`);
    // The real clock: a logged line carries a time within this test's run.
    const written: string[] = [];
    const before = Date.now();
    createLoggers('info', { write: (line: string) => written.push(line) }).requestLines.info('tick');
    const logged = Date.parse(JSON.parse(written[0]!).time);
    expect(logged).toBeGreaterThanOrEqual(before);
    expect(logged).toBeLessThanOrEqual(Date.now());
  });

  it('writes every line whole and in order through the block-buffered destination, multi-byte text included', async () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'gateway-log-'));
    const file = path.join(folder, 'out.log');
    const fd = fs.openSync(file, 'w');
    const destination = logDestination(fd);
    const { requestLines } = createLoggers('info', destination);
    // Lines of growing length in 1-, 2-, 3- and 4-byte characters, enough for several blocks, logged in
    // bursts with turns of the event loop between them so writes are in flight while lines arrive.
    const texts = Array.from({ length: 3000 }, (_, i) => ['a', 'é', '€', '😀'][i % 4]!.repeat(1 + (i % 97)) + ` #${i}`);
    for (let i = 0; i < texts.length; i++) {
      requestLines.info({ text: texts[i] }, 'line');
      if (i % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
    }
    // end() waits for a write in flight, then writes the rest (flushSync would not wait for it).
    await new Promise<void>((resolve) => {
      destination.on('close', resolve);
      destination.end();
    });
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    fs.rmSync(folder, { recursive: true });
    expect(lines.map((line) => JSON.parse(line).text)).toEqual(texts);
  });

  it('labels SQL statements by kind', () => {
    expect(['SELECT 1', ' insert into x', 'UPDATE x', 'DELETE FROM x', 'BEGIN', 'COMMIT', 'PRAGMA foreign_keys'].map(statementKind)).toEqual([
      'select',
      'insert',
      'update',
      'delete',
      'transaction',
      'transaction',
      'other',
    ]);
  });
});
