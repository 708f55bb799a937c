/**
 * The stream behind the `groupEvents` subscription (schema/events.ts): the replay from the log, read a window
 * at a time, then live events with the gaps filled from the log, the end at the token's expiry (SSE), and
 * the release of the subscription's slot and listener when it ends or the client leaves.
 */
import type { GroupEvent as GroupEventRow } from '../generated/prisma/client.ts';
import type { Context } from '../context.ts';
import { createLoaders } from '../loaders.ts';
import { RESUMED } from '../pubsub.ts';
import { LOG_PAGE, nextReplayWindow, REPLAY_WINDOW, type LogEvent } from './audience.ts';
import { whenExpired } from './subscription-slots.ts';
import { endWithoutComplete } from './stream-end.ts';

/** The graphql-ws connection an operation runs on (http.ts puts its socket in the context); none over HTTP/SSE. */
const webSocketOf = (ctx: Context): object | null => (ctx as { socket?: object }).socket ?? null;

/**
 * How long a subscription waits out a log it cannot read (the database restarting, failing over, out of
 * connections) before it ends with the error. Ended at the first failure, a subscription that had no id to
 * resume from yet (it subscribed without `after` and had received nothing) lost what committed meanwhile.
 */
export const LOG_READ_PATIENCE_MS = 60_000;
/** The first wait before reading again, doubled after each failure up to the last. */
const RETRY_DELAYS_MS = { first: 250, last: 5_000 };

/** Read from a stream when the viewer's token has expired: the subscription's last result, then its end. */
export const TOKEN_EXPIRED = Symbol('token expired');
type Delivery = LogEvent | typeof TOKEN_EXPIRED;

/**
 * The events one subscription receives: the log after `startId` up to `replayTo` (the replay, filtered by the
 * database: Audience.readReplay), then live events, each once, in log order, and only those the audience
 * policy lets the viewer receive when it is delivered.
 *
 * Event ids are assigned in commit order (SQLite has one writer at a time; on PostgreSQL writers of events
 * take turns, an advisory lock from their event rows to their commit: domain/transaction.ts), so once an event has committed every lower id has
 * committed or never will. The stream keeps `lastId`, the newest id it has accounted for (delivered or not
 * for this viewer): a live event at or below it is a duplicate; one further than the next id means the bus
 * has not brought (yet, or at all: another instance, Redis) what lies between, which is read from the log
 * first; after a Redis reconnection, the stream reads the log from `lastId` on.
 */
