/**
 * HTTP status codes, and what of them reaches WebSocket clients. A well-formed request is answered 200
 * whatever its field errors (GraphQL over HTTP), so a partial result is never mistaken for a refused
 * request; a token that cannot be trusted refuses the whole request with 401. Over graphql-ws there is no
 * status: errors carry the contract's code and nothing of Yoga's HTTP instructions (`extensions.http`).
 */
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenFor } from './helpers/gateway.ts';
import { startLiveGateway, type LiveGateway } from './helpers/live.ts';

let gw: LiveGateway;
beforeAll(async () => {
  gw = await startLiveGateway();
});
afterAll(() => gw.close());

/** One operation over graphql-ws, as `token`'s viewer: its results and errors, whichever way they came. */
async function overWs(token: string | null, query: string, variables: Record<string, unknown> = {}, operationName?: string) {
  const client = createClient({
    url: gw.server.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
  });
  try {
    return await new Promise<{ data?: unknown; errors: { message: string; extensions?: Record<string, unknown> }[] }>((resolve, reject) => {
      let result: { data?: unknown; errors: any[] } = { errors: [] };
      client.subscribe({ query, variables, ...(operationName !== undefined ? { operationName } : {}) }, {
        next: (value) => (result = { data: value.data, errors: [...(value.errors ?? [])] }),
        error: (error) => (Array.isArray(error) ? resolve({ errors: error }) : reject(error)),
        complete: () => resolve(result),
      });
    });
  } finally {
    await client.dispose();
  }
}

