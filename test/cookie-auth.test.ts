/**
 * The token from a cookie (AUTH_COOKIE, src/auth/cookie.ts): read when a request has no Authorization header
 * (or a WebSocket's connection_init no `authorization`), and only from pages that may use it (no Origin, or one
 * of CORS_ORIGINS); refused when sent twice with different tokens. Against a real server over HTTP, SSE and
 * graphql-ws; the rule itself unit-tested too.
 */
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { cookieToken, originMayUseCookie } from '../src/auth/cookie.ts';
import { tokenFor } from './helpers/gateway.ts';
import { Feed, GROUP_EVENTS, sseResults, startLiveGateway, type LiveEvent, type LiveGateway } from './helpers/live.ts';

const COOKIE = 'groups_token';
const LISTED = 'https://app.example.org';
const FOREIGN = 'https://elsewhere.example.com';

describe('cookieToken', () => {
  const auth = { name: COOKIE, origins: [LISTED] };
  const at = (headers: Record<string, string>) => cookieToken({ host: 'groups.example.org', ...headers }, auth);

  it('reads the named cookie as a bearer token, as sent (not URL-decoded)', () => {
    expect(at({ cookie: `theme=dark; ${COOKIE}=abc.def.ghi; other=1` })).toEqual({ authorization: 'Bearer abc.def.ghi' });
    expect(at({ cookie: `${COOKIE}=a%20b` })).toEqual({ authorization: 'Bearer a%20b' });
    // Another cookie whose name ends the same is not it.
    expect(at({ cookie: `x${COOKIE}=abc` })).toBeUndefined();
  });

  it('gives nothing without the cookie, or with an empty one', () => {
    expect(at({})).toBeUndefined();
    expect(at({ cookie: 'theme=dark' })).toBeUndefined();
    expect(at({ cookie: `${COOKIE}=` })).toBeUndefined();
  });

  it('refuses the cookie sent twice with different values (as a repeated Authorization header), not the first one believed', () => {
    expect(at({ cookie: `${COOKIE}=abc; ${COOKIE}=xyz` })).toEqual({ refused: expect.stringMatching(/Send the groups_token cookie once/) });
    expect(at({ cookie: `${COOKIE}=; ${COOKIE}=xyz` })).toEqual({ refused: expect.any(String) });
    // The same value twice is one token.
    expect(at({ cookie: `${COOKIE}=abc; theme=dark; ${COOKIE}=abc` })).toEqual({ authorization: 'Bearer abc' });
    // One value that reads as a list, once a header: no token.
    expect(at({ cookie: `${COOKIE}=abc, ${COOKIE}=xyz` })).toEqual({ refused: 'The groups_token cookie does not hold a token. Sign in again.' });
  });

  it('is read for no Origin and a listed one (exactly), and not for any other page, the same host included', () => {
    expect(at({ cookie: `${COOKIE}=abc`, origin: LISTED })).toEqual({ authorization: 'Bearer abc' });
    for (const origin of [FOREIGN, 'null', 'https://app.example.org.evil.test', 'http://app.example.org', 'https://app.example.org:8443', 'https://groups.example.org', 'http://groups.example.org']) {
      expect(at({ cookie: `${COOKIE}=abc`, origin }), origin).toBeUndefined();
    }
    expect(originMayUseCookie({}, null)).toBe(true);
    expect(originMayUseCookie({ origin: 'http://localhost:4000', host: 'localhost:4000' }, null)).toBe(false);
  });
});

describe('AUTH_COOKIE in the configuration', () => {
  it('is off by default, and must be a cookie name', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).tokens.cookie).toBeNull();
    expect(loadConfig({ NODE_ENV: 'test', AUTH_COOKIE: ' groups_token ' }).tokens.cookie).toBe('groups_token');
    for (const bad of ['a b', 'a;b', 'a=b', 'naïve']) {
      expect(() => loadConfig({ NODE_ENV: 'test', AUTH_COOKIE: bad })).toThrow(/AUTH_COOKIE must be a cookie name/);
    }
  });
});