export function groupEventStream(
  ctx: Context,
  groupId: string | null,
  startId: number,
  replayTo: number,
  live: AsyncIterableIterator<GroupEventRow | typeof RESUMED>,
  release: () => void,
  options: { prefetchGroups?: boolean } = {},
): AsyncIterableIterator<Delivery> {
  // The subscription's context lives as long as it does; each event is resolved (GroupEvent.group and the
  // Group fields under it) with fresh loaders, or it would show the group and the viewer's role as they were
  // at the first event. The viewer's standing in the event's group is read with every other subscriber's
  // (Audience.standingNow), not once per subscriber.
  const fresh = (event: GroupEventRow) => {
    ctx.loaders = createLoaders(ctx.db, ctx.viewer, { groupId: event.groupId, load: () => ctx.audience.standingNow(ctx.viewer, event) });
    return event;
  };
  let lastId = startId;
  let expired = false;
  let finished = false;

  /**
   * A read of the log (or of who may receive an event) for this subscription, read again while it fails, for
   * up to LOG_READ_PATIENCE_MS: the subscription stays open through a database outage and carries on from
   * `lastId`, so nothing committed meanwhile is skipped. Not once the subscription has ended.
   */
  async function patiently<T>(read: () => Promise<T>): Promise<T> {
    const started = Date.now();
    for (let delay = RETRY_DELAYS_MS.first; ; delay = Math.min(delay * 2, RETRY_DELAYS_MS.last)) {
      try {
        return await read();
      } catch (error) {
        if (finished || expired || Date.now() - started + delay > LOG_READ_PATIENCE_MS) throw error;
        // Spread out: after a blip, every subscription of the process would otherwise read again at once.
        await new Promise((resolve) => setTimeout(resolve, delay * (0.5 + Math.random())));
        if (finished || expired) throw error;
      }
    }
  }

  /** Delivers the log's events with `lastId < id < before` (before null: up to now), moving `lastId`. */
  async function* fromLog(before: number | null): AsyncGenerator<GroupEventRow> {
    for (;;) {
      const page = await patiently(() => ctx.audience.readLog(groupId, lastId, before));
      for (const [i, event] of page.entries()) {
        if (expired) return;
        // A long replay lets the process's other work through now and then.
        if (i % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
        lastId = event.id;
        if (await patiently(() => ctx.audience.allows(ctx.viewer, event))) yield fresh(event);
      }
      if (page.length < LOG_PAGE) return;
    }
  }

  // A WebSocket is closed (4401) when its token expires, which ends its subscriptions. SSE has no close
  // code: the stream tells the client with a last UNAUTHENTICATED result, then ends.
  const cancelExpiry = whenExpired(webSocketOf(ctx) ? null : ctx.viewer.expiresAt, () => {
    expired = true;
    void live.return?.();
  });
  const finish = async () => {
    finished = true;
    cancelExpiry();
    release();
    await live.return?.();
  };
  // An SSE client that leaves ends its subscription, even one it left while the subscription was being set up:
  // Yoga then never reads the stream (nor ends it), and the slot and listener would stay for good.
  const signal = (ctx as { request?: Request }).request?.signal;
  if (signal?.aborted) void finish();
  else signal?.addEventListener('abort', () => void finish(), { once: true });

  /**
   * Delivers the replay: the events with `lastId < id <= replayTo` the viewer may receive, moving `lastId`,
   * read a window of ids at a time (REPLAY_WINDOW).
   */
  async function* replay(): AsyncGenerator<LogEvent> {
    let window = REPLAY_WINDOW;
    while (lastId < replayTo) {
      const from = lastId;
      const to = Math.min(replayTo, from + window);
      const page = await patiently(() => ctx.audience.readReplay(ctx.viewer, groupId, from, to));
      // A page was decided at one moment: its events are resolved with the same fresh loaders, so the events
      // of one group read that group (and the viewer's role there) once per page, not once per event.
      ctx.loaders = createLoaders(ctx.db, ctx.viewer);
      // Each event is resolved on its own, so its `group` would be read alone: a statement or two per group
      // the page names. When the subscription selects `group`, the page's groups are read at once.
      if (options.prefetchGroups && page.length > 0) {
        const groupIds = [...new Set(page.map((event) => event.groupId))];
        await Promise.all([ctx.loaders.group.loadMany(groupIds), ctx.loaders.viewerStanding.loadMany(groupIds)]);
      }
      for (const [i, event] of page.entries()) {
        if (expired) return;
        if (i % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
        lastId = event.id;
        yield event;
      }
      const full = page.length === LOG_PAGE;
      if (!full) lastId = to; // the window is read to its end
      window = nextReplayWindow(window, { full, span: lastId - from });
    }
  }

  async function* events(): AsyncGenerator<Delivery> {
    try {
      yield* replay();
      // Then what committed after the replay's end and before listening began (usually nothing).
      yield* fromLog(null);
      for (;;) {
        const result = await live.next();
        if (result.done) {
          // Cut off (it fell too far behind): its client is to resume, so an SSE stream ends without its
          // `complete` (live/stream-end.ts). Else the token expired, or the client left.
          if (!expired && !finished) endWithoutComplete((ctx as { res?: object }).res);
          break;
        }
        const event = result.value;
        if (event === RESUMED) {
          yield* fromLog(null);
          continue;
        }
        if (event.id <= lastId) continue;
        if (event.id > lastId + 1) yield* fromLog(event.id);
        lastId = event.id;
        if (groupId !== null && event.groupId !== groupId) continue;
        // Asked directly, and through patiently (a closure and a call per delivery) only once it failed: this
        // runs for every subscriber of every live event.
        let allowed: boolean;
        try {
          allowed = await ctx.audience.allows(ctx.viewer, event, true);
        } catch {
          allowed = await patiently(() => ctx.audience.allows(ctx.viewer, event, true));
        }
        if (allowed) yield fresh(event);
      }
      if (expired) yield TOKEN_EXPIRED;
    } catch (error) {
      // A read given up on because the token expired meanwhile (patiently): the client is told that, as any
      // expiry, not of the database's failure.
      if (!expired) throw error;
      yield TOKEN_EXPIRED;
    } finally {
      await finish();
    }
  }

  /**
   * A subscription to one group ends with that group's deletion, once the subscriber has received it (members
   * at the time and Groups Managers): the group can have no other event. Those who do not receive it (the group
   * was not theirs to see) are not told this way either: their stream stays open and quiet, as for a group
   * made secret.
   */
  async function* untilDeleted(source: AsyncGenerator<Delivery>): AsyncGenerator<Delivery> {
    for await (const delivery of source) {
      yield delivery;
      if (delivery !== TOKEN_EXPIRED && delivery.type === 'GROUP_DELETED' && delivery.groupId === groupId) return;
    }
  }

  const stream = groupId === null ? events() : untilDeleted(events());
  // An async generator waiting for its next event cannot be returned until that event comes (and for a
  // subscription nothing reaches, it never does). Ending the live feed first wakes it, so a client that
  // leaves releases its listener (and its slot) at once.
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    next: () => stream.next(),
    return: async (value?: unknown) => {
      await finish();
      return stream.return(value as undefined);
    },
    throw: async (error?: unknown) => {
      await finish();
      return stream.throw(error);
    },
  };
}