describe('over HTTP', () => {
  it('a field that needs sign-in, asked for anonymously, fails alone: the rest resolves and the status is 200', async () => {
    const response = await gw.as('anonymous')(`{ groups(first: 1) { totalCount } createRequests { totalCount } }`);
    expect(response).toEqual({
      status: 200,
      data: { groups: { totalCount: 0 }, createRequests: null },
      errors: [{ message: 'Sign in to do this.', path: ['createRequests'], extensions: { code: 'UNAUTHENTICATED' } }],
    });
  });

  it('an anonymous mutation is UNAUTHENTICATED with status 200, as any refused field', async () => {
    const response = await gw.as('anonymous')(`mutation { joinGroup(groupId: "g") { membership { memberId } } }`);
    expect({ status: response.status, codes: response.errors?.map((e) => e.extensions) }).toEqual({
      status: 200,
      codes: [{ code: 'UNAUTHENTICATED' }],
    });
  });

  it('a body that is not a GraphQL request is 400 whatever the client accepts', async () => {
    const bodies = [
      '{not json', '{"variables":{}}', '{"query":"{ __typename }","bogus":1}', '[{"query":"{ __typename }"}]', '{"query":5}',
      // Each parameter of the wrong type (GraphQL over HTTP: the request is malformed).
      '{"query":"{ __typename }","operationName":5}', '{"query":"{ __typename }","operationName":{}}', '{"query":"{ __typename }","operationName":true}',
      '{"query":"{ __typename }","variables":5}', '{"query":"{ __typename }","variables":[]}', '{"query":"{ __typename }","extensions":"x"}',
    ];
    for (const accept of [undefined, 'application/json', 'application/graphql-response+json', '*/*']) {
      for (const body of bodies) {
        const response = await fetch(gw.server.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(accept ? { accept } : {}) },
          body,
        });
        const answer = (await response.json()) as { errors: { extensions: unknown }[] };
        expect({ accept, body, status: response.status, extensions: answer.errors.map((e) => e.extensions) }).toEqual({
          accept, body, status: 400, extensions: [{ code: 'BAD_USER_INPUT' }],
        });
      }
    }
  });

  it('variables that do not fit (wrong type, missing, out of range, text no database stores): nothing runs, 400 or 200 as the client accepts', async () => {
    const cases: [string, Record<string, unknown>][] = [
      ['query($n: Int) { groups(first: $n) { totalCount } }', { n: 'ten' }],
      ['query($n: Int) { groups(first: $n) { totalCount } }', { n: 2147483648 }],
      ['query($id: ID!) { group(id: $id) { id } }', {}],
      ['query($s: String!) { groupBySlug(slug: $s) { id } }', { s: 'a\u0000b' }],
    ];
    for (const [query, variables] of cases) {
      for (const [accept, status] of [['application/graphql-response+json', 400], ['application/json', 200]] as const) {
        const post = await fetch(gw.server.url, { method: 'POST', headers: { 'content-type': 'application/json', accept }, body: JSON.stringify({ query, variables }) });
        const url = `${gw.server.url}?${new URLSearchParams({ query, variables: JSON.stringify(variables) })}`;
        const get = await fetch(url, { headers: { accept } });
        for (const [method, response] of [['POST', post], ['GET', get]] as const) {
          const answer = (await response.json()) as { data?: unknown; errors: { extensions: unknown }[] };
          expect({ method, query, accept, status: response.status, data: 'data' in answer, extensions: answer.errors.map((e) => e.extensions) }).toEqual({
            method, query, accept, status, data: false, extensions: [{ code: 'BAD_USER_INPUT' }],
          });
        }
      }
    }
  });

  it('a document over the limits (depth, aliases, page size, cost) is 400 or 200 as the client accepts, on GET and POST', async () => {
    const token = await tokenFor({ sub: 'alice' });
    const nested = (levels: number) => `{ ${'viewer { memberships(first: 1) { edges { node { group { '.repeat(levels)}id${' } } } } }'.repeat(levels)} }`;
    const cases: [string, string, Record<string, unknown>][] = [
      ['depth', nested(3), {}],
      ['aliases', `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: viewer { memberId }`).join(' ')} }`, {}],
      ['page size', '{ groups(first: 1000) { totalCount } }', {}],
      ['cost', '{ groups(first: 100) { edges { node { members(first: 100) { edges { node { memberId } } } } } } }', {}],
      ['cost by variables', 'query($n: Int) { groups(first: $n) { edges { node { members(first: $n) { edges { node { memberId } } } } } } }', { n: 100 }],
    ];
    for (const [limit, query, variables] of cases) {
      for (const [accept, status] of [['application/graphql-response+json', 400], ['application/json', 200], ['*/*', 200]] as const) {
        const headers = { accept, authorization: `Bearer ${token}` };
        const post = await fetch(gw.server.url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
        const get = await fetch(`${gw.server.url}?${new URLSearchParams({ query, variables: JSON.stringify(variables) })}`, { headers });
        for (const [method, response] of [['POST', post], ['GET', get]] as const) {
          const answer = (await response.json()) as { data?: unknown; errors: { extensions: { code: string } }[] };
          expect({ limit, method, accept, status: response.status, data: 'data' in answer }).toEqual({ limit, method, accept, status, data: false });
          expect(answer.errors.length).toBeGreaterThan(0);
        }
      }
    }
  });

  it('a persisted-query hash whose document is not kept: PersistedQueryNotFound, so that Apollo and urql send the document', async () => {
    const extensions = { persistedQuery: { version: 1, sha256Hash: 'ecf4edb46db40b5132295c0291d62fb65d6759a9eedfa4d5d612dd5ec54a6b38' } };
    for (const [accept, status] of [['application/graphql-response+json', 400], ['application/json', 200]] as const) {
      const post = await fetch(gw.server.url, { method: 'POST', headers: { 'content-type': 'application/json', accept }, body: JSON.stringify({ extensions }) });
      const get = await fetch(`${gw.server.url}?${new URLSearchParams({ extensions: JSON.stringify(extensions) })}`, { headers: { accept } });
      for (const response of [post, get]) {
        expect({ accept, status: response.status, body: await response.json() }).toEqual({
          accept, status, body: { errors: [{ message: 'PersistedQueryNotFound', extensions: { code: 'BAD_USER_INPUT' } }] },
        });
      }
    }
    // With a document whose hash it is not, it is refused (test/persisted-queries.test.ts: kept and run).
    const full = await fetch(gw.server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename } # other', extensions }) });
    expect({ status: full.status, body: await full.json() }).toEqual({
      status: 200,
      body: { errors: [{ message: 'PersistedQueryMismatch: the sha256Hash is not the hash of the query sent with it.', extensions: { code: 'BAD_USER_INPUT' } }] },
    });
  });

  it('a bad token refuses the whole request with 401, whatever is asked, saying how to authenticate', async () => {
    const response = await gw.as({ token: 'not-a-token' })(`{ groups(first: 1) { totalCount } }`);
    expect(response).toEqual({
      status: 401,
      errors: [{ message: 'The token is invalid or expired. Sign in again.', extensions: { code: 'UNAUTHENTICATED' } }],
    });
    const raw = await fetch(gw.server.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer nope' }, body: '{"query":"{ __typename }"}' });
    expect({ status: raw.status, challenge: raw.headers.get('www-authenticate') }).toEqual({ status: 401, challenge: 'Bearer error="invalid_token"' });
  });

  it('a document of several operations runs the one each request names, whichever ran first; never a mutation over GET', async () => {
    const managerToken = `Bearer ${await tokenFor({ sub: 'manager', manager: true })}`;
    const both = 'query Read { groupsSettings { groupCreation } } mutation Write { updateGroupsSettings(input: { groupCreation: ALL_MEMBERS }) { groupCreation } }';
    const post = async (query: string, operationName: string) =>
      (await fetch(gw.server.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: managerToken }, body: JSON.stringify({ query, operationName }) })).json();
    const get = async (query: string, operationName: string) =>
      fetch(`${gw.server.url}?${new URLSearchParams({ query, operationName })}`, { headers: { authorization: managerToken } });
    const reset = 'mutation { updateGroupsSettings(input: { groupCreation: ADMIN_APPROVAL }) { groupCreation } }';
    expect(await post(both, 'Write')).toEqual({ data: { updateGroupsSettings: { groupCreation: 'ALL_MEMBERS' } } });
    expect(await post(reset, '')).toEqual({ data: { updateGroupsSettings: { groupCreation: 'ADMIN_APPROVAL' } } });
    // The same document, its query named: over GET, then POST. Each reads; nothing is written.
    const overGet = await get(both, 'Read');
    expect({ status: overGet.status, body: await overGet.json() }).toEqual({ status: 200, body: { data: { groupsSettings: { groupCreation: 'ADMIN_APPROVAL' } } } });
    expect(await post(both, 'Read')).toEqual({ data: { groupsSettings: { groupCreation: 'ADMIN_APPROVAL' } } });
    // Two queries in one document, asked for one after the other.
    const two = 'query A { viewer { memberId } } query B { groupsSettings { groupCreation } }';
    expect(await post(two, 'A')).toEqual({ data: { viewer: { memberId: 'manager' } } });
    expect(await post(two, 'B')).toEqual({ data: { groupsSettings: { groupCreation: 'ADMIN_APPROVAL' } } });
  });

  it('an empty operationName is no name; an operation the document does not have is 400 or 200 as the client accepts', async () => {
    const query = 'query Only { __typename }';
    const post = (body: Record<string, unknown>, accept: string) =>
      fetch(gw.server.url, { method: 'POST', headers: { 'content-type': 'application/json', accept }, body: JSON.stringify(body) });
    const get = (params: Record<string, string>, accept: string) => fetch(`${gw.server.url}?${new URLSearchParams(params)}`, { headers: { accept } });
    for (const response of [await post({ query, operationName: '' }, 'application/json'), await get({ query, operationName: '' }, 'application/json')]) {
      expect({ status: response.status, body: await response.json() }).toEqual({ status: 200, body: { data: { __typename: 'Query' } } });
    }
    for (const [accept, status] of [['application/graphql-response+json', 400], ['application/json', 200]] as const) {
      for (const response of [await post({ query, operationName: 'Other' }, accept), await get({ query, operationName: 'Other' }, accept)]) {
        const answer = (await response.json()) as { data?: unknown; errors: { extensions: unknown }[] };
        expect({ accept, status: response.status, data: 'data' in answer, extensions: answer.errors.map((e) => e.extensions) }).toEqual({
          accept, status, data: false, extensions: [{ code: 'GRAPHQL_VALIDATION_FAILED' }],
        });
      }
    }
  });
});

describe('media types and caching', () => {
  // A document that does not validate: 400 under application/graphql-response+json, 200 under application/json.
  const invalid = '{ noSuchField }';

  it('an answer’s media type follows the Accept header’s q-values; a tie is application/json', async () => {
    const cases: [string | undefined, string][] = [
      [undefined, 'application/json'],
      ['*/*', 'application/json'],
      ['application/*', 'application/json'],
      ['application/graphql-response+json,application/json;q=0.9', 'application/graphql-response+json'], // Apollo Client 4
      ['application/json;q=0.5, application/graphql-response+json', 'application/graphql-response+json'],
      ['application/json;q=0, */*', 'application/graphql-response+json'], // JSON refused
      ['application/graphql-response+json;q=0.1, application/json', 'application/json'],
      ['application/json;charset=iso-8859-1, application/graphql-response+json', 'application/graphql-response+json'], // UTF-8 only
      ['text/event-stream;q=0.5, application/json', 'application/json'], // a query is not a stream
    ];
    for (const [accept, type] of cases) {
      const headers: Record<string, string> = accept ? { accept } : {};
      const post = await fetch(gw.server.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query: invalid }) });
      const get = await fetch(`${gw.server.url}?${new URLSearchParams({ query: invalid })}`, { headers });
      for (const [method, response] of [['POST', post], ['GET', get]] as const) {
        const answer = (await response.json()) as { errors: { extensions: unknown }[] };
        expect({ method, accept, type: response.headers.get('content-type'), status: response.status, codes: answer.errors.map((e) => e.extensions) }).toEqual({
          method, accept, type: `${type}; charset=utf-8`, status: type === 'application/json' ? 200 : 400, codes: [{ code: 'GRAPHQL_VALIDATION_FAILED' }],
        });
      }
    }
  });

  it('nothing acceptable is 406, a body in a type the gateway does not read is 415: each with an error saying what to send', async () => {
    const body = JSON.stringify({ query: '{ __typename }' });
    const notAcceptable = [
      await fetch(gw.server.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/html' }, body }),
      await fetch(`${gw.server.url}?${new URLSearchParams({ query: '{ __typename }' })}`, { headers: { accept: 'application/json;q=0, application/graphql-response+json;q=0' } }),
    ];
    for (const response of notAcceptable) {
      expect({ status: response.status, type: response.headers.get('content-type'), body: await response.json() }).toEqual({
        status: 406,
        type: 'application/json; charset=utf-8',
        body: { errors: [{ message: expect.stringContaining('application/graphql-response+json or application/json'), extensions: { code: 'BAD_USER_INPUT' } }] },
      });
    }
    const unsupported = await fetch(gw.server.url, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<query/>' });
    expect({ status: unsupported.status, body: await unsupported.json() }).toEqual({
      status: 415,
      body: { errors: [{ message: expect.stringContaining('Content-Type: application/json'), extensions: { code: 'BAD_USER_INPUT' } }] },
    });
  });

  it('an Accept header no answer fits is 406 before anything runs: a mutation sent with it writes nothing', async () => {
    const token = await tokenFor({ sub: 'manager', manager: true });
    const name = `Never written ${Date.now()}`;
    for (const accept of ['application/json;q=0, application/graphql-response+json;q=0', 'text/html', 'text/event-stream;q=0']) {
      const response = await fetch(gw.server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept, authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: 'mutation($n: String!) { createGroup(input: { name: $n }) { group { id } } }', variables: { n: name } }),
      });
      expect({ accept, status: response.status, code: ((await response.json()) as any).errors[0].extensions.code }).toEqual({ accept, status: 406, code: 'BAD_USER_INPUT' });
    }
    const search = await gw.as({ sub: 'manager', manager: true })(`query($n: String!) { groups(filter: { search: $n }) { totalCount } }`, { n: name });
    expect(search.data).toEqual({ groups: { totalCount: 0 } });
  });

  it('a batch’s answer arrives whole over the wire (its own Content-Length, not an item’s)', async () => {
    const batching = await startLiveGateway({ BATCH_LIMIT: '2' });
    try {
      for (const authorization of [`Bearer ${await tokenFor({ sub: 'alice' })}`, 'Bearer nope']) {
        const response = await fetch(batching.server.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization },
          body: JSON.stringify([{ query: '{ __typename }' }, { query: '{ viewer { memberId } }' }]),
        });
        const text = await response.text();
        expect(response.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
        expect(JSON.parse(text)).toHaveLength(2);
      }
    } finally {
      await batching.close();
    }
  });

  it('a 406 lists the types once, however long the Accept header', async () => {
    const response = await fetch(`${gw.server.url}?${new URLSearchParams({ query: '{ __typename }' })}`, { headers: { accept: 'a/b,'.repeat(2_000) } });
    expect({ status: response.status, accept: response.headers.get('accept') }).toEqual({
      status: 406,
      accept: 'application/graphql-response+json, application/json, text/event-stream, multipart/mixed;subscriptionSpec=1.0',
    });
  });

  it('a query whose client refuses JSON but takes an event stream is answered over SSE', async () => {
    const response = await fetch(`${gw.server.url}?${new URLSearchParams({ query: '{ __typename }' })}`, { headers: { accept: 'application/json;q=0, text/event-stream' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(await response.text()).toContain('data: {"data":{"__typename":"Query"}}');
  });

  it('a body sent compressed, or in a charset other than UTF-8, is 415 naming what to send instead', async () => {
    const body = JSON.stringify({ query: '{ __typename }' });
    const send = (headers: Record<string, string>, content: BodyInit = body) =>
      fetch(gw.server.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: content });
    const answers = [
      await send({ 'content-encoding': 'gzip' }, new Uint8Array(gzipSync(body))),
      await send({ 'content-encoding': 'made-up' }),
      await send({ 'content-type': 'application/json; charset=iso-8859-1' }),
      await send({ 'content-type': 'application/json; charset="UTF-16"' }),
    ];
    expect(await Promise.all(answers.map(async (r) => [r.status, (await r.json()).errors[0].message]))).toEqual([
      [415, 'Send the body uncompressed, without a Content-Encoding.'],
      [415, 'Send the body uncompressed, without a Content-Encoding.'],
      [415, 'Send the body in UTF-8 (charset=utf-8, or no charset).'],
      [415, 'Send the body in UTF-8 (charset=utf-8, or no charset).'],
    ]);
    // What is read as sent is answered.
    const readable: Record<string, string>[] = [
      { 'content-encoding': 'identity' },
      { 'content-type': 'application/json; charset=UTF-8' },
      { 'content-type': 'application/json;charset=utf8' },
    ];
    for (const headers of readable) {
      expect((await send(headers)).status).toBe(200);
    }
  });

  it('no answer may be kept by a cache: Cache-Control: no-store, on POST and GET, answers and refusals', async () => {
    const token = await tokenFor({ sub: 'alice' });
    const query = '{ viewer { memberId } }';
    const responses = [
      await fetch(gw.server.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query }) }),
      await fetch(`${gw.server.url}?${new URLSearchParams({ query })}`, { headers: { authorization: `Bearer ${token}` } }),
      await fetch(`${gw.server.url}?${new URLSearchParams({ query })}`, { headers: { authorization: 'Bearer nope' } }),
      await fetch(gw.server.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/html' }, body: JSON.stringify({ query }) }),
      // Event streams: a query asked for as one, and a subscription (its stream cut short by the abort below).
      await fetch(gw.server.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${token}` }, body: JSON.stringify({ query }) }),
    ];
    const aborter = new AbortController();
    const subscription = await fetch(gw.server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: 'subscription { groupEvents { id } }' }),
      signal: aborter.signal,
    });
    responses.push(subscription);
    aborter.abort();
    expect(responses.map((r) => [r.status, r.headers.get('content-type')?.split(';')[0], r.headers.get('cache-control')])).toEqual([
      [200, 'application/json', 'no-store'],
      [200, 'application/json', 'no-store'],
      [401, 'application/json', 'no-store'],
      [406, 'application/json', 'no-store'],
      [200, 'text/event-stream', 'no-store'],
      [200, 'text/event-stream', 'no-store'],
    ]);
  });
});

