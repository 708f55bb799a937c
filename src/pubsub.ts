/**
 * The event bus: publish after commit, subscribe per live subscription. In-process by default; with a Redis
 * URL, events travel through Redis pub/sub (@graphql-yoga/redis-event-target) so every gateway instance hears
 * every instance's events. Either way the bus may lose events (Redis down, a subscriber cut off): the durable
 * event log in the database is the source of truth, and subscriptions fill what they missed from it.
 */
import { setMaxListeners } from 'node:events';
import { Redis } from 'ioredis';
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import type { GroupEvent } from './generated/prisma/client.ts';

/**
 * The one typed topic map of the gateway. `groupEvent` carries rows of the durable GroupEvent log, published
 * only after the transaction that wrote them has committed.
 */
export type Topics = { groupEvent: [event: GroupEvent] };

/**
 * Events one subscriber may have waiting, by default (SUBSCRIPTION_BACKLOG). Without a bound the backlog grows
 * without limit (Yoga's createPubSub throws past 1024 waiting events, from inside publish, which crashes the
 * process). A subscriber that falls further behind drops what it has waiting and reads the same events from
 * the durable log instead (RESUMED), at its own pace: one write of many events (a group opened with a
 * thousand pending requests) does not end anyone's subscription. One that has read nothing for
 * STALLED_AFTER_MS since it last fell behind has stopped reading: it is cut off (its stream ends, and its
 * client resumes with `after`).
 */
export const MAX_BACKLOG = 1_000;
export const STALLED_AFTER_MS = 10_000;

/**
 * Read from a subscription, between events, when the bus may have lost events on the way: Redis was
 * unreachable and is back. The subscriber then fills from the log after the last event it has.
 */
export const RESUMED = Symbol('resumed');

export interface EventBusOptions {
  /** REDIS_URL: carry events through Redis pub/sub. Without it, events stay in this process. */
  redisUrl?: string | null;
  /** Events one subscriber may have waiting before it reads from the log instead (default MAX_BACKLOG). */
  backlog?: number;
  /** How long a subscriber that fell behind may read nothing before it is cut off (default STALLED_AFTER_MS). */
  stalledAfterMs?: number;
  /** Where the bus reports Redis becoming unreachable and coming back (default: console.warn). */
  log?: (message: string) => void;
}

/**
 * Subscribers woken per turn of the event loop when an event arrives (the rest in the following turns). An
 * event reaching 10,000 subscribers woke them all at once: each then holds its delivery's state (its lookup,
 * its execution, its message) until every other has reached the same step, and that state outlived young
 * collections by the megabyte, to be collected again in the old generation. In slices, fewer deliveries are
 * in flight at once and less of their state outlives a young collection (bench/README.md, round 15). 500 is
 * also the audience's lookup batch (src/live/audience.ts), so a slice costs one membership statement.
 */
export const WAKE_SLICE = 500;

/**
 * Runs wake-ups WAKE_SLICE at a time: the first slice right after the current task, each next one after
 * the event loop's other work (setImmediate), so a large audience does not hold everything else up either.
 * Written here because it is the bus's own scheduling: no event or queue library decides when a listener's
 * consumer resumes.
 */
function createWaker(slice = WAKE_SLICE) {
  const queue: (() => void)[] = [];
  let scheduled = false;
  const drain = () => {
    for (const wake of queue.splice(0, slice)) wake();
    if (queue.length > 0) setImmediate(drain);
    else scheduled = false;
  };
  return (wake: () => void) => {
    queue.push(wake);
    if (!scheduled) {
      scheduled = true;
      queueMicrotask(drain);
    }
  };
}

/** The Redis channel on which an instance that lost publishes asks every instance to fill from the log. */
const RESYNC = 'groups-gateway:resync';

/** What each subscription registers, so a reconnect can tell it events may have been lost. */
interface Subscriber {
  topic: keyof Topics;
  resume(): void;
  /** Ends the subscription: what it has waiting is still read, then it is done. */
  end(): void;
}

/** The one place dates come back from JSON: a GroupEvent row has `occurredAt`. */
const reviveDates = (key: string, value: unknown) => (key === 'occurredAt' && typeof value === 'string' ? new Date(value) : value);

/**
 * The event target sends commands without waiting for their answers. One that fails (Redis gone for too long,
 * or the bus closing) must not become an unhandled rejection, which ends the process; its events are in the log.
 */
function ignoreFailures(client: Redis, ...commands: ('publish' | 'subscribe' | 'unsubscribe')[]) {
  for (const command of commands) {
    const send = client[command].bind(client) as (...args: unknown[]) => Promise<unknown>;
    Object.assign(client, {
      [command]: (...args: unknown[]) => {
        const answer = send(...args);
        answer.catch(() => undefined);
        return answer;
      },
    });
  }
}

