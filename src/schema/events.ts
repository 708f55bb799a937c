/** The durable event log as a live subscription: `groupEvents(groupId, after)`. */
import type { IncomingMessage } from 'node:http';
import { builder } from '../builder.ts';
import { actorAlwaysNamed, canSeeEventActor, canSeeGroup } from '../auth/policy.ts';
import { badInput, forbidden, unauthenticated } from '../errors.ts';
import { viewerRole } from '../loaders.ts';
import type { Context } from '../context.ts';
import type { LogEvent } from '../live/audience.ts';
import { groupEventStream, TOKEN_EXPIRED } from '../live/event-stream.ts';
import { fieldNamed } from '../live/sse-event-ids.ts';
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
        // A replay's page read its groups at once (live/event-stream.ts); a live event reads its group once for
        // all its subscribers (Audience.groupNow).
        const [group, role] = event.actorDecided
          ? await Promise.all([ctx.loaders.group.load(event.groupId), viewerRole(ctx, event.groupId)])
          : await ctx.audience.groupNow(ctx.viewer, event).then(({ group, role }) => [group, role] as const);
        return group && canSeeGroup(ctx.viewer, group, role) ? group : null;
      },
    }),
    groupId: t.id({ resolve: (event) => event.groupId }),
    memberId: t.exposeID('memberId', { nullable: true }),
    memberName: t.string({
      nullable: true,
      description: 'The display name of the member the event is about (GroupMember.memberName), as it is now.',
      resolve: (event, _args, ctx) => ctx.audience.memberName(event),
    }),
    role: t.expose('role', { type: GroupRole, nullable: true }),
    occurredAt: t.expose('occurredAt', { type: 'DateTime' }),
    actorId: t.id({
      nullable: true,
      description:
        'Who made the change: shown to those who may read the member list (and to the actor and the member the ' +
        'event is about); null for others. A Groups Manager who created a group for its first admin (approving ' +
        'their create request, or with creatorId) is named on its GROUP_CREATED to Groups Managers only, as ' +
        'CreateRequest.decidedBy is.',
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

/**
 * Whose subscriptions count together, and how many they may hold: a signed-in viewer's across connections
 * and transports; anonymous viewers' by client address (the rate limit's address), over SSE and WebSocket.
 */
function slotOwner(ctx: Context): { owner: string; limit: number } {
  if (ctx.viewer.memberId !== null) return { owner: `member:${ctx.viewer.memberId}`, limit: ctx.config.live.maxSubscriptionsPerViewer };
  const address = clientAddress(ctx as Context & { request?: Request; req?: IncomingMessage }, ctx.config.limits.trustProxy);
  return { owner: `address:${address}`, limit: ctx.config.live.maxAnonymousSubscriptionsPerAddress };
}

builder.subscriptionFields((t) => ({
  groupEvents: t.field({
    type: GroupEvent,
    description:
      'Changes to one group (groupId) or to every group whose content the viewer may see. With `after`, first ' +
      'replays what the viewer missed from the log, then continues live, with no gap and no duplicate; ' +
      '`after: "0"` replays the whole history the viewer may receive. Over SSE each event carries its `id` as ' +
      'the message id, and a `Last-Event-ID` header (an EventSource reconnecting) is taken as `after`.',
    args: { groupId: t.arg.id(), after: t.arg.id() },
    // Not a generator: a bad `after` or one subscription too many is this operation's error, raised before
    // anything listens or reads the log.
    subscribe: async (_root, args, ctx, info) => {
      // An EventSource reconnecting says where it stopped (live/sse-event-ids.ts): that, over its URL's `after`.
      const lastEventId = (ctx as Context & { request?: Request }).request?.headers.get('last-event-id') || null;
      const after = lastEventId ?? args.after;
      const afterId = after != null ? parseEventId(ctx, after) : null;
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
        // The replay reads each page's groups at once when the events' `group` is asked for (event-stream.ts).
        const fragments = new Map(Object.entries(info.fragments));
        const prefetchGroups = info.fieldNodes.some((node) => node.selectionSet && fieldNamed(node.selectionSet.selections, 'group', fragments));
        return groupEventStream(ctx, args.groupId ?? null, Math.min(afterId ?? newest, newest), newest, live, release, { prefetchGroups });
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
