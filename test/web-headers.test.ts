/**
 * What the gateway says to browsers and to clients whose requests cannot be read: CORS (any origin without
 * credentials by default, only CORS_ORIGINS when set), `X-Content-Type-Options: nosniff` on every answer,
 * repeated Authorization headers refused rather than the first one believed, and JSON errors, not Node's
 * bare status lines, for requests Node cannot read. Raw requests over a socket against a real server, so
 * exactly the bytes under test reach it.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { tokenFor } from './helpers/gateway.ts';
import { startLiveGateway, type LiveGateway } from './helpers/live.ts';

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends `head` (the request line and headers, without the blank line) and `body` as written; reads one answer. */
function raw(url: string, head: string, body = ''): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    let text = '';
    socket.on('data', (chunk) => (text += chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? undefined : reject(error)));
    socket.on('close', () => {
      const [top, ...rest] = text.split('\r\n\r\n');
      const [statusLine, ...lines] = top.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    });
    socket.write(`${head}\r\nConnection: close\r\n${body ? `Content-Length: ${Buffer.byteLength(body)}\r\n` : ''}\r\n${body}`);
  });
}

const QUERY = JSON.stringify({ query: '{ viewer { memberId } }' });
const post = (url: string, headers: string[]) =>
  raw(url, [`POST /graphql HTTP/1.1`, `Host: ${new URL(url).host}`, 'Content-Type: application/json', ...headers].join('\r\n'), QUERY);
const get = (url: string, path: string, headers: string[] = []) =>
  raw(url, [`GET ${path} HTTP/1.1`, `Host: ${new URL(url).host}`, ...headers].join('\r\n'));
const preflight = (url: string, origin: string) =>
  raw(url, [`OPTIONS /graphql HTTP/1.1`, `Host: ${new URL(url).host}`, `Origin: ${origin}`, 'Access-Control-Request-Method: POST', 'Access-Control-Request-Headers: authorization, content-type'].join('\r\n'));
const corsOf = (answer: RawAnswer) =>
  Object.fromEntries(Object.entries(answer.headers).filter(([name]) => name.startsWith('access-control-') || name === 'vary'));
/** What a page on another origin may read besides the safelisted headers. */
const EXPOSED = { 'access-control-expose-headers': 'Retry-After, X-Request-Id, WWW-Authenticate' };
const GET_QUERY = `/graphql?query=${encodeURIComponent('{ __typename }')}`;

