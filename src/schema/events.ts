/** The durable event log as a live subscription: `groupEvents(groupId, after)`. */
import type { IncomingMessage } from 'node:http';
import type { GroupEvent as GroupEventRow } from '../generated/prisma/client.ts';
import { builder } from '../builder.ts';
import { actorAlwaysNamed, canSeeEventActor, canSeeGroup } from '../auth/policy.ts';
import { viewerRole } from '../auth/rules.ts';
import { badInput, forbidden, unauthenticated } from '../errors.ts';
import { createLoaders } from '../loaders.ts';
import type { Context } from '../context.ts';
import { RESUMED } from '../pubsub.ts';
import { LOG_PAGE, nextReplayWindow, REPLAY_WINDOW, type LogEvent } from '../live/audience.ts';
import { whenExpired } from '../live/limits.ts';
import { clientAddress } from '../limits.ts';
import { GroupEventType, GroupRole } from './enums.ts';
import { Group } from './groups.ts';

export const GroupEvent = builder.objectRef<LogEvent>('GroupEvent').implement({
  description:
    'One change from the durable event log. Events come in log order; ids are opaque (pass the last one received ' +
    'as `after` to resume).',
  fields: (t) => ({
    id: t.id({ resolve: (event, _args, ctx) => ctx.audience.ids.of(event) }),
    type: t.expose('type', { type: GroupEventType }),
    group: t.field({
      type: Group,
      nullable: true,
      description: 'The group now, while it exists and the viewer may see it.',
      resolve: async (event, _args, ctx) => {
        const [group, role] = await Promise.all([ctx.loaders.group.load(event.groupId), viewerRole(ctx, event.groupId)]);
        return group && canSeeGroup(ctx.viewer, group, role) ? group : null;
      },
    }),
    groupId: t.id({ resolve: (event) => event.groupId }),
    memberId: t.exposeID('memberId', { nullable: true }),
    role: t.expose('role', { type: GroupRole, nullable: true }),
    occurredAt: t.expose('occurredAt', { type: 'DateTime' }),
    actorId: t.id({
      nullable: true,
      description:
        'Who made the change: shown to those who may read the member list (and to the actor and the member the ' +
        'event is about); null for others.',
      resolve: async (event, _args, ctx) => {
        // A replay's statement has decided it; no lookups are needed for some others.
        if (event.actorDecided || actorAlwaysNamed(ctx.viewer, event)) return event.actorId;
        // A live event: the same reads as the decision to deliver the event (shared by its subscribers, deleted groups included).
        const { facts, role } = await ctx.audience.standing(ctx.viewer, event);
        return canSeeEventActor(ctx.viewer, event, facts, role) ? event.actorId : null;
      },
    }),
  }),
});

function parseEventId(ctx: Context, value: string): number {
  const id = ctx.audience.ids.decode(value);
  if (id === null) throw badInput('"after" must be the id of an event you received, or "0" for the whole log.');
  return id;
}

/** The graphql-ws connection an operation runs on (http.ts puts its socket in the context); none over HTTP/SSE. */
const webSocketOf = (ctx: Context): object | null => (ctx as { socket?: object }).socket ?? null;

/**
 * Whose subscriptions count together, and how many they may hold: a signed-in viewer's across connections
 * and transports; anonymous viewers' by client address (the rate limit's address), over SSE and WebSocket.
 */
function slotOwner(ctx: Context): { owner: string; limit: number } {
  if (ctx.viewer.memberId !== null) return { owner: `member:${ctx.viewer.memberId}`, limit: ctx.config.live.maxSubscriptionsPerViewer };
  const address = clientAddress(ctx as Context & { request?: Request; req?: IncomingMessage }, ctx.config.limits.trustProxy);
  return { owner: `address:${address}`, limit: ctx.config.live.maxAnonymousSubscriptionsPerAddress };
}

/** Read from a stream when the viewer's token has expired: the subscription's last result, then its end. */
const TOKEN_EXPIRED = Symbol('token expired');
type Delivery = LogEvent | typeof TOKEN_EXPIRED;

