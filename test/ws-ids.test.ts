/**
 * live/ws-ids.ts: each graphql-ws `subscribe` gets an id of its own, and what goes out about an operation the
 * client has completed is dropped. (The gateway-level test is in test/live-limits.test.ts.) No database.
 */
import { describe, expect, it } from 'vitest';
import { OperationIds } from '../src/live/ws-ids.ts';
import { TEST_DATABASE } from './helpers/database.ts';

const subscribe = (id: unknown) => JSON.stringify({ id, type: 'subscribe', payload: { query: 'subscription { groupEvents { id } }' } });
const idOf = (text: string) => JSON.parse(text).id as string;
const next = (internal: string, n: number) => JSON.stringify({ id: internal, type: 'next', payload: { data: { n } } });

describe.runIf(TEST_DATABASE === 'sqlite')('OperationIds', () => {
  it('gives a reused id a new operation, and drops what the completed one still sends', () => {
    const ids = new OperationIds();
    const first = idOf(ids.incoming(subscribe('A')));
    expect(ids.outgoing(next(first, 1))).toBe(JSON.stringify({ id: 'A', type: 'next', payload: { data: { n: 1 } } }));
    expect(idOf(ids.incoming(JSON.stringify({ id: 'A', type: 'complete' })))).toBe(first);
    const second = idOf(ids.incoming(subscribe('A')));
    expect(second).not.toBe(first);
    // The first operation's late event and its own `complete` are not the client's any more.
    expect(ids.outgoing(next(first, 2))).toBeNull();
    expect(ids.outgoing(JSON.stringify({ id: first, type: 'complete' }))).toBeNull();
    expect(ids.outgoing(next(second, 3))).toBe(JSON.stringify({ id: 'A', type: 'next', payload: { data: { n: 3 } } }));
    // The second ends on the server's side: its id is free, and nothing more of it goes out.
    expect(ids.outgoing(JSON.stringify({ id: second, type: 'complete' }))).toBe('{"id":"A","type":"complete"}');
    expect(ids.size).toBe(0);
    expect(ids.outgoing(next(second, 4))).toBeNull();
  });

  it('keeps the id of a subscribe whose id is in use, so graphql-ws refuses it (4409)', () => {
    const ids = new OperationIds();
    const first = idOf(ids.incoming(subscribe('A')));
    expect(idOf(ids.incoming(subscribe('A')))).toBe(first);
  });

  it('an error ends an operation as complete does; ids with quotes and escapes go back as they came', () => {
    const ids = new OperationIds();
    const odd = 'a"b\\c\u2028';
    const internal = idOf(ids.incoming(subscribe(odd)));
    const out = ids.outgoing(JSON.stringify({ id: internal, type: 'error', payload: [{ message: 'no' }] }));
    expect(JSON.parse(out!)).toEqual({ id: odd, type: 'error', payload: [{ message: 'no' }] });
    expect(ids.size).toBe(0);
  });

  it('leaves everything else to graphql-ws: other messages, ids that are not strings, JSON it cannot read', () => {
    const ids = new OperationIds();
    for (const text of ['{"type":"connection_init"}', '{"type":"ping"}', subscribe(7), '{"id":"Z","type":"complete"}', 'not json', 'null']) {
      expect(ids.incoming(text)).toBe(text);
    }
    for (const text of ['{"type":"connection_ack"}', '{"type":"pong"}']) expect(ids.outgoing(text)).toBe(text);
  });
});
