/**
 * How a subscription's events leave the server: the events of one turn of the event loop go to the socket
 * together (src/http.ts for SSE, src/live/ws.ts for graphql-ws), not one system call each. Counted on the
 * server's side of the real connection, where Node hands bytes to the kernel (net.Socket's _write and
 * _writev): a replay of 2,000 events took about 2,000 of them before, and most of the replay's time.
 */
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ok, testEventIds } from './helpers/gateway.ts';
import { anonymous, manager } from './helpers/world.ts';
import { TRANSPORTS, startLiveGateway, type LiveGateway } from './helpers/live.ts';
import { writeBatch } from '../src/live/write-batch.ts';

const EVENTS = 2_000;

let gw: LiveGateway;
let groupId = '';

beforeAll(async () => {
  gw = await startLiveGateway();
  const group = await gw.db.group.create({ data: { name: 'Open hall', nameSearch: 'open hall', slug: 'open-hall', privacy: 'PUBLIC' } });
  groupId = group.id;
  await gw.db.groupEvent.createMany({
    data: Array.from({ length: EVENTS }, () => ({ type: 'GROUP_UPDATED' as const, groupId, groupPrivacy: 'PUBLIC' as const, actorId: 'host' })),
  });
});
afterEach(() => gw?.closeSubscriptions());
afterAll(() => gw?.close());

/** Counts the writes the server's sockets (those on its port) hand to the kernel while `run` runs. */
async function serverWrites(run: () => Promise<void>): Promise<number> {
  const socket = net.Socket.prototype as unknown as Record<'_write' | '_writev', (this: net.Socket, ...args: unknown[]) => void>;
  const original = { _write: socket._write, _writev: socket._writev };
  let writes = 0;
  for (const name of ['_write', '_writev'] as const) {
    socket[name] = function (this: net.Socket, ...args: unknown[]) {
      if (this.localPort === gw.server.port) writes++;
      return original[name].apply(this, args);
    };
  }
  try {
    await run();
  } finally {
    Object.assign(socket, original);
  }
  return writes;
}

describe.each(TRANSPORTS)('over %s', (transport) => {
  it(`a replay of ${EVENTS.toLocaleString('en')} events leaves in batches, every event in order`, async () => {
    const logIds = (await gw.db.groupEvent.findMany({ where: { groupId }, select: { id: true }, orderBy: { id: 'asc' } })).map((e) => e.id);
    let ids: (number | null)[] = [];
    const writes = await serverWrites(async () => {
      const sub = await gw.subscribe(anonymous, { groupId, after: '0', transport });
      ids = (await sub.events.take(logIds.length)).map((event) => testEventIds.decode(event.id));
      await sub.close();
    });
    expect(ids).toEqual(logIds);
    console.log(`${transport}: ${ids.length} events in ${writes} writes`);
    // A replay lets other work through every 50 events (live/event-stream.ts): a batch holds up to 50.
    expect(writes).toBeGreaterThan(0);
    expect(writes).toBeLessThan(EVENTS / 10);
  });

  it('a live event alone goes out at the end of its turn, without waiting for another', async () => {
    const sub = await gw.subscribe(anonymous, { groupId, transport }); // from the log's newest event on
    // A description of its own: an update that changes nothing writes no event.
    ok(await gw.as(manager)(`mutation($id: ID!, $d: String) { updateGroup(id: $id, input: { description: $d }) { id } }`, { id: groupId, d: `now, over ${transport}` }));
    const [event] = await sub.events.take(1, 2_000);
    expect(event.type).toBe('GROUP_UPDATED');
    expect(await sub.events.unreadAfter(100)).toEqual([]);
  });
});

describe('writeBatch', () => {
  const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

  it("corks at the first write of a turn and uncorks at its end, counting the turn's writes", async () => {
    const calls: string[] = [];
    const batch = writeBatch({ cork: () => calls.push('cork'), uncork: () => calls.push('uncork') });
    expect([batch.add(), batch.add(), batch.add()]).toEqual([1, 2, 3]);
    expect(calls).toEqual(['cork']);
    await nextTurn();
    expect(calls).toEqual(['cork', 'uncork']);
    expect(batch.add()).toBe(1); // a new turn counts anew
    await nextTurn();
    expect(calls).toEqual(['cork', 'uncork', 'cork', 'uncork']);
    await nextTurn();
    expect(calls).toHaveLength(4); // no writes, no corking
  });

  it("flush sends what the turn held back; the turn's later writes are held again", async () => {
    const calls: string[] = [];
    const batch = writeBatch({ cork: () => calls.push('cork'), uncork: () => calls.push('uncork') });
    batch.add();
    batch.flush();
    batch.flush(); // nothing held: nothing to do
    expect(batch.add()).toBe(2);
    expect(calls).toEqual(['cork', 'uncork', 'cork']);
    await nextTurn();
    expect(calls).toEqual(['cork', 'uncork', 'cork', 'uncork']);
  });
});
