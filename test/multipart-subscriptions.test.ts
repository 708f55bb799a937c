/**
 * Subscriptions over multipart HTTP (src/live/multipart-subscriptions.ts), the protocol Apollo Client's plain
 * HttpLink speaks for a subscription: driven by Apollo Client 4 itself against the real gateway, with the
 * same visibility as over WebSocket and SSE; and read byte by byte, for the framing, the heartbeat, the end at
 * the token's expiry and the refusals.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TEST_SECRET, ok, tokenFor } from './helpers/gateway.ts';
import { TEST_DATABASE } from './helpers/database.ts';
import { admin, manager, member, outsider } from './helpers/world.ts';
import { GROUP_EVENTS, startLiveGateway, until, type LiveGateway } from './helpers/live.ts';
import { secretKey, signToken } from '../src/auth/viewer.ts';

/** The Accept header Apollo Client 4's HttpLink sends with a subscription. */
const APOLLO_ACCEPT = 'multipart/mixed;boundary="graphql";subscriptionSpec=1.0,application/json';
const DELIMITER = '\r\n--graphql';
const HEADERS = '\r\ncontent-type: application/json; charset=utf-8\r\n\r\n';
/** The JSON of each complete part read so far (each part is followed by its delimiter). */
const partsOf = (text: string) =>
  text
    .split(DELIMITER)
    .slice(1, -1)
    .map((part) => {
      expect(part.startsWith(HEADERS)).toBe(true);
      return JSON.parse(part.slice(HEADERS.length));
    });

