/** The durable event log as a live subscription: `groupEvents(groupId, after)`. */
import type { GroupEvent as GroupEventRow } from '../generated/prisma/client.ts';
import { builder } from '../builder.ts';
import { canSeeGroup } from '../auth/policy.ts';
import { viewerRole } from '../auth/rules.ts';
import { badInput } from '../errors.ts';
import { createLoaders } from '../loaders.ts';
import type { Context } from '../context.ts';
import { GroupEventType, GroupRole } from './enums.ts';
import { Group } from './groups.ts';

export const GroupEvent = builder.objectRef<GroupEventRow>('GroupEvent').implement({
  description: 'One change from the durable event log. Ids increase in log order.',
  fields: (t) => ({
    id: t.id({ resolve: (event) => String(event.id) }),
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
    actorId: t.exposeID('actorId', { nullable: true }),
  }),
});

function parseEventId(value: string): number {
  const id = Number(value);
  if (!Number.isSafeInteger(id) || id < 0) throw badInput('"after" must be the id of an event you received.');
  return id;
}

const REPLAY_BATCH = 500;
/** How long after the replay an event it read may still arrive live (publishing follows the commit at once). */
const REPLAY_OVERLAP_MS = 10_000;

/**
 * The events one subscription receives: with `afterId`, the log after it (replay, in log order), then live
 * events in the order they were committed, each once, and only those the audience policy lets the viewer
 * receive when it is delivered.
 */
function groupEventStream(ctx: Context, groupId: string | null, afterId: number | null): AsyncIterableIterator<GroupEventRow> {
  const wanted = (event: GroupEventRow) => groupId == null || event.groupId === groupId;
  // Listen before reading the log, so nothing committed during the replay is missed.
  const live = ctx.events.subscribe('groupEvent')[Symbol.asyncIterator]();
  const pendingLive = live.next();

  // The subscription's context lives as long as it does; each event is resolved (GroupEvent.group and the
  // Group fields under it) with fresh loaders, or it would show the group and the viewer's role as they were
  // at the first event.
  const fresh = (event: GroupEventRow) => {
    ctx.loaders = createLoaders(ctx.db, ctx.viewer);
    return event;
  };

  async function* events(): AsyncGenerator<GroupEventRow> {
    // Events read by the replay that may also come live (committed before the replay read them, published
    // after we started listening): each is delivered once. Ids are not a high-water mark: on PostgreSQL,
    // concurrent transactions commit (and publish) out of id order, and a late one must not be dropped.
    const replayed = new Set<number>();
    let replayEnded = 0;
    try {
      if (afterId !== null) {
        let last = afterId;
        for (;;) {
          const batch = await ctx.db.groupEvent.findMany({
            where: { id: { gt: last }, ...(groupId != null ? { groupId } : {}) },
            orderBy: { id: 'asc' },
            take: REPLAY_BATCH,
          });
          for (const event of batch) {
            last = event.id;
            replayed.add(event.id);
            if (await ctx.audience.allows(ctx.viewer, event)) yield fresh(event);
          }
          if (batch.length < REPLAY_BATCH) break;
        }
        replayEnded = Date.now();
      }
      let next = pendingLive;
      for (;;) {
        const result = await next;
        if (result.done) return;
        const event = result.value;
        next = live.next();
        // A replayed event is published moments after its commit, so past that it cannot come live any more.
        if (replayed.size && Date.now() - replayEnded > REPLAY_OVERLAP_MS) replayed.clear();
        if (!wanted(event) || replayed.delete(event.id)) continue;
        if (await ctx.audience.allows(ctx.viewer, event)) yield fresh(event);
      }
    } finally {
      await live.return?.();
    }
  }

  const stream = events();
  // An async generator waiting for its next event cannot be returned until that event comes (and for a
  // subscription nothing reaches, it never does). Ending the live feed first wakes it, so a client that
  // leaves releases its listener at once.
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    next: () => stream.next(),
    return: async (value?: unknown) => {
      await live.return?.();
      return stream.return(value as undefined);
    },
    throw: async (error?: unknown) => {
      await live.return?.();
      return stream.throw(error);
    },
  };
}

builder.subscriptionFields((t) => ({
  groupEvents: t.field({
    type: GroupEvent,
    description:
      'Changes to one group (groupId) or to every group whose content the viewer may see. With `after`, first ' +
      'replays what the viewer missed from the log, then continues live, with no gap and no duplicate.',
    args: { groupId: t.arg.id(), after: t.arg.id() },
    // A plain function, not a generator: a bad `after` is this operation's BAD_USER_INPUT result, raised
    // before anything listens or reads the log.
    subscribe: (_root, args, ctx) => {
      const afterId = args.after != null ? parseEventId(args.after) : null;
      return groupEventStream(ctx, args.groupId ?? null, afterId);
    },
    resolve: (event) => event,
  }),
}));
