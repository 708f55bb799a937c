/** The per-request slot of src/observability/request-state.ts, the logs' and metrics' state of a request. */
import { describe, expect, it } from 'vitest';
import { requestSlot } from '../src/observability/request-state.ts';

describe('requestSlot', () => {
  it('keeps a value on its object, for that object only', () => {
    const slot = requestSlot<{ n: number }>('test');
    const a = {};
    const b = {};
    expect(slot.get(a)).toBeUndefined();
    const value = { n: 1 };
    expect(slot.set(a, value)).toBe(value);
    expect(slot.get(a)).toBe(value);
    expect(slot.get(b)).toBeUndefined();
    slot.set(a, { n: 2 });
    expect(slot.get(a)).toEqual({ n: 2 });
  });

  it('is invisible where the object is listed or serialized', () => {
    const slot = requestSlot<number>('hidden');
    const request = { url: '/graphql' };
    slot.set(request, 42);
    expect(Object.keys(request)).toEqual(['url']);
    expect(Object.entries(request)).toEqual([['url', '/graphql']]);
    expect(JSON.stringify(request)).toBe('{"url":"/graphql"}');
  });

  it('two slots on one object do not see each other', () => {
    const logs = requestSlot<string>('log');
    const metrics = requestSlot<string>('metrics');
    const request = {};
    logs.set(request, 'log');
    metrics.set(request, 'metrics');
    expect(logs.get(request)).toBe('log');
    expect(metrics.get(request)).toBe('metrics');
  });

  it('falls back to a WeakMap for an object that cannot take a property', () => {
    const slot = requestSlot<string>('frozen');
    const frozen = Object.freeze({});
    expect(slot.set(frozen, 'x')).toBe('x');
    expect(slot.get(frozen)).toBe('x');
    expect(Object.getOwnPropertySymbols(frozen)).toEqual([]);
  });

  it('works on the Fetch Requests the logs and metrics key their state by', () => {
    const slot = requestSlot<string>('request');
    const request = new Request('http://gateway.test/graphql', { method: 'POST' });
    slot.set(request, 'state');
    expect(slot.get(request)).toBe('state');
    expect(slot.get(new Request('http://gateway.test/graphql'))).toBeUndefined();
  });
});