describe('with the defaults', () => {
  let gw: LiveGateway;
  beforeAll(async () => {
    gw = await startLiveGateway();
  });
  afterAll(() => gw.close());

  it('any origin may call, its Origin reflected, without credentials: on the direct POST path, through Yoga, and in a preflight', async () => {
    const origin = 'https://some-site.example';
    const answers = {
      post: await post(gw.server.url, [`Origin: ${origin}`]),
      get: await get(gw.server.url, GET_QUERY, [`Origin: ${origin}`]),
    };
    for (const [how, answer] of Object.entries(answers)) {
      expect({ how, status: answer.status, cors: corsOf(answer) }).toEqual({
        how,
        status: 200,
        cors: { 'access-control-allow-origin': origin, vary: 'Origin', ...EXPOSED },
      });
    }
    const options = await preflight(gw.server.url, origin);
    expect(options.status).toBe(204);
    expect(corsOf(options)).toEqual({
      'access-control-allow-origin': origin,
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': 'authorization, content-type',
      vary: 'Origin, Access-Control-Request-Headers',
      ...EXPOSED,
    });
  });

  it('a page on another origin may read Retry-After, X-Request-Id and WWW-Authenticate, on a refusal too', async () => {
    const origin = 'https://some-site.example';
    const refused = await post(gw.server.url, [`Origin: ${origin}`, 'Authorization: Bearer not-a-token']);
    expect(refused.status).toBe(401);
    const exposed = refused.headers['access-control-expose-headers']!.split(', ').map((name) => name.toLowerCase());
    // Every header of the answer a page would want is either safelisted (content-type) or exposed.
    for (const name of ['www-authenticate', 'x-request-id']) {
      expect(refused.headers[name]).toBeTruthy();
      expect(exposed).toContain(name);
    }
    expect(exposed).toContain('retry-after');
  });

  it('every answer says nosniff: a direct POST, a GET through Yoga, an error, /health', async () => {
    const answers = [
      await post(gw.server.url, []),
      await get(gw.server.url, GET_QUERY),
      await get(gw.server.url, `/graphql?query=${encodeURIComponent('{ nope }')}`),
      await get(gw.server.url, '/health'),
    ];
    expect(answers.map((answer) => [answer.status, answer.headers['x-content-type-options']])).toEqual([
      [200, 'nosniff'],
      [200, 'nosniff'],
      [200, 'nosniff'], // a validation error, to a client that accepts any type (GraphQL over HTTP's legacy 200)
      [200, 'nosniff'],
    ]);
  });

  it('two Authorization headers are refused (401), whichever tokens they carry; one is believed', async () => {
    const alice = `Authorization: Bearer ${await tokenFor({ sub: 'alice' })}`;
    const bob = `Authorization: Bearer ${await tokenFor({ sub: 'bob' })}`;
    const one = await post(gw.server.url, [alice]);
    expect({ status: one.status, body: JSON.parse(one.body) }).toEqual({ status: 200, body: { data: { viewer: { memberId: 'alice' } } } });
    for (const headers of [[alice, bob], [bob, alice], [alice, alice], [alice, 'authorization: ']]) {
      const answer = await post(gw.server.url, headers);
      expect({ headers, status: answer.status, body: JSON.parse(answer.body) }).toEqual({
        headers,
        status: 401,
        body: { errors: [{ message: 'Send one Authorization header with one "Bearer <token>".', extensions: { code: 'UNAUTHENTICATED' } }] },
      });
    }
  });

  it('a request Node cannot read gets its status with a JSON error, not a bare status line', async () => {
    const host = `Host: ${new URL(gw.server.url).host}`;
    const huge = await raw(gw.server.url, ['GET /graphql HTTP/1.1', host, `X-Padding: ${'x'.repeat(20_000)}`].join('\r\n'));
    const garbled = await raw(gw.server.url, ['GET /graphql HTTP/1.1', host, 'Bad Header Line'].join('\r\n'));
    for (const [answer, status, message] of [
      [huge, 431, 'The request headers are too large (at most 16 KB in all).'],
      [garbled, 400, 'The request is not valid HTTP.'],
    ] as const) {
      expect({ status: answer.status, type: answer.headers['content-type'], body: JSON.parse(answer.body) }).toEqual({
        status,
        type: 'application/json; charset=utf-8',
        body: { errors: [{ message, extensions: { code: 'BAD_USER_INPUT' } }] },
      });
    }
    // The server still answers.
    expect((await post(gw.server.url, [])).status).toBe(200);
  });
});

describe('with CORS_ORIGINS', () => {
  let gw: LiveGateway;
  const listed = 'https://groups.example.org';
  beforeAll(async () => {
    gw = await startLiveGateway({ CORS_ORIGINS: `${listed}, https://admin.example.org` });
  });
  afterAll(() => gw.close());

  it('a listed origin may call with credentials; any other gets no CORS headers at all', async () => {
    for (const answer of [await post(gw.server.url, [`Origin: ${listed}`]), await get(gw.server.url, GET_QUERY, [`Origin: ${listed}`])]) {
      expect(corsOf(answer)).toEqual({ 'access-control-allow-origin': listed, 'access-control-allow-credentials': 'true', vary: 'Origin', ...EXPOSED });
    }
    for (const origin of ['https://evil.example', 'null', 'https://groups.example.org.evil.example']) {
      const answers = [await post(gw.server.url, [`Origin: ${origin}`]), await get(gw.server.url, GET_QUERY, [`Origin: ${origin}`]), await preflight(gw.server.url, origin)];
      expect({ origin, cors: answers.map(corsOf) }).toEqual({ origin, cors: [{}, {}, {}] });
    }
    expect(corsOf(await preflight(gw.server.url, listed))).toMatchObject({ 'access-control-allow-origin': listed, 'access-control-allow-credentials': 'true' });
  });

  it('an origin with a path, a trailing slash or no scheme stops the gateway at start-up', () => {
    for (const value of ['https://groups.example.org/', 'groups.example.org', 'https://groups.example.org/app']) {
      expect(() => loadConfig({ NODE_ENV: 'test', CORS_ORIGINS: value })).toThrow(/CORS_ORIGINS must list origins/);
    }
    expect(loadConfig({ NODE_ENV: 'test', CORS_ORIGINS: '*' }).limits.corsOrigins).toBeNull();
    expect(loadConfig({ NODE_ENV: 'test', CORS_ORIGINS: 'http://localhost:3000' }).limits.corsOrigins).toEqual(['http://localhost:3000']);
  });
});
