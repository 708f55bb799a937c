/**
 * Request limits (src/limits.ts): each refuses with a clear answer and a code, at its configured value, and
 * leaves ordinary clients alone (JSON POST, GET, SSE).
 */
import http from 'node:http';
import net from 'node:net';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveGateway, type LiveGateway } from './helpers/live.ts';
import { loadConfig } from '../src/config.ts';
import { codes, ok, startGateway, TEST_SECRET, tokenFor, type TestGateway } from './helpers/gateway.ts';
import { manager, member, threeGroups } from './helpers/world.ts';

/** A document exactly `depth` levels deep (leaf included): group → members → edges → node → group → … */
function nested(depth: number): string {
  const cycle = ['members(first: 1)', 'edges', 'node', 'group'];
  const containers = ['group(id: $id)', ...Array.from({ length: depth - 2 }, (_, i) => cycle[i % 4])];
  const leaf: Record<string, string> = { group: 'id', members: 'totalCount', edges: 'cursor', node: 'memberId' };
  const last = containers[containers.length - 1].split('(')[0];
  return `query($id: ID!) { ${containers.reduceRight((selection, field) => `${field} { ${selection} }`, leaf[last])} }`;
}

async function post(gw: TestGateway, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const response = await gw.fetch('/graphql', { method: 'POST', headers, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: text ? JSON.parse(text) : null };
}

describe('document limits (defaults)', () => {
  let gw: TestGateway;
  let groupId: string;
  beforeAll(async () => {
    gw = await startGateway();
    groupId = (await threeGroups(gw)).PUBLIC.id;
  });
  afterAll(() => gw.close());

  it('depth: 10 levels pass, 11 are GRAPHQL_VALIDATION_FAILED naming the limit', async () => {
    ok(await gw.as(manager)(nested(10), { id: groupId }));
    const refused = await gw.as(manager)(nested(11), { id: groupId });
    expect(codes(refused)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(refused.errors![0].message).toBe('Query depth limit of 10 exceeded, found 11.');
    expect(refused.data).toBeUndefined();
  });

  it('aliases: 15 pass, 16 are refused', async () => {
    const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: groupsSettings { groupCreation }`).join(' ')} }`;
    ok(await gw.as(member)(aliases(15)));
    const refused = await gw.as(member)(aliases(16));
    expect(codes(refused)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(refused.errors![0].message).toMatch(/^Aliases limit of 15 exceeded/);
  });

  it('directives: 50 pass, 51 are refused', async () => {
    const directives = (n: number) => `{ viewer { ${'memberId @include(if: true) '.repeat(n)} } }`;
    ok(await gw.as(member)(directives(50)));
    expect(codes(await gw.as(member)(directives(51)))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });

  it('tokens: a document over 1000 tokens is refused while it is parsed', async () => {
    // 16 tokens around the list, and one per value in it
    const tokens = (n: number) => `{ groups(filter: { privacy: [${'PUBLIC '.repeat(n - 16)}] }) { totalCount } }`;
    ok(await gw.as(member)(tokens(1000)));
    const refused = await gw.as(member)(tokens(1001));
    expect(codes(refused)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(refused.errors![0].message).toBe('Token limit of 1000 exceeded.');
  });

  it('cost: a page of 100 rich nodes passes, a page of pages is refused before it runs', async () => {
    ok(await gw.as(member)(`{ viewer { createRequests(first: 100) { totalCount edges { node { requestedBy name status rejectionReason group { name } } } } } }`));
    gw.statements.length = 0;
    const refused = await gw.as(member)(`{ groups(first: 100) { edges { node { members(first: 100) { edges { node { memberId } } } } } } }`);
    expect(codes(refused)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(refused.errors![0].message).toMatch(/^Query Cost limit of 50000 exceeded/);
    expect(gw.statements).toEqual([]);
  });

  it('cost: pages sized by variables, or by default, count at the size they will have', async () => {
    const nested = `query($n: Int, $m: Int) { groups(first: $n) { edges { node { members(first: $m) { edges { node { memberId } } } } } } }`;
    gw.statements.length = 0;
    // Pages of 100 in pages of 100, given as variables: refused before any statement, as when written in.
    const refused = await gw.as(member)(nested, { n: 100, m: 100 });
    expect(codes(refused)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(refused.errors![0].message).toMatch(/^Query Cost limit of 50000 exceeded/);
    expect(gw.statements).toEqual([]);
    // The same document with small pages runs: its cost depends on its variables (each combination's verdict
    // is kept: asked again, each answers the same).
    ok(await gw.as(member)(nested, { n: 5, m: 5 }));
    ok(await gw.as(member)(nested, { n: 5, m: 5 }));
    expect(codes(await gw.as(member)(nested, { n: 100, m: 100 }))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(codes(await gw.as(member)(nested, { n: 100, m: 5 }))).toEqual([]);
    // A variable's default in the operation counts when it is not given; a page left out, DEFAULT_PAGE_SIZE.
    const defaulted = `query($n: Int = 100, $m: Int = 100) { groups(first: $n) { edges { node { members(first: $m) { edges { node { memberId } } } } } } }`;
    expect(codes(await gw.as(member)(defaulted))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    ok(await gw.as(member)(defaulted, { n: 3 }));
    // A null given is not a variable left out: null is the default page size, left out is the operation's
    // default. Each keeps its own verdict, whichever comes first (a null's pass once let the defaults run).
    const nullFirst = `query($n: Int = 100) { groups(first: $n) { edges { node { members(first: $n) { edges { node { memberId role joinedAt } } } } } } }`;
    ok(await gw.as(member)(nullFirst, { n: null }));
    expect(codes(await gw.as(member)(nullFirst, {}))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(codes(await gw.as(member)(nullFirst))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    ok(await gw.as(member)(nullFirst, { n: null }));
    // Pages sized by `last` count as those sized by `first` do, and a page given both at its larger size.
    const backward = `query($n: Int, $m: Int) { groups(last: $n) { edges { node { members(last: $m) { edges { node { memberId } } } } } } }`;
    expect(codes(await gw.as(member)(backward, { n: 100, m: 100 }))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    ok(await gw.as(member)(backward, { n: 5, m: 5 }));
    const both = `query($n: Int) { groups(first: 1, last: $n) { edges { node { members(first: 100) { edges { node { memberId } } } } } } }`;
    gw.statements.length = 0;
    expect(codes(await gw.as(member)(both, { n: 100 }))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(codes(await gw.as(member)(both, { n: 1 }))).toEqual(['BAD_USER_INPUT']);
    expect(gw.statements).toEqual([]);
    // Without first at all: pages of 20 in pages of 20 in pages of 20, over the limit; 20 x 20, under it.
    expect(codes(await gw.as(member)(`{ groups { edges { node { members { edges { node { group { members { totalCount edges { node { memberId role joinedAt } } } } } } } } } } }`))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    ok(await gw.as(member)(`{ groups { edges { node { members { edges { node { memberId } } } } } } }`));
  });

  it('cost: a list sized by the ids it is given counts each id (nodes, a mutation’s memberIds)', async () => {
    const ids = (n: number) => Array.from({ length: n }, () => groupId);
    const nodes = `query($ids: [ID!]!) { nodes(ids: $ids) { ... on Group { id members(first: 100) { edges { node { memberId role joinedAt } } } } } }`;
    gw.statements.length = 0;
    // 100 ids (the same public group a hundred times would do), each with a page of 100 members: 10,000 edges.
    for (const vars of [{ ids: ids(100) }]) expect(codes(await gw.as('anonymous')(nodes, vars))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    const literal = `{ nodes(ids: [${ids(100).map((id) => JSON.stringify(id)).join(', ')}]) { ... on Group { members(last: 100) { edges { node { memberId } } } } } }`;
    expect(codes(await gw.as('anonymous')(literal))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    // A list given by its variable's default counts the same.
    const defaulted = `query($ids: [ID!]! = [${ids(100).map((id) => JSON.stringify(id)).join(', ')}]) { nodes(ids: $ids) { ... on Group { members(first: 100) { edges { node { memberId } } } } } }`;
    expect(codes(await gw.as('anonymous')(defaulted))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(gw.statements).toEqual([]);
    // A few ids run.
    expect(ok(await gw.as('anonymous')(nodes, { ids: ids(3) })).nodes).toHaveLength(3);
    // A mutation that answers one member for each id, with a page of the group's members under each.
    const assign = `mutation($g: ID!, $m: [ID!]!) { assignRole(groupId: $g, memberIds: $m, role: MEMBER) { group { members(first: 100) { edges { node { memberId role joinedAt } } } } } }`;
    const many = Array.from({ length: 100 }, (_, i) => `m${i}`);
    expect(codes(await gw.as(manager)(assign, { g: groupId, m: many }))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });

  it('cost: only the operation that runs is estimated, with its own variables’ defaults', async () => {
    const document = `query Small($n: Int = 1) { groups(last: $n) { totalCount } }
      query Big($n: Int = 100) { groups(last: $n) { edges { node { id members(last: $n) { edges { node { memberId role joinedAt } } } } } } }`;
    const run = async (operationName: string) => (await post(gw, JSON.stringify({ query: document, operationName }))).json;
    // Big with its own default of 100 is refused, though Small declares $n = 1 first; Small runs, though Big
    // (which does not run) would be refused.
    expect(codes(await run('Big'))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(codes(await run('Small'))).toEqual([]);
    expect(codes(await run('Big'))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });

  it('depth and cost read fragments as written in place', async () => {
    const inline = `{ viewer { memberships(first: 1) { edges { node { group { members(first: 1) { edges { node { memberId } } } } } } } } }`;
    const spread = `{ viewer { ...V } } fragment V on Viewer { memberships(first: 1) { edges { node { group { ...G } } } } }
      fragment G on Group { members(first: 1) { edges { node { memberId } } } }`;
    const typed = `{ viewer { ... on Viewer { memberships(first: 1) { edges { node { group { ... on Group { members(first: 1) { edges { node { memberId } } } } } } } } } } }`;
    const answers = [];
    for (const query of [inline, spread, typed]) answers.push(ok(await gw.as(member)(query)));
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
  });

  it('a literal first above MAX_PAGE_SIZE is BAD_USER_INPUT, as the same value in a variable is, before the cost limit', async () => {
    const literal = await gw.as(member)(`{ groups(first: 10000) { edges { node { id members(first: 5) { totalCount } } } } }`);
    const variable = await gw.as(member)(`query($n: Int) { groups(first: $n) { edges { node { id members(first: 5) { totalCount } } } } }`, { n: 10000 });
    expect(codes(literal)).toEqual(['BAD_USER_INPUT']);
    expect(codes(variable)).toEqual(['BAD_USER_INPUT']);
    expect(literal.errors![0].message).toBe(variable.errors![0].message);
    expect(literal.errors![0].message).toBe('"first" must be between 0 and 100.');
    expect(literal.data ?? null).toBeNull();
    // In a fragment, on a nested page, too; and a page within bounds still counts toward the cost.
    const nested = await gw.as(member)(`{ groups(first: 2) { edges { node { ...M } } } } fragment M on Group { members(first: 101) { totalCount } }`);
    expect(codes(nested)).toEqual(['BAD_USER_INPUT']);
    ok(await gw.as(member)(`{ groups(first: 100) { totalCount } }`));
    const costly = await gw.as(member)(`{ groups(first: 100) { edges { node { members(first: 100) { edges { node { memberId } } } } } } }`);
    expect(codes(costly)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });

  it('a document is validated once: the next request finds its result in the validation cache, limits included', () => {
    // Two requests' Envelop runs. A cache hit hands back the very array the first validation returned; a
    // miss (a rule list that changes from request to request: src/limits.ts) validates again.
    const run = (query: string) => {
      const request = new Request('http://gateway.test/graphql', { method: 'POST' });
      const enveloped = gw.app.yoga.getEnveloped({ request, params: { query } });
      return enveloped.validate(enveloped.schema, enveloped.parse(query));
    };
    const valid = '{ viewer { memberId } }';
    const first = run(valid);
    expect(first).toEqual([]);
    expect(run(valid)).toBe(first);

    const tooDeep = nested(11).replace('query($id: ID!)', 'query($id: ID! = "x")');
    const refused = run(tooDeep);
    expect(refused.map((error: { message: string }) => error.message)).toEqual(['Query depth limit of 10 exceeded, found 11.']);
    expect(run(tooDeep)).toBe(refused);
  });

  it('batching is off: an array of operations is a 400', async () => {
    const batch = await post(gw, JSON.stringify([{ query: '{ viewer { memberId } }' }, { query: '{ viewer { memberId } }' }]));
    expect(batch.status).toBe(400);
    expect(batch.json.errors[0].message).toBe('Batching is not supported.');
  });

  it('introspection is on outside production; field suggestions are shown there', async () => {
    ok(await gw.as('anonymous')(`{ __schema { queryType { name } } }`));
    const typo = await gw.as('anonymous')(`{ groupz }`);
    expect(typo.errors![0].message).toContain('Did you mean');
  });

  it('variables of the wrong type are BAD_USER_INPUT, not an internal error', async () => {
    for (const [query, variables] of [
      ['query($f: Int) { groups(first: $f) { totalCount } }', { f: 'ten' }],
      ['query($s: [GroupSort!]) { groups(sort: $s) { totalCount } }', { s: [{ field: 'SIZE', order: 'ASC' }] }],
      ['query($id: ID!) { group(id: $id) { id } }', { id: { nested: true } }],
      ['query($id: ID!) { group(id: $id) { id } }', {}],
    ] as const) {
      const response = await gw.as('anonymous')(query, variables);
      expect({ query, codes: codes(response) }).toEqual({ query, codes: ['BAD_USER_INPUT'] });
    }
  });

  it('a variable of the wrong type is named as the client declared it, with the place in its value', async () => {
    const messageOf = async (query: string, variables: Record<string, unknown>) => (await gw.as('anonymous')(query, variables)).errors![0].message;
    expect(await messageOf('mutation($i: CreateGroupInput!) { createGroup(input: $i) { group { id } } }', { i: { name: 'x', privacy: 'HIDDEN' } }))
      .toBe('Variable "$i" at "i.privacy" got invalid value "HIDDEN"; Expected type GroupPrivacy.');
    expect(await messageOf('query($s: [GroupSort!]) { groups(sort: $s) { totalCount } }', { s: [{ field: 'MEMBERS_COUNT', order: 'ASC' }, { field: 'SIZE', order: 'ASC' }] }))
      .toBe('Variable "$s" at "s[1].field" got invalid value "SIZE"; Expected type GroupSortField.');
    expect(await messageOf('query($f: Int) { groups(first: $f) { totalCount } }', { f: 'ten' })).toMatch(/^Variable "\$f" got invalid value "ten"/);
  });

  it('a body over 1 MiB is HTTP 413 before it is read', async () => {
    const huge = await post(gw, JSON.stringify({ query: '{ viewer { memberId } }', variables: { x: 'a'.repeat(1_100_000) } }));
    expect(huge.status).toBe(413);
  });
});

describe('the body limit on the wire (a real port)', () => {
  let gw: LiveGateway;
  beforeAll(async () => {
    gw = await startLiveGateway({ MAX_BODY_BYTES: '2000', REQUEST_TIMEOUT_MS: '1500' });
  });
  afterAll(() => gw?.close());

  /** Sends `chunks` as one POST, with the given Content-Length or (null) chunked; the status and body. */
  function send(chunks: string[], contentLength: string | null): Promise<{ status: number; json: any }> {
    const url = new URL(gw.server.url);
    return new Promise((resolve, reject) => {
      const request = http.request({
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(contentLength === null ? {} : { 'content-length': contentLength }) },
      });
      request.on('response', (response) => {
        let text = '';
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode!, json: text ? JSON.parse(text) : null }));
      });
      request.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error)));
      for (const chunk of chunks) request.write(chunk);
      request.end();
    });
  }
  const small = JSON.stringify({ query: '{ viewer { memberId } }' });
  const big = JSON.stringify({ query: '{ viewer { memberId } }', variables: { padding: 'x'.repeat(3_000) } });

  it('within the limit: answered, with or without Content-Length', async () => {
    for (const length of [String(Buffer.byteLength(small)), null]) {
      const answer = await send([small.slice(0, 10), small.slice(10)], length);
      expect({ length, answer }).toEqual({ length, answer: { status: 200, json: { data: { viewer: { memberId: null } } } } });
    }
  });

  it('over the limit: HTTP 413 BAD_USER_INPUT, whether the Content-Length says so or a chunked body runs over', async () => {
    for (const length of [String(Buffer.byteLength(big)), null]) {
      const answer = await send([big.slice(0, 1_000), big.slice(1_000)], length);
      expect({ length, status: answer.status, codes: codes(answer.json) }).toEqual({ length, status: 413, codes: ['BAD_USER_INPUT'] });
    }
  });

  it('a Content-Length that is not one number: HTTP 400', async () => {
    const answer = await send([small], `${Buffer.byteLength(small)}, ${Buffer.byteLength(small)}`);
    expect(answer.status).toBe(400);
  });

  it('a client that stops sending its body is cut after REQUEST_TIMEOUT_MS, not after Node’s five minutes', async () => {
    const url = new URL(gw.server.url);
    const socket = net.connect(Number(url.port), url.hostname);
    const started = Date.now();
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write(`POST /graphql HTTP/1.1\r\nhost: ${url.host}\r\ncontent-type: application/json\r\ncontent-length: 1500\r\n\r\n{"query":`);
    await closed;
    const waited = Date.now() - started;
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(waited).toBeGreaterThanOrEqual(1_400);
    expect(waited).toBeLessThan(5_000);
  });

  it('a WebSocket message over MAX_BODY_BYTES closes the socket (1009) before it is read, even before connection_init', async () => {
    const socket = new WebSocket(gw.server.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { padding: 'x'.repeat(3_000) } }));
    expect(await closed).toBe(1009);
    // Within the limit, the protocol goes on as usual.
    const fine = new WebSocket(gw.server.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    await new Promise((resolve) => fine.once('open', resolve));
    const acked = new Promise((resolve) => fine.once('message', (data) => resolve(JSON.parse(String(data)).type)));
    fine.send(JSON.stringify({ type: 'connection_init', payload: { padding: 'x'.repeat(1_000) } }));
    expect(await acked).toBe('connection_ack');
    fine.close();
  });
});

describe('rate limiting over WebSocket, behind a proxy', () => {
  let gw: LiveGateway;
  beforeAll(async () => {
    gw = await startLiveGateway({ RATE_LIMIT_POINTS: '3', RATE_LIMIT_DURATION: '60', TRUST_PROXY: 'true' });
  });
  afterAll(() => gw?.close());

  /** Runs `{ viewer { memberId } }` `times` over one anonymous WebSocket whose upgrade came through the proxy for `address`. */
  async function askOverWs(address: string, times: number): Promise<string[]> {
    const Forwarded = class extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols, { headers: { 'x-forwarded-for': address } });
      }
    };
    const client = createClient({ url: gw.server.url.replace(/^http/, 'ws'), webSocketImpl: Forwarded, retryAttempts: 0 });
    const outcomes: string[] = [];
    try {
      for (let i = 0; i < times; i++) {
        outcomes.push(
          await new Promise<string>((resolve, reject) => {
            let outcome = 'none';
            client.subscribe({ query: '{ viewer { memberId } }' }, {
              next: (result) => (outcome = result.errors ? String(result.errors[0].extensions?.code) : 'ok'),
              error: reject,
              complete: () => resolve(outcome),
            });
          }),
        );
      }
    } finally {
      await client.dispose();
    }
    return outcomes;
  }

  it('anonymous operations count against the address the proxy saw, as over HTTP', async () => {
    expect(await askOverWs('203.0.113.1', 4)).toEqual(['ok', 'ok', 'ok', 'RATE_LIMITED']);
    // Another client behind the same proxy keeps its own allowance.
    expect(await askOverWs('198.51.100.7', 3)).toEqual(['ok', 'ok', 'ok']);
  });
});

describe('CSRF prevention', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(() => gw.close());
  const query = '{ viewer { memberId } }';

  it('a POST a browser sends without preflight needs the header: 403 FORBIDDEN without it', async () => {
    for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x', '']) {
      const refused = await post(gw, `query=${encodeURIComponent(query)}`, type ? { 'content-type': type } : {});
      expect({ type, status: refused.status, codes: codes(refused.json) }).toEqual({ type, status: 403, codes: ['FORBIDDEN'] });
      expect(refused.json.errors[0].message).toContain('x-graphql-yoga-csrf');
    }
    const form = await post(gw, `query=${encodeURIComponent(query)}`, {
      'content-type': 'application/x-www-form-urlencoded',
      'x-graphql-yoga-csrf': '1',
    });
    expect(form.json).toEqual({ data: { viewer: { memberId: null } } });
  });

  it('JSON POST, GET and SSE clients need nothing extra', async () => {
    expect((await post(gw, JSON.stringify({ query }))).json).toEqual({ data: { viewer: { memberId: null } } });
    const get = await gw.fetch(`/graphql?query=${encodeURIComponent(query)}`, { headers: { accept: 'application/json' } });
    expect(await get.json()).toEqual({ data: { viewer: { memberId: null } } });
    const controller = new AbortController();
    const sse = await gw.fetch(`/graphql?query=${encodeURIComponent('subscription { groupEvents { id } }')}`, {
      headers: { accept: 'text/event-stream' },
      signal: controller.signal,
    });
    expect(sse.status).toBe(200);
    expect(sse.headers.get('content-type')).toContain('text/event-stream');
    controller.abort();
    await sse.body?.cancel().catch(() => undefined);
  });

  it('mutations still refuse GET (Yoga), so GET never changes anything', async () => {
    const get = await gw.fetch(`/graphql?query=${encodeURIComponent('mutation { leaveGroup(groupId: "x") { groupId } }')}`, {
      headers: { accept: 'application/json' },
    });
    expect(get.status).toBe(405);
  });
});

describe('configured limits', () => {
  it('BATCH_LIMIT allows that many operations per request, and refuses more', async () => {
    const gw = await startGateway({ BATCH_LIMIT: '2' });
    try {
      const one = { query: '{ viewer { memberId } }' };
      const two = await post(gw, JSON.stringify([one, one]));
      expect(two.json).toEqual([{ data: { viewer: { memberId: null } } }, { data: { viewer: { memberId: null } } }]);
      const three = await post(gw, JSON.stringify([one, one, one]));
      expect(three.status).toBe(413);
      expect(three.json.errors[0].message).toBe('Batching is limited to 2 operations per request.');
    } finally {
      await gw.close();
    }
  });

  it('production: no introspection, no field suggestions; __typename still answers', async () => {
    const gw = await startGateway({ NODE_ENV: 'production', LOG_LEVEL: 'silent' });
    try {
      for (const query of [`{ __schema { queryType { name } } }`, `{ __type(name: "Group") { name } }`]) {
        const refused = await gw.as('anonymous')(query);
        expect(new Set(codes(refused))).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));
        expect(refused.errors![0].message).toContain('introspection has been disabled');
      }
      expect(ok(await gw.as('anonymous')(`{ __typename }`))).toEqual({ __typename: 'Query' });
      const typo = await gw.as('anonymous')(`{ groupz }`);
      expect(codes(typo)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      expect(typo.errors![0].message).not.toContain('Did you mean');
      // Nor of enum values, written in the document or passed as variables (which the direct path answers).
      const literal = await gw.as('anonymous')(`{ groups(filter: { privacy: [PUBLI] }) { totalCount } }`);
      const variable = await gw.as('anonymous')(`query($p: [GroupPrivacy!]) { groups(filter: { privacy: $p }) { totalCount } }`, { p: ['PUBLI'] });
      expect({ literal: codes(literal), variable: codes(variable) }).toEqual({ literal: ['GRAPHQL_VALIDATION_FAILED'], variable: ['BAD_USER_INPUT'] });
      for (const response of [literal, variable]) {
        expect(response.errors![0].message).toContain('"PUBLI"');
        expect(response.errors![0].message).not.toMatch(/Did you mean|"PUBLIC"/);
      }
    } finally {
      await gw.close();
    }
  });

  it('INTROSPECTION=true turns it back on in production', async () => {
    const gw = await startGateway({ NODE_ENV: 'production', LOG_LEVEL: 'silent', INTROSPECTION: 'true' });
    try {
      ok(await gw.as('anonymous')(`{ __schema { queryType { name } } }`));
    } finally {
      await gw.close();
    }
  });

  it('invalid values stop start-up with a message naming the variable', () => {
    const base = { NODE_ENV: 'test', JWT_SECRET: TEST_SECRET };
    expect(() => loadConfig({ ...base, BATCH_LIMIT: '11' })).toThrow('BATCH_LIMIT must be at most 10');
    expect(() => loadConfig({ ...base, MAX_DEPTH: '0' })).toThrow('MAX_DEPTH');
    expect(() => loadConfig({ ...base, INTROSPECTION: 'maybe' })).toThrow('INTROSPECTION');
    expect(() => loadConfig({ ...base, CSRF_HEADERS: ' , ' })).toThrow('CSRF_HEADERS');
    expect(() => loadConfig({ ...base, PORT: '70000' })).toThrow('PORT must be an integer from 0 to 65535, got "70000"');
    expect(loadConfig({ ...base, PORT: '65535' }).port).toBe(65_535);
    const defaults = loadConfig({ ...base, NODE_ENV: 'development' }).limits;
    expect(defaults).toMatchObject({ maxDepth: 10, maxAliases: 15, maxDirectives: 50, maxTokens: 1000, maxCost: 50_000, batchLimit: 0 });
    expect(defaults).toMatchObject({ introspection: true, maxBodyBytes: 1_048_576, rateLimitPoints: 600, rateLimitDuration: 60 });
  });
});

describe('rate limiting', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({ RATE_LIMIT_POINTS: '3', RATE_LIMIT_DURATION: '60', TRUST_PROXY: 'true' });
  });
  afterAll(() => gw.close());

  async function ask(headers: Record<string, string>, body: unknown = { query: '{ viewer { memberId } }' }) {
    return post(gw, JSON.stringify(body), { 'content-type': 'application/json', ...headers });
  }

  it('a member gets RATE_LIMITED (HTTP 429, Retry-After) past the limit; others keep their own allowance', async () => {
    const alice = { authorization: `Bearer ${await tokenFor({ sub: 'alice' })}` };
    const bob = { authorization: `Bearer ${await tokenFor({ sub: 'bob' })}` };
    for (let i = 0; i < 3; i++) expect((await ask(alice)).status).toBe(200);
    const limited = await ask(alice);
    expect(limited.status).toBe(429);
    expect(codes(limited.json)).toEqual(['RATE_LIMITED']);
    expect(limited.json.errors[0].message).toMatch(/^Too many requests\. Try again in \d+ seconds\.$/);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.json.data).toBeUndefined();
    expect((await ask(bob)).json).toEqual({ data: { viewer: { memberId: 'bob' } } });
  });

  it('anonymous clients are counted by address (the proxy’s X-Forwarded-For entry under TRUST_PROXY)', async () => {
    const first = { 'x-forwarded-for': '203.0.113.9, 198.51.100.1' };
    for (let i = 0; i < 3; i++) expect((await ask(first)).status).toBe(200);
    expect((await ask(first)).status).toBe(429);
    // The client-supplied part of the header does not pick the bucket: only the last entry counts.
    expect((await ask({ 'x-forwarded-for': '10.0.0.1, 198.51.100.1' })).status).toBe(429);
    expect((await ask({ 'x-forwarded-for': '198.51.100.2' })).status).toBe(200);
  });

  it('a mutation past the limit changes nothing', async () => {
    const carol = { authorization: `Bearer ${await tokenFor({ sub: 'carol', manager: true })}` };
    for (let i = 0; i < 3; i++) await ask(carol);
    const before = await gw.app.services.db.group.count();
    const refused = await ask(carol, { query: 'mutation { createGroup(input: { name: "Too late" }) { group { id } } }' });
    expect(codes(refused.json)).toEqual(['RATE_LIMITED']);
    expect(await gw.app.services.db.group.count()).toBe(before);
  });
});
