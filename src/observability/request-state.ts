/**
 * State that lives exactly as long as one request (or one graphql-ws operation): kept on the request's
 * own object, under a symbol no one else holds, rather than in a WeakMap keyed by that object.
 *
 * Written by hand because the reason is a property of V8's garbage collector, not of any library: its
 * young-generation collector (the scavenger) treats the values of a WeakMap as live even when their key
 * has died, until a later collection removes the entry. With a WeakMap entry per request, every request
 * answered since the last scavenge was copied by it, and promoted to the old generation by the next: at
 * saturation each scavenge copied ~0.5 MB of dead records and paused the process for ~2 ms, which put the
 * p99 of a small query at 4-5x its p50 (bench/README.md, round 8). A property dies with its object.
 *
 * An object that cannot take a property (frozen or sealed) falls back to a WeakMap.
 */
export interface RequestSlot<T> {
  get(owner: object): T | undefined;
  set(owner: object, value: T): T;
}

export function requestSlot<T>(description: string): RequestSlot<T> {
  const key = Symbol(description);
  const fallback = new WeakMap<object, T>();
  return {
    get(owner) {
      return key in owner ? (owner as Record<symbol, T>)[key] : fallback.get(owner);
    },
    set(owner, value) {
      // A plain assignment (Object.defineProperty, to make it non-enumerable, cost ~1 µs a request). A
      // symbol key stays out of Object.keys, for…in and JSON; only a spread of the object would copy it.
      if (Object.isExtensible(owner) || key in owner) (owner as Record<symbol, T>)[key] = value;
      else fallback.set(owner, value);
      return value;
    },
  };
}
