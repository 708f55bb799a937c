/**
 * The write path of every mutation: one transaction holding the change and its event-log rows, and the
 * events published only after that transaction has committed (a rolled-back change publishes nothing).
 */
import type { GroupEvent } from '../generated/prisma/client.ts';
import type { GroupEventType, GroupPrivacy, GroupRole } from '../generated/prisma/enums.ts';
import type { Tx } from '../db/client.ts';
import type { Context } from '../context.ts';
import type { Loaders } from '../loaders.ts';
import { databaseKind } from '../db/adapter.ts';

/**
 * The PostgreSQL advisory lock (transaction-scoped) held from a transaction's first event row to its commit.
 * Any constant works, as long as nothing else in the database uses it.
 */
const EVENT_LOG_LOCK = 4_783_201_906;

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
export async function write<T>(ctx: Pick<Context, 'db' | 'events' | 'viewer' | 'loaders' | 'config'>, body: (w: Write) => Promise<T>): Promise<T> {
  const recorded: GroupEvent[] = [];
  const postgres = databaseKind(ctx.config.databaseUrl) === 'postgresql';
  const result = await ctx.db.$transaction(
    async (tx) => {
      // Event ids must be assigned in commit order: live subscribers rely on "an event has committed, so every
      // lower id has committed or never will" to fill gaps from the log. PostgreSQL hands out ids as rows are
      // inserted, and concurrent transactions commit in any order, so writers of events take turns from their
      // first event row to their commit. (SQLite already has one writer at a time.)
      let ordered: Promise<unknown> | null = postgres ? null : Promise.resolve();
      return body({
        tx,
        async record(event) {
          await (ordered ??= tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${EVENT_LOG_LOCK})`));
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
            // In SQL: a model update costs a compile (~0.7 ms of CPU); the driver stores the Date as it does
            // for model writes.
            await tx.$executeRaw`UPDATE "Group" SET "recentActivityAt" = ${now} WHERE "id" = ${event.group.id}`;
          }
          recorded.push(row);
          return row;
        },
      });
    },
    { maxWait: 10_000, timeout: 20_000 },
  );
  forgetGroups(ctx.loaders, new Set(recorded.map((event) => event.groupId)));
  for (const event of recorded) ctx.events.publish('groupEvent', event);
  return result;
}