/**
 * Redis as the bus's event target: one client publishes, one subscribes (a subscribing connection can do
 * nothing else). `topics()` are those with subscribers now; `onResubscribed` runs after every (re)connection.
 */
function redisTransport(url: string, log: (message: string) => void, topics: () => string[], onResubscribed: () => void) {
  // Told once per outage (ioredis reports every reconnection attempt), without connection details: the URL
  // may hold a password.
  let outage = false;
  const onError = (error: Error) => {
    if (outage) return;
    outage = true;
    const reason = (error as { code?: string }).code ?? error.message;
    log(`Live events: Redis is unreachable (${reason}); retrying. Subscribers catch up from the event log once it is back.`);
  };
  const onReady = () => {
    if (outage) log('Live events: Redis is reachable again.');
    outage = false;
  };
  // Publishes made while Redis is down wait in ioredis's offline queue for a while (maxRetriesPerRequest
  // reconnection attempts, about 10 s), then fail; subscriptions are kept across any outage.
  const publisher = new Redis(url, { maxRetriesPerRequest: 20 }).on('error', onError).on('ready', onReady);
  const subscriber = new Redis(url, { maxRetriesPerRequest: null }).on('error', onError).on('ready', onReady);
  ignoreFailures(subscriber, 'subscribe', 'unsubscribe');

  // A publish that failed lost its event for every instance, those whose own connection to Redis never
  // broke too: they have no reconnection to fill from the log on, and would show the event only after the
  // next one anywhere (event-stream.ts sees the gap then), minutes later on a quiet site. So once this
  // instance reaches Redis again it says so on RESYNC, and every instance has its subscriptions fill from
  // the log (this one's as well).
  let lostPublishes = false;
  const publish = publisher.publish.bind(publisher) as (channel: string, message: string) => Promise<number>;
  const publishOrNote = (channel: string, message: string) => {
    const answer = publish(channel, message);
    answer.catch(() => (lostPublishes = true));
    return answer;
  };
  Object.assign(publisher, { publish: publishOrNote });
  publisher.on('ready', () => {
    if (!lostPublishes) return;
    lostPublishes = false;
    publishOrNote(RESYNC, '1');
  });
  subscriber.on('message', (channel: string) => {
    if (channel === RESYNC) onResubscribed();
  });

  const target = createRedisEventTarget<CustomEvent>({
    publishClient: publisher,
    subscribeClient: subscriber,
    serializer: { stringify: (message) => JSON.stringify(message), parse: (message) => JSON.parse(message, reviveDates) },
  });

  subscriber.on('ready', () => {
    // Events published while the connection was down are lost to this instance. ioredis subscribes again by
    // itself but tells of 'ready' before it does: subscribe here too and wait for Redis to confirm, so that
    // nothing published from now on is missed, then have every subscription fill from the log.
    const channels = topics();
    const resubscribed = channels.length ? onResubscribed : () => undefined;
    subscriber.subscribe(RESYNC, ...channels).then(resubscribed, () => undefined); // failed: the next 'ready' retries
  });

  return {
    target,
    /**
     * Resolves once Redis has confirmed this connection's subscription to `topic` (the event target subscribes
     * without waiting). While Redis is unreachable it does not wait: the reconnection fills from the log.
     */
    async listening(topic: string): Promise<void> {
      if (subscriber.status !== 'ready') return;
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, 2_000)));
      await Promise.race([subscriber.subscribe(topic).catch(() => undefined), late]);
      clearTimeout(timer);
    },
    /** 'ok', or what is wrong (for /ready). */
    async check(): Promise<string> {
      if (publisher.status !== 'ready' || subscriber.status !== 'ready') return 'unreachable';
      const timeout = new Promise<string>((resolve) => setTimeout(() => resolve('not answering'), 1_000).unref());
      return Promise.race([publisher.ping().then(() => 'ok', () => 'unreachable'), timeout]);
    },
    close() {
      publisher.disconnect();
      subscriber.disconnect();
    },
  };
}

