import { getEventListeners } from 'node:events';
import type { GroupEvent } from './generated/prisma/client.ts';

/**
 * The one typed topic map of the gateway. `groupEvent` carries rows of the durable GroupEvent log, published
 * only after the transaction that wrote them has committed.
 */
export type Topics = { groupEvent: [event: GroupEvent] };

/**
 * Events one subscriber may have waiting. A subscriber further behind (a client that stopped reading) is
 * cut off: it gets what it has waiting, then its stream ends, and it resumes with `after` from the durable
 * log. Without a bound the backlog grows without limit (Yoga's createPubSub throws past 1024 waiting
 * events, from inside publish, which crashes the process).
 */
export const MAX_BACKLOG = 1_000;

/** Publish/subscribe within this process. */
export function createEventBus() {
  const target = new EventTarget();
  return {
    publish<K extends keyof Topics>(topic: K, ...[payload]: Topics[K]) {
      target.dispatchEvent(new CustomEvent(topic, { detail: payload }));
    },

    /** Listens from this call on (not from the first `next()`), so a caller can listen before reading. */
    subscribe<K extends keyof Topics>(topic: K): AsyncIterableIterator<Topics[K][0]> {
      const backlog: Topics[K][0][] = [];
      let waiting: (() => void)[] = [];
      let ended = false;
      const wake = () => {
        const woken = waiting;
        waiting = [];
        for (const resolve of woken) resolve();
      };
      const stop = () => {
        ended = true;
        target.removeEventListener(topic, listener);
        wake();
      };
      function listener(event: Event) {
        if (backlog.length >= MAX_BACKLOG) return stop();
        backlog.push((event as CustomEvent).detail);
        wake();
      }
      target.addEventListener(topic, listener);
      return {
        [Symbol.asyncIterator]() {
          return this;
        },
        async next() {
          while (backlog.length === 0 && !ended) await new Promise<void>((resolve) => waiting.push(resolve));
          return backlog.length > 0 ? { value: backlog.shift()!, done: false } : { value: undefined, done: true };
        },
        async return() {
          backlog.length = 0;
          stop();
          return { value: undefined, done: true };
        },
      };
    },

    /** How many live subscriptions listen to `topic` now (for monitoring, and tests that check for leaks). */
    listenerCount: (topic: keyof Topics) => getEventListeners(target, topic).length,
  };
}

export type EventBus = ReturnType<typeof createEventBus>;