/**
 * The events one subscription receives: the log after `startId` up to `replayTo` (the replay, filtered by the
 * database: Audience.readReplay), then live events, each once, in log order, and only those the audience
 * policy lets the viewer receive when it is delivered.
 *
 * Event ids are assigned in commit order (SQLite has one writer at a time; on PostgreSQL write() holds an
 * advisory lock from the first event to the commit), so once an event has committed every lower id has
 * committed or never will. The stream keeps `lastId`, the newest id it has accounted for (delivered or not
 * for this viewer): a live event at or below it is a duplicate; one further than the next id means the bus
 * has not brought (yet, or at all: another instance, Redis) what lies between, which is read from the log
 * first; after a Redis reconnection, the stream reads the log from `lastId` on.
 */
function groupEventStream(
  ctx: Context,
  groupId: string | null,
  startId: number,
  replayTo: number,
  live: AsyncIterableIterator<GroupEventRow | typeof RESUMED>,
  release: () => void,
): AsyncIterableIterator<Delivery> {
  // The subscription's context lives as long as it does; each event is resolved (GroupEvent.group and the
  // Group fields under it) with fresh loaders, or it would show the group and the viewer's role as they were
  // at the first event.
  const fresh = (event: GroupEventRow) => {
    ctx.loaders = createLoaders(ctx.db, ctx.viewer);
    return event;
  };
  let lastId = startId;
  let expired = false;

  /** Delivers the log's events with `lastId < id < before` (before null: up to now), moving `lastId`. */
  async function* fromLog(before: number | null): AsyncGenerator<GroupEventRow> {
    for (;;) {
      const page = await ctx.audience.readLog(groupId, lastId, before);
      for (const [i, event] of page.entries()) {
        if (expired) return;
        // A long replay lets the process's other work through now and then.
        if (i % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
        lastId = event.id;
        if (await ctx.audience.allows(ctx.viewer, event)) yield fresh(event);
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
      const page = await ctx.audience.readReplay(ctx.viewer, groupId, from, to);
      // A page was decided at one moment: its events are resolved with the same fresh loaders, so the events
      // of one group read that group (and the viewer's role there) once per page, not once per event.
      ctx.loaders = createLoaders(ctx.db, ctx.viewer);
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
        if (result.done) break; // cut off (backlog full), the token expired, or the client left
        const event = result.value;
        if (event === RESUMED) {
          yield* fromLog(null);
          continue;
        }
        if (event.id <= lastId) continue;
        if (event.id > lastId + 1) yield* fromLog(event.id);
        lastId = event.id;
        if (groupId !== null && event.groupId !== groupId) continue;
        if (await ctx.audience.allows(ctx.viewer, event, true)) yield fresh(event);
      }
      if (expired) yield TOKEN_EXPIRED;
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

builder.subscriptionFields((t) => ({
  groupEvents: t.field({
    type: GroupEvent,
    description:
      'Changes to one group (groupId) or to every group whose content the viewer may see. With `after`, first ' +
      'replays what the viewer missed from the log, then continues live, with no gap and no duplicate; ' +
      '`after: "0"` replays the whole history the viewer may receive.',
    args: { groupId: t.arg.id(), after: t.arg.id() },
    // Not a generator: a bad `after` or one subscription too many is this operation's error, raised before
    // anything listens or reads the log.
    subscribe: async (_root, args, ctx) => {
      const afterId = args.after != null ? parseEventId(ctx, args.after) : null;
      const { owner, limit } = slotOwner(ctx);
      const release = ctx.audience.slots.take(owner, limit);
      if (!release) {
        throw forbidden(`You have reached the limit of ${limit} open live subscriptions. Close one before opening another.`);
      }
      let live: ReturnType<typeof ctx.events.subscribe<'groupEvent'>> | null = null;
      try {
        // "From now on" is "after the newest event": read before listening, and the log read that follows
        // listening catches whatever commits in between.
        // An `after` beyond the newest event is taken as the newest: refusing it would tell anyone the log's
        // newest id, and so when groups they cannot see change.
        const newest = (await ctx.db.groupEvent.findFirst({ orderBy: { id: 'desc' }, select: { id: true } }))?.id ?? 0;
        live = ctx.events.subscribe('groupEvent');
        await ctx.events.listening('groupEvent');
        return groupEventStream(ctx, args.groupId ?? null, Math.min(afterId ?? newest, newest), newest, live, release);
      } catch (error) {
        release();
        await live?.return?.();
        throw error;
      }
    },
    resolve: (event) => {
      if (event === TOKEN_EXPIRED) throw unauthenticated('Your token has expired. Sign in again, then resume with `after`.');
      return event;
    },
  }),
}));
