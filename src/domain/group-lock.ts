/**
 * The first step of every write to one group: lock its row, read it fresh with the viewer's standing in it,
 * and decide again whether the viewer may act.
 *
 * The shield rules decided before the write, from what the request's loaders read; by the time the write
 * runs, an admin may have been demoted or the group made SECRET. The row lock (an UPDATE that changes
 * nothing) makes writes to one group run one after another on every database, so what is read after it is
 * what the write's decision and its invariants (pending requests closed, an admin kept) rest on.
 */
import type { Group } from '../generated/prisma/client.ts';
import type { MemberCtx } from '../context.ts';
import { groupActionRefusal, type GuardedAction } from '../auth/policy.ts';
import { groupWithStandingOf, groupWithStandingSql } from '../db/group-list.ts';
import { stampAfter, type Write } from './transaction.ts';

/**
 * Locks the group's row for the rest of the transaction and reads it, fresh, with the viewer's membership
 * and pending join request in it: one statement for the three, written in SQL because Prisma 6.19 compiles
 * each model query anew (about 0.7 ms of CPU each; bench/README.md, round 5).
 */
export async function lockGroup(w: Write, ctx: MemberCtx, groupId: string) {
  await w.tx.$executeRaw`UPDATE "Group" SET "membersCount" = "membersCount" WHERE "id" = ${groupId}`;
  const [row] = await w.tx.$queryRaw<Record<string, unknown>[]>(groupWithStandingSql(groupId, ctx.viewer.memberId));
  if (!row) return { group: null, membership: null, pendingJoinRequest: null, role: null };
  const { group, standing } = groupWithStandingOf(row, ctx.viewer.memberId);
  // The write's time, now that it holds the lock: after the group's last event (transaction.ts).
  stampAfter(w, group.recentActivityAt);
  return { group, ...standing, role: standing.membership?.role ?? null };
}

/** Locks the group and requires that the viewer may take `action` there (NOT_FOUND / FORBIDDEN otherwise). */
export async function lockGroupFor(w: Write, ctx: MemberCtx, groupId: string, action: GuardedAction | 'view') {
  const locked = await lockGroup(w, ctx, groupId);
  const refusal = groupActionRefusal(ctx.viewer, locked.group, locked.role, action);
  if (refusal) throw refusal;
  return locked as typeof locked & { group: Group };
}