describe('over graphql-ws', () => {
  it('an operation the document does not have, or cannot pick, is GRAPHQL_VALIDATION_FAILED; an empty operationName is no name', async () => {
    const token = await tokenFor({ sub: 'alice' });
    const unknown = await overWs(token, 'query Only { __typename }', {}, 'Other');
    const ambiguous = await overWs(token, 'query A { __typename } query B { __typename }');
    const empty = await overWs(token, 'query Only { __typename }', {}, '');
    expect(unknown.errors).toEqual([{ message: 'Unknown operation named "Other".', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }]);
    expect(ambiguous.errors).toEqual([{ message: 'Must provide operation name if query contains multiple operations.', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }]);
    expect(empty).toEqual({ data: { __typename: 'Query' }, errors: [] });
  });


  it('errors carry the contract code only, without extensions.http', async () => {
    const token = await tokenFor({ sub: 'alice' });
    // Refused by a field rule (UNAUTHENTICATED), while executing (text no database stores: 400 over HTTP),
    // and by validation (a page size out of range: 400 over HTTP).
    const anonymous = await overWs(null, `{ groups(first: 1) { totalCount } createRequests { totalCount } }`);
    const unstorable = await overWs(token, `query($s: String!) { groupBySlug(slug: $s) { id } }`, { s: 'a\u0000b' });
    const pageSize = await overWs(token, `{ groups(first: 100000) { totalCount } }`);
    expect(anonymous).toEqual({
      data: { groups: { totalCount: 0 }, createRequests: null },
      errors: [{ message: 'Sign in to do this.', path: ['createRequests'], locations: [{ line: 1, column: 35 }], extensions: { code: 'UNAUTHENTICATED' } }],
    });
    expect(unstorable.errors.map((e) => e.extensions)).toEqual([{ code: 'BAD_USER_INPUT' }]);
    expect(pageSize.errors.map((e) => e.extensions)).toEqual([{ code: 'BAD_USER_INPUT' }]);
    // Over HTTP the same carries its status there, as the status of the response.
    const http = await fetch(gw.server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: `query($s: String!) { groupBySlug(slug: $s) { id } }`, variables: { s: 'a\u0000b' } }),
    });
    const answer = (await http.json()) as { errors: { extensions: unknown }[] };
    expect({ status: http.status, extensions: answer.errors.map((e) => e.extensions) }).toEqual({ status: 400, extensions: [{ code: 'BAD_USER_INPUT' }] });
  });
});