/** A POST of `{ viewer { memberId } }` with these headers: the member it ran as, and the status. */
async function whoAmI(url: string, headers: Record<string, string>): Promise<{ status: number; memberId: string | null; code?: string }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query: '{ viewer { memberId } }' }),
  });
  const body = (await response.json()) as { data?: { viewer: { memberId: string | null } }; errors?: { extensions: { code: string } }[] };
  return { status: response.status, memberId: body.data?.viewer.memberId ?? null, code: body.errors?.[0]?.extensions.code };
}

/** graphql-ws over a socket whose handshake carries these headers (a browser sends its cookies and Origin). */
function wsEvents(url: string, headers: Record<string, string>, variables: Record<string, unknown>, connectionParams: Record<string, unknown> = {}) {
  const events = new Feed<LiveEvent>();
  const errors = new Feed<unknown>();
  class BrowserLikeSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  }
  const client = createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: BrowserLikeSocket, retryAttempts: 0, connectionParams });
  const stop = client.subscribe<{ groupEvents: LiveEvent }>({ query: GROUP_EVENTS, variables }, {
    next: (result) => (result.data ? events.push(result.data.groupEvents) : errors.push(result.errors)),
    error: (error) => {
      errors.push(error);
      events.end('error');
    },
    complete: () => events.end('complete'),
  });
  return {
    events,
    errors,
    close: async () => {
      stop();
      await client.dispose();
    },
  };
}

