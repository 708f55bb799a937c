/**
 * The direct POST path (src/graphql-post.ts) answers exactly as Yoga does. Each request goes over real HTTP
 * to a server whose listener is the one of src/http.ts, and the same request goes to Yoga's own handler
 * in-process; status, content type, extra headers and body must be equal. The test also checks which
 * requests the path takes, which it hands to Yoga after reading the body, and which it leaves to Yoga, and
 * it fails when a Yoga plugin with request-level hooks appears that the path would skip.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphQLError } from 'graphql';
import { maskError } from '../src/app.ts';
import { directPost } from '../src/graphql-post.ts';
import { codes, ok, startGateway, tokenFor, type TestGateway, type ViewerSpec } from './helpers/gateway.ts';
import { addMembers, admin, member, outsider, threeGroups, type GroupHandle, type Privacy } from './helpers/world.ts';

type Route = 'direct' | 'handed over' | 'yoga';

interface Answer {
  status: number;
  contentType: string | undefined;
  retryAfter: string | undefined;
  /** The CORS headers, joined (empty without an Origin header). */
  cors: string;
  body: string;
}

const CORS_HEADERS = ['access-control-allow-origin', 'access-control-allow-credentials', 'access-control-allow-methods', 'access-control-expose-headers', 'vary'];

/** A server like src/http.ts's, counting where each request went. */
function serve(gw: TestGateway, maxBodyBytes: number) {
  const yoga = gw.app.yoga;
  const routes: Route[] = [];
  // The path hands a request over through `yoga.fetch`: counted by wrapping it.
  const counted = new Proxy(yoga, {
    get(target, property) {
      if (property === 'fetch') {
        return (...args: Parameters<typeof yoga.fetch>) => {
          routes[routes.length - 1] = 'handed over';
          return target.fetch(...args);
        };
      }
      return Reflect.get(target, property);
    },
  });
  const take = directPost({ yoga: counted, observers: gw.app.httpObservers, maxBodyBytes, maskError, cors: gw.app.cors, persistedQueries: gw.app.persistedQueries });
  const server = http.createServer((req, res) => {
    routes.push('direct');
    if (take(req, res)) return;
    routes[routes.length - 1] = 'yoga';
    void yoga(req, res);
  });
  return { server, routes };
}