/** Publish/subscribe: within this process, or between instances through Redis. */
export function createEventBus(options: EventBusOptions = {}) {
  const maxBacklog = options.backlog ?? MAX_BACKLOG;
  const stalledAfterMs = options.stalledAfterMs ?? STALLED_AFTER_MS;
  const subscribers = new Set<Subscriber>();
  const redis = options.redisUrl
    ? redisTransport(
        options.redisUrl,
        options.log ?? ((message) => console.warn(message)),
        () => [...new Set([...subscribers].map((subscriber) => subscriber.topic))],
        () => {
          for (const subscriber of subscribers) subscriber.resume();
        },
      )
    : null;
  const target: Pick<EventTarget, 'addEventListener' | 'removeEventListener' | 'dispatchEvent'> = redis?.target ?? inProcessTarget();
  const wakeSoon = createWaker();

  return {
    /** 'redis' when events travel between instances, 'memory' when they stay in this process. */
    transport: redis ? ('redis' as const) : ('memory' as const),

    publish<K extends keyof Topics>(topic: K, ...[payload]: Topics[K]) {
      target.dispatchEvent(new CustomEvent(topic, { detail: payload }));
    },

    /**
     * Listens from this call on (not from the first `next()`), so a caller can listen before reading the log.
     * Yields the topic's payloads in the order they arrive, and RESUMED where it may have missed some: after a
     * Redis reconnection, and in place of a backlog that overflowed.
     */
    subscribe<K extends keyof Topics>(topic: K): AsyncIterableIterator<Topics[K][0] | typeof RESUMED> {
      const backlog: (Topics[K][0] | typeof RESUMED)[] = [];
      let waiting: (() => void)[] = [];
      let ended = false;
      const wake = () => {
        const woken = waiting;
        waiting = [];
        for (const resolve of woken) resolve();
      };
      // An event wakes the subscriber in its slice (one wake-up queued at a time, however many events came).
      let wakeQueued = false;
      const wakeForEvent = () => {
        wakeQueued = false;
        wake();
      };
      const self: Subscriber = {
        topic,
        resume() {
          if (backlog.at(-1) === RESUMED) return;
          backlog.push(RESUMED);
          wake();
        },
        end: () => stop(),
      };
      const stop = () => {
        ended = true;
        subscribers.delete(self);
        target.removeEventListener(topic, listener);
        wake();
      };
      // When the subscriber last fell behind without reading since (0: it has read since, or never fell behind).
      let behindSince = 0;
      function listener(event: Event) {
        if (backlog.length >= maxBacklog) {
          const now = Date.now();
          if (behindSince !== 0 && now - behindSince >= stalledAfterMs) return stop();
          if (behindSince === 0) behindSince = now;
          // What waits (this event included) is in the log: the subscriber reads it there, after its last event.
          backlog.length = 0;
          backlog.push(RESUMED);
          return;
        }
        backlog.push((event as CustomEvent).detail);
        if (waiting.length > 0 && !wakeQueued) {
          wakeQueued = true;
          wakeSoon(wakeForEvent);
        }
      }
      subscribers.add(self);
      target.addEventListener(topic, listener);
      return {
        [Symbol.asyncIterator]() {
          return this;
        },
        async next() {
          while (backlog.length === 0 && !ended) await new Promise<void>((resolve) => waiting.push(resolve));
          if (backlog.length === 0) return { value: undefined, done: true };
          behindSince = 0;
          return { value: backlog.shift()!, done: false };
        },
        async return() {
          backlog.length = 0;
          stop();
          return { value: undefined, done: true };
        },
      };
    },

    /**
     * Resolves once events published from now on (by any instance) reach this process's subscribers of
     * `topic`: at once in-process; through Redis, once it has confirmed the subscription.
     */
    listening: async (topic: keyof Topics): Promise<void> => redis?.listening(topic),

    /** How many live subscriptions listen to `topic` now (for monitoring, and tests that check for leaks). */
    listenerCount: (topic: keyof Topics) => [...subscribers].filter((subscriber) => subscriber.topic === topic).length,

    /** Readiness of the transport: 'ok' or what is wrong; null in-process (nothing to check). */
    check: async (): Promise<string | null> => (redis ? redis.check() : null),

    /**
     * Ends every live subscription (at shutdown): each delivers what it has waiting, then completes, so a
     * streaming client reads a proper end rather than a cut connection (an SSE stream's without its
     * `complete` event, so that its client resumes: src/http.ts, endsWithoutComplete).
     */
    endAll() {
      for (const subscriber of [...subscribers]) subscriber.end();
    },

    /** Disconnects from Redis (subscriptions still open end with the server's connections). */
    close: async () => redis?.close(),
  };
}

export type EventBus = ReturnType<typeof createEventBus>;

/**
 * The in-process bus: one listener per open subscription, so thousands on a busy instance. Node warns of a
 * "possible memory leak" past 10 listeners; here that many is the design (the subscription limits bound it),
 * so the warning is turned off for this target only.
 */
function inProcessTarget(): EventTarget {
  const target = new EventTarget();
  setMaxListeners(0, target);
  return target;
}