describe('a gateway with AUTH_COOKIE', () => {
  let gw: LiveGateway;
  let anaCookie: string;
  let secretId: string;
  let publicId: string;
  beforeAll(async () => {
    gw = await startLiveGateway({ AUTH_COOKIE: COOKIE, CORS_ORIGINS: LISTED });
    anaCookie = `theme=dark; ${COOKIE}=${await tokenFor({ sub: 'ana' })}`;
    const manager = gw.as({ sub: 'gm', manager: true });
    const create = 'mutation($input: CreateGroupInput!) { createGroup(input: $input) { group { id } } }';
    // A SECRET group of ana's, then a PUBLIC one: a replay from the start shows the secret one first to ana,
    // and only the public one to anyone else.
    const secret = await manager(create, { input: { name: 'Cookie jar', privacy: 'SECRET', creatorId: 'ana' } });
    const open = await manager(create, { input: { name: 'Open kitchen', privacy: 'PUBLIC', creatorId: 'bo' } });
    secretId = secret.data.createGroup.group.id;
    publicId = open.data.createGroup.group.id;
  });
  afterAll(() => gw?.close());

  it('runs a POST without an Authorization header as the cookie’s member', async () => {
    expect(await whoAmI(gw.server.url, { cookie: anaCookie })).toEqual({ status: 200, memberId: 'ana', code: undefined });
    expect(await whoAmI(gw.server.url, { cookie: anaCookie, origin: LISTED })).toMatchObject({ memberId: 'ana' });
  });

  it('lets an Authorization header win over the cookie; a blank one is none', async () => {
    const bo = await tokenFor({ sub: 'bo' });
    expect(await whoAmI(gw.server.url, { cookie: anaCookie, authorization: `Bearer ${bo}` })).toMatchObject({ memberId: 'bo' });
    // Before, an empty header silently turned the cookie off: anonymous.
    expect(await whoAmI(gw.server.url, { cookie: anaCookie, authorization: '' })).toMatchObject({ memberId: 'ana' });
  });

  it('passes over Basic credentials (a browser’s own, on a site behind a password) for the cookie, over POST, GET and SSE', async () => {
    const basic = 'Basic c3RhZmY6cGFzcw==';
    // Before, the header was refused (401) even with a valid cookie beside it.
    expect(await whoAmI(gw.server.url, { cookie: anaCookie, authorization: basic })).toEqual({ status: 200, memberId: 'ana', code: undefined });
    // A Digest header as browsers send it, commas and all: one header, not a list of several.
    const digest = 'Digest username="staff", realm="groups", nonce="dcd98b7102dd2f0e", uri="/graphql", response="6629fae49393a053"';
    expect(await whoAmI(gw.server.url, { cookie: anaCookie, authorization: digest, origin: LISTED })).toMatchObject({ status: 200, memberId: 'ana' });
    expect(await whoAmI(gw.server.url, { cookie: anaCookie, authorization: 'Negotiate YIIJvwYGKwYBBQUCoIIJszCCCa' })).toMatchObject({ status: 200, memberId: 'ana' });
    // Without the cookie (or from a page that may not use it) the request is anonymous, not refused.
    expect(await whoAmI(gw.server.url, { authorization: basic })).toEqual({ status: 200, memberId: null, code: undefined });
    expect(await whoAmI(gw.server.url, { cookie: anaCookie, authorization: basic, origin: FOREIGN })).toEqual({ status: 200, memberId: null, code: undefined });
    // What is meant for the gateway is still refused as before: a bare Bearer, a bad one, and any list; and a
    // token sent without `Bearer`, in another scheme or mistyped, is never swapped for the cookie's member.
    const bo = await tokenFor({ sub: 'bo' });
    for (const authorization of ['Bearer', 'Bearer not-a-token', `${basic}, Bearer ${bo}`, bo!, `Token ${bo}`, `JWT ${bo}`, `Bearer:${bo}`]) {
      expect(await whoAmI(gw.server.url, { cookie: anaCookie, authorization }), authorization).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    }

    const query = await fetch(`${gw.server.url}?query=${encodeURIComponent('{ viewer { memberId } }')}`, { headers: { cookie: anaCookie, authorization: basic } });
    expect(query.status).toBe(200);
    expect(((await query.json()) as any).data.viewer.memberId).toBe('ana');

    const url = new URL(gw.server.url);
    url.searchParams.set('query', GROUP_EVENTS);
    url.searchParams.set('variables', JSON.stringify({ after: '0' }));
    const abort = new AbortController();
    const stream = await fetch(url, { headers: { accept: 'text/event-stream', cookie: anaCookie, authorization: basic }, signal: abort.signal });
    expect(stream.status).toBe(200);
    const parse = sseResults();
    let first: LiveEvent | undefined;
    for await (const chunk of stream.body as unknown as AsyncIterable<Uint8Array>) {
      first = parse(chunk).find((result) => result.data)?.data?.groupEvents;
      if (first) break;
    }
    abort.abort();
    expect(first).toMatchObject({ type: 'GROUP_CREATED', groupId: secretId });
  });

  it('does not read the cookie for another site’s page, nor for the gateway’s own host unlisted: that request is anonymous', async () => {
    expect(await whoAmI(gw.server.url, { cookie: anaCookie, origin: FOREIGN })).toEqual({ status: 200, memberId: null, code: undefined });
    const { host } = new URL(gw.server.url);
    expect(await whoAmI(gw.server.url, { cookie: anaCookie, origin: `http://${host}` })).toEqual({ status: 200, memberId: null, code: undefined });
  });

  it('refuses the cookie sent twice with different tokens (401), over HTTP and at a WebSocket’s handshake', async () => {
    const twice = `${COOKIE}=${await tokenFor({ sub: 'bo' })}; ${anaCookie}`;
    for (const origin of [undefined, LISTED]) {
      const response = await fetch(gw.server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: twice, ...(origin ? { origin } : {}) },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
      // Answered as any bad token is: a listed origin's page may read it.
      expect(response.headers.get('access-control-allow-origin')).toBe(origin ?? null);
      expect(await response.json()).toMatchObject({ errors: [{ message: expect.stringMatching(/Send the groups_token cookie once/), extensions: { code: 'UNAUTHENTICATED' } }] });
    }
    // A value with a comma or a space is no token: said of the cookie, not of an Authorization header never sent.
    const listLike = await whoAmI(gw.server.url, { cookie: `${COOKIE}=abc, other=def` });
    expect(listLike).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    const subscription = wsEvents(gw.server.url, { cookie: twice }, { after: '0' });
    expect(await subscription.events.ending()).toBe('error');
    expect(subscription.errors.items[0]).toMatchObject({ code: 4403 });
    await subscription.close();
  });

  it('refuses a cookie that holds no valid token (UNAUTHENTICATED), rather than running anonymously', async () => {
    expect(await whoAmI(gw.server.url, { cookie: `${COOKIE}=not-a-token` })).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
  });

  it('reads it for a GET query and an SSE subscription, as an EventSource sends them', async () => {
    const query = await fetch(`${gw.server.url}?query=${encodeURIComponent('{ viewer { memberId } }')}`, { headers: { cookie: anaCookie } });
    expect(((await query.json()) as any).data.viewer.memberId).toBe('ana');

    const url = new URL(gw.server.url);
    url.searchParams.set('query', GROUP_EVENTS);
    url.searchParams.set('variables', JSON.stringify({ after: '0' }));
    const abort = new AbortController();
    const stream = await fetch(url, { headers: { accept: 'text/event-stream', cookie: anaCookie }, signal: abort.signal });
    const parse = sseResults();
    const seen: LiveEvent[] = [];
    for await (const chunk of stream.body as unknown as AsyncIterable<Uint8Array>) {
      for (const result of parse(chunk)) if (result.data) seen.push(result.data.groupEvents);
      if (seen.some((event) => event.groupId === publicId)) break;
    }
    abort.abort();
    expect(seen[0]).toMatchObject({ type: 'GROUP_CREATED', groupId: secretId, group: { name: 'Cookie jar' } });
  });

  it('reads it at a WebSocket’s handshake from no Origin or a listed one, and not from another site’s page', async () => {
    for (const [headers, firstGroup] of [
      [{ cookie: anaCookie }, () => secretId],
      [{ cookie: anaCookie, origin: LISTED }, () => secretId],
      [{ cookie: anaCookie, origin: FOREIGN }, () => publicId],
    ] as const) {
      const subscription = wsEvents(gw.server.url, headers, { after: '0' });
      const [first] = await subscription.events.take(1);
      await subscription.close();
      expect(first, JSON.stringify(headers.origin ?? 'no origin')).toMatchObject({ type: 'GROUP_CREATED', groupId: firstGroup() });
    }
  });

  it('reads it for a WebSocket whose connection_init carries a blank authorization (none, as a blank header is)', async () => {
    const subscription = wsEvents(gw.server.url, { cookie: anaCookie }, { after: '0' }, { authorization: '' });
    const [first] = await subscription.events.take(1);
    await subscription.close();
    expect(first).toMatchObject({ groupId: secretId });
  });

  it('lets connection_init’s authorization win over the cookie', async () => {
    const bo = await tokenFor({ sub: 'bo' });
    const subscription = wsEvents(gw.server.url, { cookie: anaCookie }, { after: '0' }, { authorization: `Bearer ${bo}` });
    const [first] = await subscription.events.take(1);
    await subscription.close();
    expect(first).toMatchObject({ groupId: publicId });
  });

  it('at a WebSocket’s handshake, a bearer Authorization header wins over the cookie, and Basic credentials (a browser’s own) are passed over', async () => {
    const bo = await tokenFor({ sub: 'bo' });
    for (const [headers, firstGroup] of [
      // Before, any Authorization header at the handshake turned the cookie off, and was not read either: anonymous.
      [{ cookie: anaCookie, authorization: 'Basic c3RhZmY6cGFzcw==' }, () => secretId],
      [{ cookie: anaCookie, authorization: `Bearer ${bo}` }, () => publicId],
    ] as const) {
      const subscription = wsEvents(gw.server.url, headers, { after: '0' });
      const [first] = await subscription.events.take(1);
      await subscription.close();
      expect(first, headers.authorization.split(' ')[0]).toMatchObject({ type: 'GROUP_CREATED', groupId: firstGroup() });
    }
    // A token without `Bearer` at the handshake is refused (4403), not passed over for the cookie.
    const bare = wsEvents(gw.server.url, { cookie: anaCookie, authorization: bo! }, { after: '0' });
    expect(await bare.events.ending()).toBe('error');
    expect(bare.errors.items[0]).toMatchObject({ code: 4403 });
    await bare.close();
  });
});

describe('a gateway without AUTH_COOKIE', () => {
  let gw: LiveGateway;
  beforeAll(async () => {
    gw = await startLiveGateway();
  });
  afterAll(() => gw?.close());

  it('never reads a cookie', async () => {
    const cookie = `${COOKIE}=${await tokenFor({ sub: 'ana' })}`;
    expect(await whoAmI(gw.server.url, { cookie })).toEqual({ status: 200, memberId: null, code: undefined });
  });

  it('refuses an Authorization header of another scheme over HTTP (401), rather than running it as anonymous', async () => {
    expect(await whoAmI(gw.server.url, { authorization: 'Basic c3RhZmY6cGFzcw==' })).toMatchObject({ status: 401, memberId: null, code: 'UNAUTHENTICATED' });
  });
});