describe('POST /graphql answered directly', () => {
  let gw: TestGateway;
  let server: http.Server;
  let routes: Route[];
  let port: number;
  let groups: Record<Privacy, GroupHandle>;
  const MAX_BODY = 4_096;

  beforeAll(async () => {
    gw = await startGateway({ MAX_BODY_BYTES: String(MAX_BODY) });
    groups = await threeGroups(gw);
    await addMembers(gw, groups.PUBLIC.id, ['carol', 'dave']);
    ({ server, routes } = serve(gw, MAX_BODY));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server?.close();
    await gw?.close();
  });

  /** Sends exactly these headers over HTTP (node:http adds Host, Content-Length and Connection only). */
  function overHttp(method: string, headers: Record<string, string>, body?: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const request = http.request({ host: '127.0.0.1', port, path: '/graphql', method, headers }, (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode!,
            contentType: response.headers['content-type'],
            retryAfter: response.headers['retry-after'] as string | undefined,
            cors: CORS_HEADERS.map((name) => `${name}=${response.headers[name] ?? ''}`).join('; '),
            body: text,
          }),
        );
      });
      request.on('error', reject);
      request.end(body);
    });
  }

  async function inYoga(method: string, headers: Record<string, string>, body?: string): Promise<Answer> {
    const response = await gw.fetch('/graphql', { method, headers, body });
    return {
      status: response.status,
      contentType: response.headers.get('content-type') ?? undefined,
      retryAfter: response.headers.get('retry-after') ?? undefined,
      cors: CORS_HEADERS.map((name) => `${name}=${response.headers.get(name) ?? ''}`).join('; '),
      body: await response.text(),
    };
  }

  /** The answer over HTTP, checked equal to Yoga's own, and the route it took. */
  async function compare(headers: Record<string, string>, body: string, method = 'POST') {
    const direct = await overHttp(method, headers, body);
    const route = routes.at(-1);
    const yoga = await inYoga(method, headers, body);
    expect(direct).toEqual(yoga);
    return { ...direct, route, json: direct.body ? JSON.parse(direct.body) : null };
  }

  const json = { 'content-type': 'application/json' };
  const as = async (viewer: ViewerSpec): Promise<Record<string, string>> => {
    const token = await tokenFor(viewer);
    return token ? { authorization: `Bearer ${token}` } : {};
  };

  it.each([
    ['no Accept header', undefined, 'application/json'],
    ['*/*', '*/*', 'application/json'],
    ['application/json', 'application/json', 'application/json'],
    ['application/graphql-response+json', 'application/graphql-response+json', 'application/graphql-response+json'],
    ['both, graphql-response first', 'application/graphql-response+json, application/json', 'application/graphql-response+json'],
    ['both, json first', 'application/json, application/graphql-response+json', 'application/json'],
    // What clients send: Apollo Client 4, urql, and headers that rank by q-value (src/media-types.ts).
    ['Apollo Client 4’s', 'application/graphql-response+json,application/json;q=0.9', 'application/graphql-response+json'],
    ['urql’s', 'application/graphql-response+json, application/graphql+json, application/json, text/event-stream, multipart/mixed', 'application/graphql-response+json'],
    ['json ranked lower by q', 'application/json;q=0.5, application/graphql-response+json', 'application/graphql-response+json'],
    ['json refused (q=0) and any other type', 'application/json;q=0, */*', 'application/graphql-response+json'],
    ['application/*', 'application/*', 'application/json'],
  ])('answers a query with %s as Yoga does', async (_, accept, mediaType) => {
    const answer = await compare({ ...json, ...(accept ? { accept } : {}) }, JSON.stringify({ query: '{ __typename }' }));
    expect(answer.route).toBe('direct');
    expect(answer.status).toBe(200);
    expect(answer.contentType).toBe(`${mediaType}; charset=utf-8`);
    expect(answer.json).toEqual({ data: { __typename: 'Query' } });
  });

  it('answers a persisted query’s hash itself once its document is kept; the document sent to be kept, and an unknown hash, are Yoga’s', async () => {
    const query = `query Kept($id: ID!) { group(id: $id) { name viewerRole } }`;
    const hash = createHash('sha256').update(query).digest('hex');
    const persisted = (withQuery: boolean) =>
      JSON.stringify({ ...(withQuery ? { query } : {}), variables: { id: groups.SECRET.id }, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } });
    const unknown = await compare({ ...json }, persisted(false));
    expect(unknown.route).toBe('handed over');
    expect(unknown.json.errors[0].message).toBe('PersistedQueryNotFound');
    const kept = await overHttp('POST', { ...json, ...(await as(member)) }, persisted(true));
    expect(routes.at(-1)).toBe('handed over');
    expect(JSON.parse(kept.body).data.group).toMatchObject({ name: groups.SECRET.name, viewerRole: 'MEMBER' });
    for (const [viewer, visible] of [[member, true], [outsider, false]] as const) {
      const answer = await compare({ ...json, ...(await as(viewer)) }, persisted(false));
      expect(answer.route).toBe('direct');
      expect(answer.json.data.group === null).toBe(!visible);
    }
  });

  it('answers a browser’s request (an Origin header) with Yoga’s CORS headers', async () => {
    const answer = await compare({ ...json, origin: 'https://groups.example', ...(await as(member)) }, JSON.stringify({ query: '{ viewer { memberId } }' }));
    expect(answer.route).toBe('direct');
    expect(answer.cors).toContain('access-control-allow-origin=https://groups.example');
    expect(answer.cors).toContain('access-control-expose-headers=Retry-After, X-Request-Id, WWW-Authenticate');
    expect(answer.json).toEqual({ data: { viewer: { memberId: 'member' } } });
  });

  it('answers a member query with variables, and a SECRET group stays hidden from an outsider', async () => {
    const query = `query Mine($id: ID!) { group(id: $id) { name viewerRole members(first: 5) { totalCount } } }`;
    for (const [viewer, visible] of [[member, true], [outsider, false]] as const) {
      const answer = await compare(
        { ...json, ...(await as(viewer)) },
        JSON.stringify({ query, variables: { id: groups.SECRET.id }, operationName: 'Mine' }),
      );
      expect(answer.route).toBe('direct');
      expect(answer.json.data.group === null).toBe(!visible);
      if (visible) expect(answer.json.data.group).toMatchObject({ name: groups.SECRET.name, viewerRole: 'MEMBER' });
    }
  });

  it('answers errors the operation returns with Yoga’s codes and statuses', async () => {
    const forbidden = JSON.stringify({ query: `{ memberships(memberId: "carol", first: 1) { totalCount } }` });
    for (const accept of ['application/json', 'application/graphql-response+json']) {
      const answer = await compare({ ...json, accept, ...(await as(outsider)) }, forbidden);
      expect(answer.route).toBe('direct');
      expect(codes(answer.json)).toEqual(['FORBIDDEN']);
    }
    // Variables of the wrong type fail in execution: still this path's, still the client's mistake.
    const wrongType = await compare(json, JSON.stringify({ query: `query($n: Int) { groups(first: $n) { totalCount } }`, variables: { n: 'ten' } }));
    expect(wrongType.route).toBe('direct');
    expect(codes(wrongType.json)).toEqual(['BAD_USER_INPUT']);
  });

  it('answers requests that arrive together (written in one batch per turn) each with its own answer', async () => {
    const viewers = ['alice', 'bob', 'carol', 'dave', 'erin'];
    const headers = await Promise.all(viewers.map(async (sub) => ({ ...json, ...(await as({ sub })) })));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 10 });
    const send = (i: number) =>
      new Promise<{ sub: string; body: string }>((resolve, reject) => {
        const body = JSON.stringify({ query: `{ viewer { memberId } n${i}: __typename }` });
        const request = http.request({ host: '127.0.0.1', port, path: '/graphql', method: 'POST', headers: headers[i % viewers.length], agent }, (response) => {
          let text = '';
          response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
          response.on('end', () => resolve({ sub: viewers[i % viewers.length]!, body: text }));
        });
        request.on('error', reject);
        request.end(body);
      });
    try {
      const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => send(i)));
      answers.forEach(({ sub, body }, i) => expect(JSON.parse(body)).toEqual({ data: { viewer: { memberId: sub }, [`n${i}`]: 'Query' } }));
    } finally {
      agent.destroy();
    }
  });

  it('runs mutations', async () => {
    const join = JSON.stringify({ query: `mutation($id: ID!) { joinGroup(groupId: $id) { membership { role } joinRequest { status } } }`, variables: { id: groups.PUBLIC.id } });
    const answer = await overHttp('POST', { ...json, ...(await as({ sub: 'erin' })) }, join);
    expect(routes.at(-1)).toBe('direct');
    expect(JSON.parse(answer.body)).toEqual({ data: { joinGroup: { membership: { role: 'MEMBER' }, joinRequest: null } } });
    const seen = ok(await gw.as({ sub: 'erin' })(`query($id: ID!) { group(id: $id) { viewerRole } }`, { id: groups.PUBLIC.id }));
    expect(seen.group.viewerRole).toBe('MEMBER');
  });

  it.each([
    ['a syntax error', JSON.stringify({ query: '{ groups { ' }), 'GRAPHQL_PARSE_FAILED'],
    ['a field that does not exist', JSON.stringify({ query: '{ nope }' }), 'GRAPHQL_VALIDATION_FAILED'],
    ['a batch', JSON.stringify([{ query: '{ __typename }' }]), 'BAD_USER_INPUT'],
    ['an unknown parameter', JSON.stringify({ query: '{ __typename }', extra: 1 }), 'BAD_USER_INPUT'],
    ['a body that is not JSON', '{"query": ', 'BAD_USER_INPUT'],
    ['an operation name the document lacks', JSON.stringify({ query: 'query A { __typename }', operationName: 'B' }), 'GRAPHQL_VALIDATION_FAILED'],
  ])('hands %s to Yoga with the body it read', async (_, body, code) => {
    for (const accept of ['application/json', 'application/graphql-response+json']) {
      const answer = await compare({ ...json, accept }, body);
      expect(answer.route).toBe('handed over');
      expect(codes(answer.json)).toEqual([code]);
    }
  });

  it('hands a token that does not verify, and a subscription, to Yoga', async () => {
    const badToken = await compare({ ...json, authorization: 'Bearer not-a-jwt' }, JSON.stringify({ query: '{ __typename }' }));
    expect(badToken.route).toBe('handed over');
    expect(badToken.status).toBe(401);
    expect(codes(badToken.json)).toEqual(['UNAUTHENTICATED']);
    // Over POST a subscription is an SSE stream when the client accepts one; this client does not.
    const subscription = await compare({ ...json, accept: 'application/json' }, JSON.stringify({ query: `subscription { groupEvents(groupId: "${groups.PUBLIC.id}") { type } }` }));
    expect(subscription.route).toBe('handed over');
    expect(subscription.status).not.toBe(200);
  });

  it('leaves other requests to Yoga without reading them', async () => {
    const query = JSON.stringify({ query: '{ __typename }' });
    const cases: [Record<string, string>, string, number][] = [
      [{ 'content-type': 'text/plain' }, query, 403], // CSRF prevention
      [{ ...json, accept: 'text/html' }, query, 406],
      [json, JSON.stringify({ query: `{ __typename }${' '.repeat(MAX_BODY)}` }), 413],
    ];
    for (const [headers, body, status] of cases) {
      const answer = await compare(headers, body);
      expect(answer.route).toBe('yoga');
      expect(answer.status).toBe(status);
    }
    // A browser's preflight.
    const preflight = await compare(
      { origin: 'https://groups.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      '',
      'OPTIONS',
    );
    expect(preflight.route).toBe('yoga');
    expect(preflight.status).toBe(204);
  });

  it('takes every request-level hook of Yoga’s plugins into account', () => {
    // The path does itself what these hooks do for the requests it takes (see src/graphql-post.ts): Yoga's
    // request parsers, limits and CORS have nothing to do on them, the logs and metrics are told through
    // their HttpObserver, the result processor's choice is answerMediaType's (src/media-types.ts, whose
    // useMediaTypeNegotiation also refuses, with 406 before anything runs, an Accept header no answer fits,
    // and gives 406 and 415 a body: answers this path never gives, as it takes only what JSON answers). A plugin added with one of these hooks
    // must be looked at there, then counted here. (GraphiQL's onRequest is one of them outside production;
    // useEndRefusedStreams' onResultProcess ends subscriptions, which this path hands to Yoga; an empty
    // operationName is dropped by operationParams as by useParameterJson's onParams; a persisted query's
    // document is read from the same store as usePersistedQueries' onParams reads it, or the request is Yoga's.)
    const plugins = (gw.app.yoga as unknown as { plugins: Record<string, unknown>[] }).plugins;
    const count = (hook: string) => plugins.filter((plugin) => typeof plugin[hook] === 'function').length;
    expect({
      onRequest: count('onRequest'),
      onRequestParse: count('onRequestParse'),
      onParams: count('onParams'),
      onExecutionResult: count('onExecutionResult'),
      onResultProcess: count('onResultProcess'),
      onResponse: count('onResponse'),
    }).toEqual({ onRequest: 8, onRequestParse: 9, onParams: 5, onExecutionResult: 0, onResultProcess: 5, onResponse: 4 });
  });
});

