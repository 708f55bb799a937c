/**
 * The write path of every mutation: one transaction holding the change and its event-log rows, and the
 * events published only after that transaction has committed (a rolled-back change publishes nothing).
 */
import type { GroupEvent } from '../generated/prisma/client.ts';
import type { GroupEventType, GroupPrivacy, GroupRole } from '../generated/prisma/enums.ts';
import type { Tx } from '../db/client.ts';
import type { Context } from '../context.ts';
import type { Loaders } from '../loaders.ts';

/** Drops the loaders' cached rows of the given groups (page loaders are keyed by arguments: dropped whole). */
function forgetGroups(loaders: Loaders, groupIds: Set<string>) {
  if (groupIds.size === 0) return;
  for (const groupId of groupIds) {
    loaders.group.clear(groupId);
    loaders.viewerMembership.clear(groupId);
    loaders.viewerPendingJoinRequest.clear(groupId);
    loaders.rules.clear(groupId);
    loaders.questions.clear(groupId);
  }
  loaders.memberPage.clearAll();
  loaders.memberCountByRole.clearAll();
  loaders.joinRequestPage.clearAll();
  loaders.joinRequestCount.clearAll();
}

/** One change to record in the durable log. */
export interface EventInput {
  type: GroupEventType;
  group: { id: string; privacy: GroupPrivacy };
  memberId?: string | null;
  role?: GroupRole | null;
}

/** What a transaction body receives: the transaction client and a way to append to the event log. */
export interface Write {
  tx: Tx;
  /** Appends one event (actor = the viewer) and moves the group's recentActivityAt, in this transaction. */
  record(event: EventInput): Promise<GroupEvent>;
}

/**
 * Runs `body` in one transaction. Every event it records is committed with the change and published to live
 * subscribers after the commit, in log order. Afterwards the request's loaders forget what they cached about
 * the changed groups: the shield rules read the group and the viewer's role before the change, and the
 * mutation's own payload (e.g. `membership { group { membersCount viewerRole } }`) must show the state after.
 */
export async function write<T>(ctx: Pick<Context, 'db' | 'events' | 'viewer' | 'loaders'>, body: (w: Write) => Promise<T>): Promise<T> {
  const recorded: GroupEvent[] = [];
  const result = await ctx.db.$transaction(
    async (tx) =>
      body({
        tx,
        async record(event) {
          const now = new Date();
          const row = await tx.groupEvent.create({
            data: {
              type: event.type,
              groupId: event.group.id,
              groupPrivacy: event.group.privacy,
              memberId: event.memberId ?? null,
              role: event.role ?? null,
              actorId: ctx.viewer.memberId,
              occurredAt: now,
            },
          });
          if (event.type !== 'GROUP_DELETED') {
            await tx.group.update({ where: { id: event.group.id }, data: { recentActivityAt: now } });
          }
          recorded.push(row);
          return row;
        },
      }),
    { maxWait: 10_000, timeout: 20_000 },
  );
  forgetGroups(ctx.loaders, new Set(recorded.map((event) => event.groupId)));
  for (const event of recorded) ctx.events.publish('groupEvent', event);
  return result;
}
