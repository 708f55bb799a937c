/**
 * Automatic persisted queries (src/persisted-queries.ts): driven by Apollo Client 4's persisted-queries link
 * against the real gateway, then by hand for the answers a client may get (not found, a hash that is not the
 * document's, the store's bound, the feature off) and for visibility: a document kept because one viewer sent
 * it runs, for everyone else who sends its hash, as theirs.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { ok, tokenFor } from './helpers/gateway.ts';
import { TEST_DATABASE } from './helpers/database.ts';
import { manager } from './helpers/world.ts';
import { startLiveGateway, type LiveGateway } from './helpers/live.ts';
import { persistedQueryStore } from '../src/persisted-queries.ts';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const SECRET_NAMES = 'query Names { groups(first: 50) { edges { node { name privacy } } } }';

describe('the persisted-query store', () => {
  it('keeps a document under its own hash only, and drops the least recently used past its size', () => {
    const doc = (n: number) => `{ __typename } # ${String(n).padStart(3, '0')}${'.'.repeat(100)}`;
    const size = 64 + Buffer.byteLength(doc(0));
    const store = persistedQueryStore(3 * size);
    expect(store.add(sha256(doc(1)), doc(2))).toBe(false); // another document's hash: not kept
    expect(store.get(sha256(doc(1)))).toBeUndefined();
    for (const n of [1, 2, 3]) expect(store.add(sha256(doc(n)), doc(n))).toBe(true);
    expect(store.get(sha256(doc(1)))).toBe(doc(1)); // 1 is now the most recently used
    store.add(sha256(doc(4)), doc(4));
    expect([1, 2, 3, 4].map((n) => store.get(sha256(doc(n))) !== undefined)).toEqual([true, false, true, true]);
    // A document larger than the whole store is not kept (and drops nothing).
    const large = `{ __typename } #${'x'.repeat(4 * size)}`;
    expect(store.add(sha256(large), large)).toBe(true);
    expect(store.get(sha256(large))).toBeUndefined();
    expect([1, 3, 4].map((n) => store.get(sha256(doc(n))) !== undefined)).toEqual([true, true, true]);
  });
});

describe.runIf(TEST_DATABASE === 'sqlite')('automatic persisted queries', () => {
  let gw: LiveGateway;
  let off: LiveGateway;
  let secretName: string;
  beforeAll(async () => {
    [gw, off] = await Promise.all([startLiveGateway(), startLiveGateway({ PERSISTED_QUERIES_MAX_BYTES: '0' })]);
    secretName = 'Persisted secret circle';
    const group = ok(
      await gw.as(manager)(`mutation($n: String!) { createGroup(input: { name: $n, privacy: SECRET, creatorId: "keeper" }) { group { id } } }`, { n: secretName }),
    ).createGroup.group.id;
    expect(group).toBeTruthy();
    ok(await gw.as(manager)(`mutation { createGroup(input: { name: "Persisted public circle" }) { group { id } } }`));
  });
  afterAll(async () => {
    await gw?.close();
    await off?.close();
  });

  /** A POST of `body` as `sub` (anonymous without), its status and JSON. */
  async function post(target: LiveGateway, body: Record<string, unknown>, options: { sub?: string; accept?: string } = {}) {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: options.accept ?? 'application/json' };
    if (options.sub) headers.authorization = `Bearer ${await tokenFor({ sub: options.sub })}`;
    const response = await fetch(target.server.url, { method: 'POST', headers, body: JSON.stringify(body) });
    return { status: response.status, body: await response.json() };
  }
  const hashOnly = (query: string) => ({ extensions: { persistedQuery: { version: 1, sha256Hash: sha256(query) } } });

  it('Apollo Client sends a hash, then the document once when told it is not kept, then only hashes', async () => {
    const sent: { method: string; hasQuery: boolean }[] = [];
    const recordingFetch: typeof fetch = async (input, init) => {
      const url = new URL(String(input instanceof Request ? input.url : input));
      const body = init?.body ? JSON.parse(String(init.body)) : null;
      sent.push({ method: init?.method ?? 'GET', hasQuery: Boolean(body?.query ?? url.searchParams.get('query')) });
      return fetch(input, init);
    };
    const client = (useGET = false) =>
      new ApolloClient({
        cache: new InMemoryCache(),
        link: new PersistedQueryLink({ sha256, useGETForHashedQueries: useGET }).concat(new HttpLink({ uri: gw.server.url, fetch: recordingFetch })),
      });
    const query = gql`
      query PublicNames {
        groups(first: 5) {
          totalCount
          edges {
            node {
              id
              name
            }
          }
        }
      }
    `;
    type Names = { groups: { totalCount: number; edges: { node: { id: string; name: string } }[] } };
    const first = await client().query<Names>({ query, fetchPolicy: 'network-only' });
    const names = first.data?.groups.edges.map((e) => e.node.name);
    expect(names).toContain('Persisted public circle');
    expect(names).not.toContain(secretName);
    expect(sent).toEqual([
      { method: 'POST', hasQuery: false },
      { method: 'POST', hasQuery: true },
    ]);
    // Another client (another page load): the hash alone, over POST and over GET.
    sent.length = 0;
    const again = await client().query({ query, fetchPolicy: 'network-only' });
    const overGet = await client(true).query({ query, fetchPolicy: 'network-only' });
    expect(sent).toEqual([
      { method: 'POST', hasQuery: false },
      { method: 'GET', hasQuery: false },
    ]);
    expect(again.data).toEqual(first.data);
    expect(overGet.data).toEqual(first.data);
  });

  it('a hash whose document is not kept: PersistedQueryNotFound, 400 or 200 as the client accepts; nothing runs', async () => {
    for (const [accept, status] of [['application/graphql-response+json', 400], ['application/json', 200]] as const) {
      const answer = await post(gw, hashOnly('{ viewer { memberId } } # never sent'), { accept });
      expect({ accept, ...answer }).toEqual({
        accept,
        status,
        body: { errors: [{ message: 'PersistedQueryNotFound', extensions: { code: 'BAD_USER_INPUT' } }] },
      });
    }
    const get = await fetch(`${gw.server.url}?${new URLSearchParams({ extensions: JSON.stringify(hashOnly('{ __typename } # nor this').extensions) })}`);
    expect(await get.json()).toEqual({ errors: [{ message: 'PersistedQueryNotFound', extensions: { code: 'BAD_USER_INPUT' } }] });
  });

  it('a document sent with a hash that is not its own is refused and not kept', async () => {
    const query = '{ __typename } # mismatched';
    const wrong = sha256('something else');
    const answer = await post(gw, { query, extensions: { persistedQuery: { version: 1, sha256Hash: wrong } } }, { accept: 'application/graphql-response+json' });
    expect(answer).toEqual({
      status: 400,
      body: { errors: [{ message: 'PersistedQueryMismatch: the sha256Hash is not the hash of the query sent with it.', extensions: { code: 'BAD_USER_INPUT' } }] },
    });
    expect((await post(gw, { extensions: { persistedQuery: { version: 1, sha256Hash: wrong } } })).body.errors[0].message).toBe('PersistedQueryNotFound');
    // Sent with its own hash (in capitals, as a client may), it runs and is kept.
    const upper = { extensions: { persistedQuery: { version: 1, sha256Hash: sha256(query).toUpperCase() } } };
    expect(await post(gw, { query, ...upper })).toEqual({ status: 200, body: { data: { __typename: 'Query' } } });
    expect(await post(gw, hashOnly(query))).toEqual({ status: 200, body: { data: { __typename: 'Query' } } });
  });

  it('a document is kept only once it parses and validates, so that nothing else can push documents out', async () => {
    const refused = [
      '{ groups(first: 1) { totalCount } ', // does not parse
      '{ nope }', // does not validate
      `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: groups(first: 1) { totalCount }`).join(' ')} }`, // over MAX_ALIASES
      `#${'x'.repeat(10_000)}`, // a comment, no operation
    ];
    for (const query of refused) {
      const answer = await post(gw, { query, ...hashOnly(query) });
      expect(answer.body.errors[0].extensions.code).toMatch(/^GRAPHQL_(PARSE|VALIDATION)_FAILED$/);
      expect(await post(gw, hashOnly(query))).toMatchObject({ body: { errors: [{ message: 'PersistedQueryNotFound' }] } });
    }
    // A document that runs with a refused field is a document that could run: kept.
    const forbidden = '{ createRequests(first: 1) { totalCount } }';
    const answer = await post(gw, { query: forbidden, ...hashOnly(forbidden) });
    expect(answer.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(await post(gw, hashOnly(forbidden))).toEqual(answer);
  });

  it('a kept document runs as whoever sends its hash: a secret group only for its members', async () => {
    // Kept because a member of the secret group sent it...
    const asKeeper = await post(gw, { query: SECRET_NAMES, ...hashOnly(SECRET_NAMES) }, { sub: 'keeper' });
    expect(JSON.stringify(asKeeper.body)).toContain(secretName);
    // ...the same hash from anyone else runs the same document as theirs.
    for (const sub of [undefined, 'outsider']) {
      const answer = await post(gw, hashOnly(SECRET_NAMES), { sub });
      expect(answer.status).toBe(200);
      expect(answer.body.data.groups.edges.length).toBeGreaterThan(0);
      expect(JSON.stringify(answer.body)).not.toContain(secretName);
      expect(JSON.stringify(answer.body)).not.toContain('SECRET');
    }
    expect(JSON.stringify((await post(gw, hashOnly(SECRET_NAMES), { sub: 'keeper' })).body)).toContain(secretName);
  });

  it('the limits that depend on variables apply to a kept document each time it runs', async () => {
    const query = 'query Page($n: Int) { groups(first: $n) { totalCount } }';
    const fits = await post(gw, { query, variables: { n: 5 }, ...hashOnly(query) });
    expect(fits.body.data.groups.totalCount).toBeGreaterThan(0);
    const tooLarge = { variables: { n: 5_000 }, ...hashOnly(query) };
    const full = await post(gw, { query, ...tooLarge });
    expect(full.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(await post(gw, tooLarge)).toEqual(full);
  });

  it('PERSISTED_QUERIES_MAX_BYTES=0: a hash alone is PersistedQueryNotSupported, so that clients send documents; with one it runs', async () => {
    const query = '{ __typename } # off';
    for (const [accept, status] of [['application/graphql-response+json', 400], ['application/json', 200]] as const) {
      expect(await post(off, hashOnly(query), { accept })).toEqual({
        status,
        body: { errors: [{ message: 'PersistedQueryNotSupported', extensions: { code: 'BAD_USER_INPUT' } }] },
      });
    }
    expect(await post(off, { query, ...hashOnly(query) })).toEqual({ status: 200, body: { data: { __typename: 'Query' } } });
    expect((await post(off, hashOnly(query))).body.errors[0].message).toBe('PersistedQueryNotSupported');
  });
});