describe('the rate limit on the direct path', () => {
  it('refuses with 429, Retry-After and RATE_LIMITED once the points are spent', async () => {
    const gw = await startGateway({ RATE_LIMIT_POINTS: '2', RATE_LIMIT_DURATION: '60' });
    const { server, routes } = serve(gw, 1_048_576);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
      const token = await tokenFor(admin);
      const send = () =>
        fetch(url, { method: 'POST', headers: { ...{ 'content-type': 'application/json' }, authorization: `Bearer ${token}` }, body: '{"query":"{ __typename }"}' });
      expect((await send()).status).toBe(200);
      expect((await send()).status).toBe(200);
      const refused = await send();
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(codes((await refused.json()) as never)).toEqual(['RATE_LIMITED']);
      expect(routes).toEqual(['direct', 'direct', 'direct']);
    } finally {
      server.close();
      await gw.close();
    }
  });
});

describe('maskError', () => {
  it('an error graphql raised while executing (a path, no code) is ours: INTERNAL_SERVER_ERROR, with a fixed message', () => {
    const raised = new GraphQLError('Cannot return null for non-nullable field Group.name.', { path: ['group', 'name'] });
    const masked = maskError(raised) as GraphQLError;
    expect(masked).not.toBe(raised);
    expect({ code: masked.extensions.code, message: masked.message }).toEqual({
      code: 'INTERNAL_SERVER_ERROR',
      message: 'Something went wrong on our side. Try again later.',
    });
  });

  it('a validation error (no path, no code) is the client’s: GRAPHQL_VALIDATION_FAILED', () => {
    const invalid = new GraphQLError('Cannot query field "groupz" on type "Query".');
    expect((maskError(invalid) as GraphQLError).extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});
