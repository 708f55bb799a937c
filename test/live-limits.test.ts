/**
 * The limits of live connections and subscriptions (README, "Live events"): the time to connection_init
 * (4408), tokens (invalid: 4403; expired: 4401 over WebSocket, a last UNAUTHENTICATED result over SSE), the
 * cap on one viewer's subscriptions, slow WebSocket readers (4008) and the bus's per-subscriber backlog.
 * They concern connections, not the database, so they run in the SQLite project only.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { TEST_SECRET, codes, ok, tokenFor } from './helpers/gateway.ts';
import { TEST_DATABASE } from './helpers/database.ts';
import { manager, member } from './helpers/world.ts';
import { GROUP_EVENTS, openSubscription, startLiveGateway, until, type LiveGateway } from './helpers/live.ts';
import { secretKey, signToken } from '../src/auth/viewer.ts';
import { createEventBus, MAX_BACKLOG, RESUMED, WAKE_SLICE } from '../src/pubsub.ts';
import type { GroupEvent as GroupEventRow } from '../src/generated/prisma/client.ts';
import { groupEventStream } from '../src/live/event-stream.ts';
import { endsWithoutComplete, isSseComplete } from '../src/live/stream-end.ts';
import { ANONYMOUS } from '../src/auth/viewer.ts';
import type { Context } from '../src/context.ts';

const LIMITS = {
  WS_CONNECTION_INIT_TIMEOUT_MS: '400',
  MAX_SUBSCRIPTIONS_PER_VIEWER: '2',
  MAX_ANONYMOUS_SUBSCRIPTIONS_PER_ADDRESS: '3',
  WS_MAX_BUFFERED_BYTES: '65536',
  STREAM_STALL_TIMEOUT_MS: '1000',
};

describe.runIf(TEST_DATABASE === 'sqlite')('live limits', () => {
  let gw: LiveGateway;
  beforeAll(async () => {
    gw = await startLiveGateway(LIMITS);
  });
  afterEach(() => gw?.closeSubscriptions());
  afterAll(() => gw?.close());

  const listeners = () => gw.server.app.services.events.listenerCount('groupEvent');
  const shortLivedToken = (sub: string) => signToken(secretKey(TEST_SECRET), { sub, expiresIn: '2s' });
  const publicGroup = async (name: string): Promise<string> =>
    ok(await gw.as(manager)(`mutation($n: String!) { createGroup(input: { name: $n }) { group { id } } }`, { n: name })).createGroup.group.id;
  const addMember = async (groupId: string, memberId: string) =>
    ok(await gw.as(manager)(`mutation($g: ID!, $m: [ID!]!) { addGroupMembers(groupId: $g, memberIds: $m) { memberId } }`, { g: groupId, m: [memberId] }));

  /** A WebSocket speaking graphql-ws by hand, and how it was closed. */
  function rawSocket() {
    const socket = new WebSocket(gw.server.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
    const opened = new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    return { socket, closed, opened };
  }

  it('a WebSocket that does not send connection_init in time is closed with 4408', async () => {
    const started = Date.now();
    const { closed } = rawSocket();
    expect(await closed).toEqual({ code: 4408, reason: 'Connection initialisation timeout' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
  });

  it('an invalid token closes the WebSocket with 4403 and gets UNAUTHENTICATED over SSE', async () => {
    const sub = openSubscription(gw.server.url, 'not-a-jwt', {});
    expect(await sub.events.ending()).toBe('close 4403 Forbidden');
    const response = await fetch(gw.server.url, {
      method: 'POST',
      headers: { accept: 'text/event-stream', 'content-type': 'application/json', authorization: 'Bearer not-a-jwt' },
      body: JSON.stringify({ query: GROUP_EVENTS }),
      signal: AbortSignal.timeout(4_000),
    });
    expect(response.status).toBe(401);
    const body = await response.text();
    const results = body.split('\n').filter((line) => line.startsWith('data:') && line.length > 6).map((line) => JSON.parse(line.slice(5)));
    const parsed = results.length ? results : [JSON.parse(body)];
    expect(parsed.flatMap((r) => codes(r))).toEqual(['UNAUTHENTICATED']);
    expect(parsed.every((r) => r.data == null)).toBe(true);
  });

  /** `viewer.memberId` over a graphql-ws connection whose handshake carries `headers`, with `connectionParams`. */
  async function memberOverWs(headers: Record<string, string | string[]>, connectionParams: Record<string, unknown> = {}): Promise<unknown> {
    class WithHeaders extends WebSocket {
      constructor(address: string, protocols?: string | string[]) {
        super(address, protocols, { headers });
      }
    }
    const client = createClient({ url: gw.server.url.replace(/^http/, 'ws'), webSocketImpl: WithHeaders, connectionParams, retryAttempts: 0 });
    try {
      return await new Promise<unknown>((resolve, reject) => {
        let seen: unknown = null;
        client.subscribe({ query: '{ viewer { memberId } }' }, {
          next: (result) => (seen = (result.data as { viewer: { memberId: string | null } }).viewer.memberId),
          error: (error) => reject(error),
          complete: () => resolve(seen),
        });
      });
    } finally {
      await client.dispose();
    }
  }

  it('the token in connection_init is read however the client spells authorization, never silently dropped', async () => {
    const token = await tokenFor({ sub: 'spelled' });
    const whoAmI = (connectionParams: Record<string, unknown>) => memberOverWs({}, connectionParams);
    for (const params of [
      { authorization: `Bearer ${token}` },
      { Authorization: `Bearer ${token}` },
      { headers: { Authorization: `Bearer ${token}` } },
      { headers: { authorization: `Bearer ${token}` } },
      // The same token twice is one token.
      { authorization: `Bearer ${token}`, headers: { Authorization: `Bearer ${token}` } },
    ]) {
      expect({ params: Object.keys(params), memberId: await whoAmI(params) }).toEqual({ params: Object.keys(params), memberId: 'spelled' });
    }
    expect(await whoAmI({})).toBeNull();
    // A bad token, however spelled, closes the connection (4403) rather than making it anonymous.
    await expect(whoAmI({ Authorization: 'Bearer not-a-jwt' })).rejects.toMatchObject({ code: 4403 });
    // Two different tokens are refused, whichever comes first: the gateway does not pick one.
    for (const params of [
      { authorization: `Bearer ${token}`, Authorization: 'Bearer not-a-jwt' },
      { Authorization: 'Bearer not-a-jwt', authorization: `Bearer ${token}` },
      { authorization: `Bearer ${token}`, headers: { authorization: `Bearer ${await tokenFor({ sub: 'someone-else' })}` } },
    ]) {
      await expect(whoAmI(params)).rejects.toMatchObject({ code: 4403 });
    }
  });

  it('without a token in connection_init, the handshake’s bearer Authorization header is the token (a client that is not a browser)', async () => {
    const token = await tokenFor({ sub: 'handshaker' });
    const whoAmI = memberOverWs;
    // Before, the handshake's header was not read: anonymous.
    expect(await whoAmI({ authorization: `Bearer ${token}` })).toBe('handshaker');
    expect(await whoAmI({ authorization: `bearer  ${token}` })).toBe('handshaker');
    // connection_init's token wins.
    expect(await whoAmI({ authorization: `Bearer ${token}` }, { authorization: `Bearer ${await tokenFor({ sub: 'initial' })}` })).toBe('initial');
    // A bad one is refused as in connection_init; another scheme (a browser's Basic credentials) is passed over.
    await expect(whoAmI({ authorization: 'Bearer not-a-jwt' })).rejects.toMatchObject({ code: 4403 });
    expect(await whoAmI({ authorization: 'Basic c3RhZmY6cGFzcw==' })).toBeNull();
    // Repeated headers are refused whatever their order and schemes, and so is "Bearer" without a token:
    // never a valid token passed over, never silently anonymous.
    for (const authorization of [['Basic c3RhZmY6cGFzcw==', `Bearer ${token}`], [`Bearer ${token}`, 'Basic c3RhZmY6cGFzcw=='], 'Bearer', 'Bearer   ']) {
      await expect(whoAmI({ authorization }), JSON.stringify(authorization)).rejects.toMatchObject({ code: 4403 });
    }
    // A blank authorization in connection_init is none: the handshake's token stands in, as over HTTP.
    expect(await whoAmI({ authorization: `Bearer ${token}` }, { authorization: '' })).toBe('handshaker');
    expect(await whoAmI({}, { authorization: ' ' })).toBeNull();
  });

  it('a token whose sub is not a member id is refused like an invalid one: 4403 over WebSocket, 401 over SSE', async () => {
    for (const sub of ['  ', 'a\u0000b', '\u202Eevil', 'x\uD800y', 'h'.repeat(5_000)]) {
      const token = await signToken(secretKey(TEST_SECRET), { sub });
      const ws = openSubscription(gw.server.url, token, {});
      expect({ sub, ending: await ws.events.ending() }).toEqual({ sub, ending: 'close 4403 Forbidden' });
      const response = await fetch(gw.server.url, {
        method: 'POST',
        headers: { accept: 'text/event-stream', 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: GROUP_EVENTS }),
        signal: AbortSignal.timeout(4_000),
      });
      const body = await response.text();
      const results = body.split('\n').filter((line) => line.startsWith('data:') && line.length > 6).map((line) => JSON.parse(line.slice(5)));
      const parsed = results.length ? results : [JSON.parse(body)];
      expect({ sub, status: response.status, codes: parsed.flatMap((r) => codes(r)) }).toEqual({ sub, status: 401, codes: ['UNAUTHENTICATED'] });
    }
  });

  it('over WebSocket, a failing operation fails alone with its contract code; the connection stays usable', async () => {
    const token = await tokenFor(member);
    const client = createClient({ url: gw.server.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${token}` } });
    try {
      /** The error codes an operation ended with (an `error` message or a result with errors), or its data. */
      const run = (query: string, variables: Record<string, unknown> = {}) =>
        new Promise<any>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no answer to ${query}`)), 4_000);
          const done = (value: unknown) => {
            clearTimeout(timer);
            resolve(value);
          };
          client.subscribe({ query, variables }, {
            next: (r) => done(r.errors ? r.errors.map((e: any) => e.extensions?.code) : r.data),
            error: (e) => done(Array.isArray(e) ? e.map((x) => x.extensions?.code) : e),
            complete: () => done('complete'),
          });
        });
      expect(await run(GROUP_EVENTS, { after: 'not-an-id' })).toEqual(['BAD_USER_INPUT']);
      expect(await run(`subscription { groupEvents { `)).toEqual(['GRAPHQL_PARSE_FAILED']);
      expect(await run(`subscription { groupEvents { nope } }`)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      // A page size out of range keeps its own code, as over HTTP.
      expect(await run(`subscription { groupEvents { group { members(first: 5000) { totalCount } } } }`)).toEqual(['BAD_USER_INPUT']);
      expect(await run(`{ viewer { memberId } }`)).toEqual({ viewer: { memberId: 'member' } });
    } finally {
      await client.dispose();
    }
  });

  it('a WebSocket is closed with 4401 when its token expires; until then it works', async () => {
    const groupId = await publicGroup('Expiring over WebSocket');
    const sub = await gw.subscribe({ token: await shortLivedToken('short-lived') }, { groupId, after: null });
    await addMember(groupId, 'someone');
    expect((await sub.events.take(1)).map((e) => e.memberId)).toEqual(['someone']);
    expect(await sub.events.ending(4_000)).toBe('close 4401 Token expired');
  });

  it('an SSE subscription ends when its token expires, with a last UNAUTHENTICATED result', async () => {
    const sub = await gw.subscribe({ token: await shortLivedToken('short-lived') }, { after: null, transport: 'sse' });
    expect(await sub.events.ending(4_000)).toBe('stream ended');
    expect(sub.errors.items.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    expect(sub.errors.items[0].message).toMatch(/expired/);
  });

  it('a viewer holds at most MAX_SUBSCRIPTIONS_PER_VIEWER subscriptions; the next is FORBIDDEN, naming the limit', async () => {
    const capped = { sub: 'capped' };
    const first = await gw.subscribe(capped, { after: null });
    await gw.subscribe(capped, { after: null, transport: 'sse' });
    const refused = await gw.subscribe(capped, {});
    const [error] = await refused.errors.take(1);
    expect(error.extensions?.code).toBe('FORBIDDEN');
    expect(error.message).toMatch(/limit of 2 open live subscriptions/);
    // Other viewers are not affected.
    await gw.subscribe({ sub: 'someone-else' }, { after: null });
    await gw.subscribe('anonymous', { after: null, transport: 'sse' });
    // A slot given back can be taken again.
    const before = listeners();
    await first.close();
    await until(() => listeners() === before - 1);
    expect((await gw.subscribe(capped, { after: null })).errors.items).toEqual([]);
  });

  it('an id the client completes and reuses at once names its new subscription alone; both slots come back', async () => {
    const viewer = { sub: 'reuser' };
    // A replay long enough to be running when the client completes it.
    const groupId = await publicGroup('Reused Ids');
    for (let i = 0; i < 40; i++) await addMember(groupId, `reuse-filler-${i}`);
    const baseline = listeners();
    const { socket, opened, closed } = rawSocket();
    await opened;
    const messages: { id?: string; type: string }[] = [];
    socket.on('message', (data) => messages.push(JSON.parse(String(data))));
    const send = (message: object) => socket.send(JSON.stringify(message));
    send({ type: 'connection_init', payload: { authorization: `Bearer ${await tokenFor(viewer)}` } });
    await until(() => messages.some((m) => m.type === 'connection_ack'));
    for (let round = 0; round < 3; round++) {
      const seen = messages.length;
      send({ id: 'A', type: 'subscribe', payload: { query: 'subscription { groupEvents(after: "0") { id } }' } });
      await until(() => messages.length > seen); // its replay has begun
      send({ id: 'A', type: 'complete' });
      send({ id: 'A', type: 'subscribe', payload: { query: 'subscription { groupEvents { id } }' } });
      await new Promise((resolve) => setTimeout(resolve, 50));
      send({ id: 'A', type: 'complete' });
    }
    const completedAt = messages.length;
    await new Promise((resolve) => setTimeout(resolve, 500));
    // Nothing more about A once the client completed it, and no `complete` from the server for what it ended.
    expect(messages.slice(completedAt)).toEqual([]);
    expect(messages.filter((m) => m.type !== 'next' && m.type !== 'connection_ack')).toEqual([]);
    socket.close(1000);
    await closed;
    // Every subscription of the socket has given its slot back: the viewer's two are free, a third is refused.
    await until(() => listeners() === baseline);
    expect((await gw.subscribe(viewer, { after: null })).errors.items).toEqual([]);
    expect((await gw.subscribe(viewer, { after: null, transport: 'sse' })).errors.items).toEqual([]);
    const [error] = await (await gw.subscribe(viewer, {})).errors.take(1);
    expect(error.extensions?.code).toBe('FORBIDDEN');
  });

  it('anonymous viewers hold at most MAX_ANONYMOUS_SUBSCRIPTIONS_PER_ADDRESS from one address, over SSE and WebSocket together', async () => {
    await until(() => listeners() === 0); // the earlier tests' subscriptions, closed, have given back their slots
    const held = [
      await gw.subscribe('anonymous', { after: null, transport: 'sse' }),
      await gw.subscribe('anonymous', { after: null, transport: 'sse' }),
      await gw.subscribe('anonymous', { after: null }),
    ];
    for (const transport of ['sse', 'ws'] as const) {
      const refused = await gw.subscribe('anonymous', { transport });
      const [error] = await refused.errors.take(1);
      expect({ transport, code: error.extensions?.code, message: error.message }).toEqual({
        transport, code: 'FORBIDDEN', message: expect.stringMatching(/limit of 3 open live subscriptions/),
      });
    }
    // Signed-in viewers from the same address are counted as themselves.
    expect((await gw.subscribe({ sub: 'neighbour' }, { after: null })).errors.items).toEqual([]);
    const before = listeners();
    await held[0].close();
    await until(() => listeners() === before - 1);
    expect((await gw.subscribe('anonymous', { after: null, transport: 'sse' })).errors.items).toEqual([]);
  });

  it('a subscription over HTTP the client cannot receive (406) holds no listener and no slot', async () => {
    const token = await tokenFor({ sub: 'no-stream' });
    const before = listeners();
    // Twice the viewer's limit, with every Accept that carries no stream.
    for (const accept of ['application/json', 'application/graphql-response+json', 'multipart/mixed', 'text/html']) {
      const response = await fetch(gw.server.url, {
        method: 'POST',
        headers: { accept, 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: GROUP_EVENTS, variables: { groupId: null, after: null } }),
      });
      expect({ accept, status: response.status }).toEqual({ accept, status: 406 });
    }
    await until(() => listeners() <= before);
    expect(gw.server.app.services.audience.slots.count('member:no-stream')).toBe(0);
    expect((await gw.subscribe({ sub: 'no-stream' }, { after: null })).errors.items).toEqual([]);
  });

  it('a WebSocket reading too slowly is closed with 4008, holding back neither memory nor other subscribers', async () => {
    const reader = 'slow-reader';
    const owner = `member:${reader}`;
    // 4,000 events of about 2 kB for this viewer: some 8 MB, more than the operating system buffers. (The
    // actor of an event of a PUBLIC group whose member list is shown is named to everyone.)
    const lane = await publicGroup('Slow lane');
    const data = Array.from({ length: 4_000 }, () => ({ type: 'MEMBER_ADDED' as const, groupId: lane, groupPrivacy: 'PUBLIC' as const, memberId: reader, actorId: 'x'.repeat(2_000) }));
    await gw.db.groupEvent.createMany({ data });
    const groupId = await publicGroup('Meanwhile');
    const bystander = await gw.subscribe(member, { groupId, after: null });

    const { socket, closed, opened } = rawSocket();
    let received = 0;
    const acknowledged = new Promise<void>((resolve) =>
      socket.on('message', (message) => {
        const type = JSON.parse(String(message)).type;
        if (type === 'connection_ack') resolve();
        if (type === 'next') received++;
      }),
    );
    await opened;
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${await tokenFor({ sub: reader })}` } }));
    await acknowledged;
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription { groupEvents(after: "0") { id actorId } }' } }));
    socket.pause(); // reads nothing more
    const slots = gw.server.app.services.audience.slots;
    await until(() => slots.count(owner) === 1);

    await addMember(groupId, 'meanwhile');
    expect((await bystander.events.take(1)).map((e) => e.memberId)).toEqual(['meanwhile']);
    // The server gives up on the slow reader: its subscription ends at once, its socket is closing.
    await until(() => slots.count(owner) === 0, 15_000);

    socket.resume();
    expect(await closed).toEqual({ code: 4008, reason: 'Too slow: resume with after' });
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThan(data.length); // the rest was never buffered
  });

  /**
   * A subscription over HTTP sent by hand on a socket of its own, which reads the response's head and then
   * only what the test lets it: `stop()` pauses it, `readAll()` reads to the end and resolves with what came.
   */
  async function rawStream(sub: string, accept: string) {
    const body = JSON.stringify({ query: 'subscription { groupEvents(after: "0") { id memberId actorId } }' });
    const socket = connect(gw.server.port, '127.0.0.1');
    let text = '';
    let ended = false;
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk) => (text += chunk.toString('latin1')));
    socket.on('end', () => (ended = true));
    socket.on('error', () => undefined); // a reset is one way the server may end it
    socket.write(
      `POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nAccept: ${accept}\r\n` +
        `Authorization: Bearer ${await tokenFor({ sub })}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    await until(() => text.includes('\r\n\r\n'));
    expect(text.slice(0, 12)).toBe('HTTP/1.1 200');
    return {
      stop: () => socket.pause(),
      readAll: async () => {
        socket.resume();
        await closed;
        return { text, ended };
      },
      /** Reads for a few milliseconds every `everyMs`, until the function it returns is called. */
      trickle(everyMs: number) {
        socket.pause();
        const timer = setInterval(() => {
          socket.resume();
          setTimeout(() => socket.pause(), 5);
        }, everyMs);
        return () => {
          clearInterval(timer);
          socket.resume();
        };
      },
      received: () => text,
      destroy: () => socket.destroy(),
    };
  }
  const cutCount = async (transport: string) => {
    const text = await (await fetch(new URL('/metrics', gw.server.url))).text();
    return Number(new RegExp(`^gateway_http_streams_cut_total\\{transport="${transport}"\\} (\\d+)$`, 'm').exec(text)?.[1]);
  };
  /** 4,000 events of about 2 kB that `reader` receives: some 8 MB, more than the operating system buffers. */
  async function longHistory(reader: string) {
    const lane = await publicGroup(`Lane of ${reader}`);
    const data = Array.from({ length: 4_000 }, () => ({ type: 'MEMBER_ADDED' as const, groupId: lane, groupPrivacy: 'PUBLIC' as const, memberId: reader, actorId: 'x'.repeat(2_000) }));
    await gw.db.groupEvent.createMany({ data });
  }

  for (const [transport, accept, name] of [
    ['sse', 'text/event-stream', 'an SSE'],
    ['multipart', 'multipart/mixed;boundary="graphql";subscriptionSpec=1.0,application/json', 'a multipart'],
  ] as const) {
    it(`${name} stream whose client stopped reading is cut after STREAM_STALL_TIMEOUT_MS, giving its slot back`, async () => {
      const reader = `stalled-${transport}`;
      const owner = `member:${reader}`;
      await longHistory(reader);
      const before = await cutCount(transport);
      const slots = gw.server.app.services.audience.slots;
      const stream = await rawStream(reader, accept);
      stream.stop();
      await until(() => slots.count(owner) === 1);
      // Its events fill the socket's buffers; a second later it is cut, and its subscription ends.
      await until(() => slots.count(owner) === 0, 15_000);
      expect(await cutCount(transport)).toBe(before + 1);
      // The client reads what the operating system had buffered, then the connection's end: the response
      // stops short of its last chunk (an EventSource then reconnects with Last-Event-ID).
      const { text, ended } = await stream.readAll();
      expect(ended).toBe(true);
      expect(text).toContain('"actorId":"xx');
      expect(text.endsWith('0\r\n\r\n')).toBe(false);
      expect(text.length).toBeLessThan(4_000 * 2_000);
    });
  }

  it('a stream whose client reads in bursts, far apart but within the timeout, is not cut', async () => {
    const reader = 'slow-but-reading';
    const owner = `member:${reader}`;
    await longHistory(reader);
    const before = await cutCount('sse');
    const slots = gw.server.app.services.audience.slots;
    const stream = await rawStream(reader, 'text/event-stream');
    // A few milliseconds of reading every 400 ms, with a stall timeout of 1 s: the socket drains now and then.
    const stopTrickle = stream.trickle(400);
    await until(() => slots.count(owner) === 1);
    const events = () => stream.received().split(`"memberId":"${reader}"`).length - 1;
    try {
      await until(() => events() >= 4_000, 60_000);
    } finally {
      stopTrickle();
    }
    expect(slots.count(owner)).toBe(1);
    expect(await cutCount('sse')).toBe(before);
    stream.destroy();
    await until(() => slots.count(owner) === 0);
  });

  it('the bus cuts off a subscriber that stopped reading, instead of failing the publisher (or the process)', async () => {
    // Fallen behind once, it reads from the log instead (RESUMED); behind again without having read since,
    // for at least stalledAfterMs (0 here), it is cut off.
    const bus = createEventBus({ stalledAfterMs: 0 });
    const stalled = bus.subscribe('groupEvent');
    const row = (id: number) => ({ id }) as GroupEventRow;
    for (let id = 1; id <= 2 * MAX_BACKLOG + 50; id++) bus.publish('groupEvent', row(id));
    const reader = bus.subscribe('groupEvent');
    bus.publish('groupEvent', row(2 * MAX_BACKLOG + 51));
    expect((await reader.next()).value).toEqual(row(2 * MAX_BACKLOG + 51)); // others are unaffected
    const received: (number | string)[] = [];
    for await (const event of stalled) received.push(event === RESUMED ? 'resumed' : (event as GroupEventRow).id);
    // What it had waiting arrives in order, then its stream ends: it resumes with `after` from the log.
    expect(received).toEqual(['resumed', ...Array.from({ length: MAX_BACKLOG - 1 }, (_, i) => MAX_BACKLOG + 2 + i)]);
    expect(bus.listenerCount('groupEvent')).toBe(1);
    await reader.return?.();
    expect(bus.listenerCount('groupEvent')).toBe(0);
  });

  it('a subscription the bus cut off ends its SSE stream without `complete` (its client resumes); one the client left does not need to', async () => {
    const stream = (live: AsyncIterableIterator<GroupEventRow>) => {
      const res = {};
      const ctx = {
        viewer: ANONYMOUS,
        res,
        audience: { readLog: async () => [], readReplay: async () => [], allows: async () => true },
      } as unknown as Context;
      return { res, events: groupEventStream(ctx, null, 0, 0, live, () => undefined) };
    };
    // The bus ends a cut subscriber's iterator, as stop() does (pubsub.ts).
    const cut = stream((async function* () {})() as AsyncIterableIterator<GroupEventRow>);
    for await (const event of cut.events) expect(event).toBeUndefined();
    expect(endsWithoutComplete(cut.res)).toBe(true);
    // A client that leaves returns the stream: nothing is written to it any more, and it is not marked.
    const left = stream((async function* () {
      await new Promise(() => undefined);
    })() as AsyncIterableIterator<GroupEventRow>);
    await left.events.return?.(undefined);
    expect(endsWithoutComplete(left.res)).toBe(false);
    // The chunk dropped is Yoga's `complete` only, never an event.
    expect(isSseComplete(new TextEncoder().encode('event: complete\ndata:\n\n'))).toBe(true);
    expect(isSseComplete('event: next\n')).toBe(false);
    expect(isSseComplete(new TextEncoder().encode('data: {"data":{}}\n\n'))).toBe(false);
  });

  it('a burst larger than the backlog sends a reading subscriber to the log (RESUMED), in order, without ending it', async () => {
    const bus = createEventBus({ backlog: 10 });
    const subscriber = bus.subscribe('groupEvent');
    const row = (id: number) => ({ id }) as GroupEventRow;
    for (let id = 1; id <= 35; id++) bus.publish('groupEvent', row(id));
    const first = await subscriber.next();
    expect(first.value).toBe(RESUMED);
    // Having read, it may fall behind again: the next burst does not cut it off either.
    for (let id = 36; id <= 60; id++) bus.publish('groupEvent', row(id));
    expect((await subscriber.next()).value).toBe(RESUMED);
    bus.publish('groupEvent', row(61));
    const rest: unknown[] = [];
    for (let i = 0; i < 9; i++) rest.push(((await subscriber.next()).value as GroupEventRow).id);
    // After its RESUMED, what came since the backlog last overflowed (at 52), in order.
    expect(rest).toEqual([53, 54, 55, 56, 57, 58, 59, 60, 61]);
    expect(bus.listenerCount('groupEvent')).toBe(1);
    await subscriber.return?.();
  });

  it('one event resumes a large audience WAKE_SLICE subscribers per turn of the event loop, every one of them', async () => {
    const bus = createEventBus();
    const streams = Array.from({ length: WAKE_SLICE * 2 + 10 }, () => bus.subscribe('groupEvent'));
    const got: number[] = [];
    const reads = streams.map((stream) => stream.next().then((result) => got.push((result.value as GroupEventRow).id)));
    bus.publish('groupEvent', { id: 7 } as GroupEventRow);
    const microtasks = async () => {
      for (let i = 0; i < 20; i++) await null;
    };
    const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
    await microtasks();
    expect(got.length).toBe(WAKE_SLICE); // the first slice, before anything else of the event loop runs
    await nextTurn();
    await microtasks();
    expect(got.length).toBe(WAKE_SLICE * 2);
    await Promise.all(reads);
    expect(got).toEqual(streams.map(() => 7));
    await Promise.all(streams.map((stream) => stream.return?.()));
    expect(bus.listenerCount('groupEvent')).toBe(0);
  });
});

