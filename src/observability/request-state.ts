/**
 * State that lives exactly as long as one request (or one graphql-ws operation): kept on the request's
 * own object, under a symbol no one else holds, rather than in a WeakMap keyed by that object.
 *
 * Written by hand because the reason is a property of V8's garbage collector, not of any library: its
 * young-generation collector (the scavenger) copies the values of a WeakMap whose keys died since the last
 * collection as if they were live, and drops those entries only afterwards. With an entry per request, the
 * records of every request answered since the last collection were copied by each one: with logs and
 * metrics on, ~100 KB and 1.7 ms pauses per collection against 15 KB and 0.75 ms with the records kept on
 * the requests (bench/README.md, round 8). A property dies with its object.
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
