/**
 * @whatwg-node/promise-helpers 1.3.2 (under Yoga and Envelop) answers every `handleMaybePromise` through a
 * chain of fake promises, even when nothing is asynchronous. patches/ gives it the synchronous path of its
 * 2.0 release (bench/README.md, round 10). This test runs both of the package's builds (ESM, loaded by Yoga
 * and Envelop, and CommonJS) through the cases the patch must keep as they were, and fails if a reinstall
 * dropped the patch.
 */
import { createRequire } from 'node:module';
import * as esm from '@whatwg-node/promise-helpers';
import { describe, expect, it } from 'vitest';

const cjs = createRequire(import.meta.url)('@whatwg-node/promise-helpers') as typeof esm;

describe.each([
  ['ESM', esm],
  ['CommonJS', cjs],
])('@whatwg-node/promise-helpers, %s build', (_build, { handleMaybePromise, iterateAsync }) => {
  it('is the patched build', () => {
    expect(handleMaybePromise.toString()).toContain('inputIsPromise');
  });

  it('answers a synchronous value synchronously, with the success output itself', () => {
    const output = { n: 2 };
    expect(handleMaybePromise(() => 1, (n) => (output.n === n + 1 ? output : null))).toBe(output);
  });

  it('routes a throwing input to onError, or throws it synchronously without one', () => {
    const boom = new Error('boom');
    expect(handleMaybePromise(() => { throw boom; }, () => 'no', (error) => (error === boom ? 'caught' : 'other'))).toBe('caught');
    expect(() => handleMaybePromise(() => { throw boom; }, () => 'no')).toThrow(boom);
  });

  it('does not route a throwing success output to onError (as Promise#then(success, onError))', () => {
    const boom = new Error('boom');
    let routed = false;
    const call = () => handleMaybePromise(() => 1, () => { throw boom; }, () => ((routed = true), 'caught'));
    expect(call).toThrow(boom);
    expect(routed).toBe(false);
  });

  it('answers a promise with a promise: resolved through onSuccess, rejected through onError', async () => {
    const resolved = handleMaybePromise(() => Promise.resolve(1), (n) => n + 1);
    expect(resolved).toBeInstanceOf(Promise);
    expect(await resolved).toBe(2);
    expect(await handleMaybePromise(() => Promise.reject(new Error('late')), () => 'no', (error: Error) => error.message)).toBe('late');
  });

  it('passes a promise returned by onSuccess through', async () => {
    const result = handleMaybePromise(() => 1, (n) => Promise.resolve(n * 10));
    expect(result).toBeInstanceOf(Promise);
    expect(await result).toBe(10);
  });

  it('still runs a finally callback, after success and after failure', () => {
    const ran: string[] = [];
    expect(handleMaybePromise(() => 1, (n) => n + 1, undefined, () => void ran.push('after success'))).toBe(2);
    expect(() => handleMaybePromise(() => { throw new Error('x'); }, () => 0, undefined, () => void ran.push('after failure'))).toThrow('x');
    expect(ran).toEqual(['after success', 'after failure']);
  });

  it('iterates synchronous hooks synchronously, collecting their results and stopping early on request', () => {
    const results: string[] = [];
    const seen: number[] = [];
    const done = iterateAsync([1, 2, 3, 4], (n, stop) => {
      seen.push(n);
      if (n === 3) stop();
      return `after ${n}`;
    }, results);
    expect(done).toBeUndefined();
    expect(seen).toEqual([1, 2, 3]);
    expect(results).toEqual(['after 1', 'after 2', 'after 3']);
  });

  it('waits for an asynchronous hook before the next one', async () => {
    const seen: string[] = [];
    const done = iterateAsync([1, 2], async (n) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      seen.push(`hook ${n}`);
    });
    seen.push('returned');
    await done;
    expect(seen).toEqual(['returned', 'hook 1', 'hook 2']);
  });
});