describe.runIf(TEST_DATABASE === 'sqlite')('WebSocket connections per address', () => {
  let gw: LiveGateway;
  beforeAll(async () => {
    gw = await startLiveGateway({ MAX_WS_CONNECTIONS_PER_ADDRESS: '3', TRUST_PROXY: 'true' });
  });
  afterAll(() => gw?.close());

  /** Opens a WebSocket from `address` (the proxy's X-Forwarded-For): open, or refused with its status and Retry-After. */
  function connect(address: string) {
    const socket = new WebSocket(gw.server.url.replace(/^http/, 'ws'), 'graphql-transport-ws', { headers: { 'x-forwarded-for': address } });
    const outcome = new Promise<{ open: true } | { status: number; retryAfter: string | undefined }>((resolve, reject) => {
      socket.once('open', () => resolve({ open: true }));
      socket.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] }));
      socket.once('error', reject);
    });
    return { socket, outcome };
  }

  it('are at most MAX_WS_CONNECTIONS_PER_ADDRESS; the next handshake is 429 with Retry-After, and a closed one gives its place back', async () => {
    const held = [connect('198.51.100.7'), connect('198.51.100.7'), connect('198.51.100.7')];
    for (const { outcome } of held) expect(await outcome).toEqual({ open: true });
    expect(await connect('198.51.100.7').outcome).toEqual({ status: 429, retryAfter: '30' });
    // Another address has places of its own.
    const neighbour = connect('198.51.100.8');
    expect(await neighbour.outcome).toEqual({ open: true });

    const closed = new Promise((resolve) => held[0].socket.once('close', resolve));
    held[0].socket.close();
    await closed;
    let again = connect('198.51.100.7');
    // The server sees the close a moment after the client does.
    for (let i = 0; i < 50 && 'status' in (await again.outcome); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      again = connect('198.51.100.7');
    }
    expect(await again.outcome).toEqual({ open: true });
    for (const { socket } of [...held, neighbour, again]) socket.close();
  });
});
