/** The durable event log as a live subscription: `groupEvents(groupId, after)`. */
import type { GroupEvent as GroupEventRow } from '../generated/prisma/client.ts';
import { builder } from '../builder.ts';
import { canSeeGroup } from '../auth/policy.ts';
import { viewerRole } from '../auth/rules.ts';
import { badInput } from '../errors.ts';
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

builder.subscriptionFields((t) => ({
  groupEvents: t.field({
    type: GroupEvent,
    description:
      'Changes to one group (groupId) or to every group whose content the viewer may see. With `after`, first ' +
      'replays what the viewer missed from the log, then continues live, with no gap and no duplicate.',
    args: { groupId: t.arg.id(), after: t.arg.id() },
    subscribe: async function* (_root, args, ctx) {
      const afterId = args.after != null ? parseEventId(args.after) : null;
      const wanted = (event: GroupEventRow) => args.groupId == null || event.groupId === args.groupId;
      // Listen before reading the log, so nothing committed during the replay is missed.
      const live = ctx.events.subscribe('groupEvent')[Symbol.asyncIterator]();
      const pendingLive = live.next();
      try {
        let last = afterId ?? -1;
        if (afterId !== null) {
          for (;;) {
            const batch = await ctx.db.groupEvent.findMany({
              where: { id: { gt: last }, ...(args.groupId != null ? { groupId: args.groupId } : {}) },
              orderBy: { id: 'asc' },
              take: REPLAY_BATCH,
            });
            for (const event of batch) {
              last = event.id;
              if (await ctx.audience.allows(ctx.viewer, event)) yield event;
            }
            if (batch.length < REPLAY_BATCH) break;
          }
        }
        let next = pendingLive;
        for (;;) {
          const result = await next;
          if (result.done) return;
          const event = result.value;
          next = live.next();
          if (event.id <= last || !wanted(event)) continue;
          last = event.id;
          if (await ctx.audience.allows(ctx.viewer, event)) yield event;
        }
      } finally {
        await live.return?.();
      }
    },
    resolve: (event) => event,
  }),
}));
