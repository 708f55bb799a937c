/**
 * A member leaving the site: their account deleted (a student who graduated, a gym member who cancelled).
 * The site's member directory is not the gateway's, so it is told: a Groups Manager removes the member from
 * every group at once, where each group's admin would otherwise have to find and remove them one by one.
 */
import { Prisma } from '../generated/prisma/client.ts';
import type { MemberCtx } from '../context.ts';
import { databaseKind } from '../db/adapter.ts';
import { conflict, forbidden } from '../errors.ts';
import { stampAfter, turnOfOthers, write, type Write } from './transaction.ts';
import { forgetMemberName } from '../db/member-names.ts';
import { validMemberId } from './validate.ts';

export interface SiteMemberRemoval {
  memberId: string;
  /** The groups they were removed from, by id. */
  groupIds: string[];
  canceledJoinRequests: number;
  canceledCreateRequests: number;
}

/**
 * Ids per statement of the multi-group reads and writes below: Prisma's model queries bind at most 999
 * values on SQLite (a member of 996 groups was refused at 1,000, with the other values of the statement).
 */
const IDS_PER_STATEMENT = 500;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += IDS_PER_STATEMENT) out.push(items.slice(i, i + IDS_PER_STATEMENT));
  return out;
}

/**
 * Takes the row locks of many groups, as lockGroup takes one (group-lock.ts), so that no other write to any
 * of them runs until this one commits. On PostgreSQL the rows are locked in id order (SELECT … ORDER BY …
 * FOR UPDATE), so two such writes never wait for each other in a circle; an UPDATE would lock them in
 * whatever order it reads them. SQLite has one writer at a time: the first write takes the database's lock.
 */
async function lockGroups(w: Write, postgres: boolean, groupIds: readonly string[]) {
  for (const ids of chunks([...groupIds].sort())) {
    if (postgres) await w.tx.$queryRaw`SELECT "id" FROM "Group" WHERE "id" IN (${Prisma.join(ids)}) ORDER BY "id" FOR UPDATE`;
    else await w.tx.$executeRaw`UPDATE "Group" SET "membersCount" = "membersCount" WHERE "id" IN (${Prisma.join(ids)})`;
  }
}

/**
 * Removes a site member from every group (MEMBER_REMOVED in each), cancels their pending join requests
 * (JOIN_REQUEST_CANCELED) and create requests, and forgets their display name. All or nothing: CONFLICT,
 * naming the groups in extensions.groupIds, when they are the only admin of any group (as removing them
 * from one group is): a Groups Manager makes someone else admin there, or deletes the group, first.
 * A member the gateway holds nothing of is removed from nothing: not an error, so a retry is harmless.
 *
 * A member who joins a group while this runs, after their groups were read, stays in it, as one who joins
 * just after would: the site deletes the account, and their token stops, at the identity provider.
 */
export function removeSiteMember(ctx: MemberCtx, memberIdInput: string): Promise<SiteMemberRemoval> {
  const memberId = validMemberId('memberId', memberIdInput);
  // The shield rule already asked; asked again here, as every write does.
  if (!ctx.viewer.isGroupsManager) throw forbidden('Only a Groups Manager may remove a member from the site.');
  const postgres = databaseKind(ctx.config.databaseUrl) === 'postgresql';
  return write(ctx, async (w) => {
    const joined = await w.tx.groupMember.findMany({ where: { memberId }, select: { groupId: true } });
    const asked = await w.tx.joinRequest.findMany({ where: { memberId, status: 'PENDING' }, select: { groupId: true } });
    const groupIds = [...new Set([...joined, ...asked].map((row) => row.groupId))];
    await lockGroups(w, postgres, groupIds);
    // Read again under the locks: what the decision and the events rest on.
    const memberships = [];
    const pending = [];
    const groups = new Map<string, { id: string; name: string; privacy: 'PUBLIC' | 'PRIVATE' | 'SECRET'; showMemberList: boolean }>();
    for (const ids of chunks(groupIds)) {
      memberships.push(...(await w.tx.groupMember.findMany({ where: { memberId, groupId: { in: ids } }, select: { groupId: true, role: true }, orderBy: { groupId: 'asc' } })));
      pending.push(...(await w.tx.joinRequest.findMany({ where: { memberId, status: 'PENDING', groupId: { in: ids } }, select: { groupId: true }, orderBy: { groupId: 'asc' } })));
      for (const group of await w.tx.group.findMany({ where: { id: { in: ids } }, select: { id: true, name: true, privacy: true, showMemberList: true, recentActivityAt: true } })) {
        groups.set(group.id, group);
        // The write's time: after every locked group's last event (transaction.ts).
        stampAfter(w, group.recentActivityAt);
      }
    }

    // The only admin of a group may not be removed from it (membership.ts: requireAnAdmin), here either.
    const adminOf = memberships.filter((m) => m.role === 'ADMIN').map((m) => m.groupId);
    const withOtherAdmins = new Set<string>();
    for (const ids of chunks(adminOf)) {
      const others = await w.tx.groupMember.findMany({
        where: { groupId: { in: ids }, role: 'ADMIN', memberId: { not: memberId } },
        select: { groupId: true },
        distinct: ['groupId'],
      });
      for (const row of others) withOtherAdmins.add(row.groupId);
    }
    const onlyAdminOf = adminOf.filter((id) => !withOtherAdmins.has(id));
    if (onlyAdminOf.length) {
      const names = onlyAdminOf.map((id) => groups.get(id)!.name);
      const listed = names.length > 5 ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more` : names.join(', ');
      throw conflict(
        `${memberId} is the only admin of ${onlyAdminOf.length === 1 ? 'a group' : `${onlyAdminOf.length} groups`} (${listed}). ` +
          'Make another member an admin there, or delete the group, first.',
        { groupIds: onlyAdminOf },
      );
    }

    const left = memberships.map((m) => m.groupId);
    for (const [i, ids] of chunks(left).entries()) {
      if (i > 0) await turnOfOthers(); // a member of hundreds of groups: let reads in between (transaction.ts)
      await w.tx.groupMember.deleteMany({ where: { memberId, groupId: { in: ids } } });
      await w.tx.$executeRaw`UPDATE "Group" SET "membersCount" = "membersCount" - 1 WHERE "id" IN (${Prisma.join(ids)})`;
    }
    for (const m of memberships) w.record({ type: 'MEMBER_REMOVED', group: groups.get(m.groupId)!, memberId, role: m.role });

    for (const ids of chunks(pending.map((p) => p.groupId))) {
      await w.tx.joinRequest.updateMany({
        where: { memberId, status: 'PENDING', groupId: { in: ids } },
        data: { status: 'CANCELED', pendingKey: null, decidedAt: w.now, decidedBy: ctx.viewer.memberId },
      });
    }
    for (const p of pending) w.record({ type: 'JOIN_REQUEST_CANCELED', group: groups.get(p.groupId)!, memberId });

    const canceledCreate = await w.tx.createRequest.updateMany({
      where: { requestedBy: memberId, status: 'PENDING' },
      data: { status: 'CANCELED', pendingKey: null, decidedAt: w.now, decidedBy: ctx.viewer.memberId },
    });
    // The clock's own time, not the write's (stampAfter may have set it after a group's): tokens issued after
    // it bring the name back, and their `iat` is the identity provider's clock.
    await forgetMemberName(w.tx, memberId, new Date());
    return { memberId, groupIds: left, canceledJoinRequests: pending.length, canceledCreateRequests: canceledCreate.count };
  });
}