describe.runIf(TEST_DATABASE === 'sqlite')('subscriptions over multipart HTTP', () => {
  let gw: LiveGateway;
  beforeAll(async () => {
    gw = await startLiveGateway();
  });
  afterEach(() => gw?.closeSubscriptions());
  afterAll(() => gw?.close());

  const listeners = () => gw.server.app.services.events.listenerCount('groupEvent');
  /** The open subscriptions of a transport, as /metrics counts them. */
  const counted = async (transport: string) => {
    const text = await (await fetch(new URL('/metrics', gw.server.url))).text();
    return Number(new RegExp(`^gateway_live_subscribers\\{transport="${transport}"\\} (\\d+)$`, 'm').exec(text)?.[1]);
  };
  const create = async (name: string, privacy: string) =>
    ok(await gw.as(manager)(`mutation($n: String!, $p: GroupPrivacy!) { createGroup(input: { name: $n, privacy: $p, creatorId: "admin" }) { group { id } } }`, { n: name, p: privacy }))
      .createGroup.group.id as string;
  const add = async (groupId: string, memberId: string) =>
    ok(await gw.as(manager)(`mutation($g: ID!, $m: [ID!]!) { addGroupMembers(groupId: $g, memberIds: $m) { memberId } }`, { g: groupId, m: [memberId] }));

  /** A raw multipart subscription: the response, and its body as text so far. */
  async function raw(token: string | null, accept = APOLLO_ACCEPT, query = GROUP_EVENTS, variables: Record<string, unknown> = { after: null }) {
    const abort = new AbortController();
    const response = await fetch(gw.server.url, {
      method: 'POST',
      headers: { accept, 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
      signal: abort.signal,
    });
    let text = '';
    let ended = false;
    const reading = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) text += decoder.decode(chunk, { stream: true });
      ended = true;
    })().catch(() => undefined);
    return { response, text: () => text, ended: () => ended, close: async () => (abort.abort(), await reading) };
  }

  it('Apollo Client’s HttpLink receives a member’s live events; an outsider’s subscription never sees the secret group', async () => {
    const secret = await create('Multipart Secret', 'SECRET');
    await add(secret, 'member');
    const open = await create('Multipart Open', 'PUBLIC');
    const asMember = await gw.subscribe(member, { after: null, transport: 'multipart' });
    const asOutsider = await gw.subscribe(outsider, { after: null, transport: 'multipart' });
    await add(secret, 'newcomer');
    await add(open, 'visitor');
    const seen = await asMember.events.take(2);
    expect(seen.map((e) => [e.type, e.groupId, e.memberId])).toEqual([
      ['MEMBER_ADDED', secret, 'newcomer'],
      ['MEMBER_ADDED', open, 'visitor'],
    ]);
    expect(seen[0].group).toEqual({ id: secret, name: 'Multipart Secret' });
    // The outsider's first event is the public one: the secret group's never reached them.
    expect((await asOutsider.events.take(1)).map((e) => [e.groupId, e.memberId])).toEqual([[open, 'visitor']]);
    expect(asOutsider.errors.items).toEqual([]);
  });

  it('replays from an event id, then goes on live, as over WebSocket and SSE', async () => {
    const group = await create('Multipart Replay', 'PUBLIC');
    const after = await gw.latestEventId();
    await add(group, 'early');
    const sub = await gw.subscribe(admin, { groupId: group, after, transport: 'multipart' });
    expect((await sub.events.take(1)).map((e) => e.memberId)).toEqual(['early']);
    await add(group, 'late');
    expect((await sub.events.take(1)).map((e) => e.memberId)).toEqual(['late']);
  });

  it('frames each result as a part: a heartbeat at once, then {"payload": result}', async () => {
    const group = await create('Multipart Frames', 'PUBLIC');
    const before = listeners();
    const stream = await raw(await tokenFor(admin), APOLLO_ACCEPT, GROUP_EVENTS, { groupId: group, after: null });
    expect(stream.response.status).toBe(200);
    expect(stream.response.headers.get('content-type')).toBe('multipart/mixed;boundary="graphql";subscriptionSpec="1.0"');
    expect(stream.response.headers.get('cache-control')).toBe('no-store');
    // The heartbeat comes complete, its delimiter after it: a client reads it before anything else happens.
    await until(() => stream.text() === `${DELIMITER}${HEADERS}{}${DELIMITER}` && listeners() > before);
    await add(group, 'framed');
    await until(() => partsOf(stream.text()).length === 2);
    expect(partsOf(stream.text())).toEqual([
      {},
      { payload: { data: { groupEvents: expect.objectContaining({ type: 'MEMBER_ADDED', memberId: 'framed', groupId: group }) } } },
    ]);
    expect(await counted('multipart')).toBe(1);
    // A client that goes away gives its listener (and its subscription slot) back.
    await stream.close();
    await until(() => listeners() === before);
    expect(await counted('multipart')).toBe(0);
  });

  it('ends when the token expires: a last result saying so, then the closing delimiter', async () => {
    const token = await signToken(secretKey(TEST_SECRET), { sub: 'short-lived', expiresIn: '2s' });
    const stream = await raw(token);
    await until(() => stream.ended(), 5_000);
    const text = stream.text();
    expect(text.endsWith(`${DELIMITER}--\r\n`)).toBe(true);
    const last = partsOf(text).at(-1);
    expect(last.payload.errors.map((e: any) => e.extensions.code)).toEqual(['UNAUTHENTICATED']);
    expect(last.payload.errors[0].extensions.http).toBeUndefined();
    // Apollo Client reads the same end as the subscription's error, then its completion.
    const sub = await gw.subscribe({ token: await signToken(secretKey(TEST_SECRET), { sub: 'short-lived', expiresIn: '2s' }) }, { after: null, transport: 'multipart' });
    expect(await sub.events.ending(5_000)).toBe('complete');
    expect(sub.errors.items.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
  });

  it('a subscription refused before it starts is a JSON answer, as for any operation', async () => {
    const stream = await raw(null, APOLLO_ACCEPT, `subscription { groupEvents(after: "not-an-id") { id } }`);
    await until(() => stream.ended());
    expect(stream.response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(JSON.parse(stream.text()).errors.map((e: any) => e.extensions.code)).toEqual(['BAD_USER_INPUT']);
  });

  it('multipart/mixed without subscriptionSpec (incremental delivery) is 406 naming what is served, and holds nothing', async () => {
    const before = listeners();
    const stream = await raw(await tokenFor(member), 'multipart/mixed');
    await until(() => stream.ended());
    expect(stream.response.status).toBe(406);
    expect(JSON.parse(stream.text()).errors[0].message).toMatch(/multipart\/mixed;subscriptionSpec=1\.0, for a subscription/);
    await until(() => listeners() === before);
  });

  it('a client that accepts both event streams and multipart gets the event stream; one that refuses event streams, multipart', async () => {
    const token = await tokenFor(member);
    const typeFor = async (accept: string) => {
      const stream = await raw(token, accept);
      const type = `${stream.response.status} ${stream.response.headers.get('content-type')}`;
      await stream.close();
      return type;
    };
    expect(await typeFor(`text/event-stream, ${APOLLO_ACCEPT}`)).toMatch(/^200 text\/event-stream/);
    expect(await typeFor('*/*')).toMatch(/^200 text\/event-stream/);
    for (const accept of [
      `text/event-stream;q=0, ${APOLLO_ACCEPT}`,
      `${APOLLO_ACCEPT}, */*;q=0`,
      'multipart/mixed;subscriptionSpec="1.0"',
      'multipart/mixed;subscriptionSpec=1.0, text/event-stream-x',
    ]) {
      expect({ accept, type: await typeFor(accept) }).toEqual({ accept, type: '200 multipart/mixed;boundary="graphql";subscriptionSpec="1.0"' });
    }
    // Another version of the protocol is not this one.
    expect(await typeFor('multipart/mixed;subscriptionSpec=2.0')).toMatch(/^406 /);
  });

  it('the transport a subscription is counted under is the one it is answered with', async () => {
    const token = await tokenFor(member);
    const before = await counted('multipart');
    const stream = await raw(token, 'multipart/mixed;subscriptionSpec=1.0, text/event-stream-x');
    await until(() => stream.text().length > 0);
    expect(await counted('multipart')).toBe(before + 1);
    await stream.close();
  });

  it('to a client that takes only multipart subscriptions, a refusal comes as the protocol’s one part, not 406', async () => {
    const only = 'multipart/mixed;subscriptionSpec=1.0';
    for (const [query, code] of [
      [`subscription { groupEvents(after: "not-an-id") { id } }`, 'BAD_USER_INPUT'],
      [`subscription { groupEvents { nope } }`, 'GRAPHQL_VALIDATION_FAILED'],
    ]) {
      const stream = await raw(await tokenFor(member), only, query);
      await until(() => stream.ended());
      expect(stream.response.headers.get('content-type')).toBe('multipart/mixed;boundary="graphql";subscriptionSpec="1.0"');
      const parts = partsOf(stream.text());
      expect(parts[0]).toEqual({});
      expect(parts[1].payload.errors.map((e: any) => e.extensions.code)).toEqual([code]);
      expect(stream.text().endsWith(`${DELIMITER}--\r\n`)).toBe(true);
      expect(stream.response.status).toBe(200);
    }
  });

  it('a bad token there is 401 with WWW-Authenticate, as over SSE and JSON (was 200)', async () => {
    const only = 'multipart/mixed;subscriptionSpec=1.0';
    const stream = await raw('not-a-token', only, `subscription { groupEvents { id } }`);
    await until(() => stream.ended());
    expect(stream.response.status).toBe(401);
    expect(stream.response.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(partsOf(stream.text())[1].payload.errors.map((e: any) => e.extensions.code)).toEqual(['UNAUTHENTICATED']);
    // A client that also takes JSON gets the refusal in JSON, 401 all the same.
    const json = await raw('not-a-token', APOLLO_ACCEPT, `subscription { groupEvents { id } }`);
    await until(() => json.ended());
    expect([json.response.status, json.response.headers.get('content-type')]).toEqual([401, expect.stringMatching(/^application\/json/)]);
  });
});
