/**
 * Membership writes: joining, join requests, adding and removing members, roles.
 *
 * Concurrency: every write first takes the group's row lock (lockGroup: an UPDATE that changes nothing), so
 * writes to one group run one after another on every database, and each then re-reads the viewer's role and
 * the group inside its transaction. The shield rules already refused what the viewer may not do; the check
 * here repeats it on fresh data, because the role read by the rule may have changed before the lock was
 * taken. Unique constraints (one membership per member and group, one pending request per member and group)
 * back this up: a violation becomes CONFLICT, never an internal error.
 */
import type { Group, GroupMember, JoinRequest } from '../generated/prisma/client.ts';
import type { GroupRole } from '../generated/prisma/enums.ts';
import { canReadMembers, groupPermissions } from '../auth/policy.ts';
import { badInput, conflict, forbidden, isUniqueViolation, notFound } from '../errors.ts';
import type { MemberCtx } from '../context.ts';
import { lockGroupFor } from './group-lock.ts';
import { turnOfOthers, write, type Write } from './transaction.ts';
import { LIMITS, idList, optionalText } from './validate.ts';

/**
 * Fails with CONFLICT when the change left the group without an admin, even with no members left: the only
 * admin of a group may not leave it, be removed or be demoted (policy mayLeaveAs), so that no stranger comes
 * to run a group its admin walked away from. They make someone else admin first, or delete the group.
 */
async function requireAnAdmin(w: Write, groupId: string) {
  const admins = await w.tx.groupMember.count({ where: { groupId, role: 'ADMIN' } });
  if (admins === 0) {
    throw conflict('A group must keep at least one admin. Make another member an admin first, or delete the group.');
  }
}

/** Moves the group's denormalised member count (in SQL: a model update costs a compile, ~0.7 ms of CPU). */
async function changeCount(w: Write, groupId: string, delta: number) {
  if (delta !== 0) await w.tx.$executeRaw`UPDATE "Group" SET "membersCount" = "membersCount" + ${delta} WHERE "id" = ${groupId}`;
}

/** Inserts a membership; a concurrent insert of the same one is CONFLICT, not an internal error. */
async function insertMember(w: Write, groupId: string, memberId: string, role: GroupRole = 'MEMBER') {
  try {
    return await w.tx.groupMember.create({ data: { groupId, memberId, role, joinedAt: w.now } });
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict(`${memberId} is already a member of this group.`, { memberId });
    throw error;
  }
}

/**
 * Lets a newcomer in and records how they came. A group with no members takes its first newcomer as its
 * admin (their arrival, then ROLE_ASSIGNED), so that a group with members always has an admin (API.md).
 * `adopt` is whether the group is empty at this point of the transaction. No group is left empty any more
 * (requireAnAdmin); groups that an earlier version let their only admin leave still can be.
 */
async function admit(w: Write, group: Group, memberId: string, type: 'MEMBER_JOINED' | 'MEMBER_ADDED', adopt: boolean) {
  const membership = await insertMember(w, group.id, memberId, adopt ? 'ADMIN' : 'MEMBER');
  w.record({ type, group, memberId, role: 'MEMBER' });
  if (adopt) w.record({ type: 'ROLE_ASSIGNED', group, memberId, role: 'ADMIN' });
  return membership;
}

const pendingKey = (groupId: string, memberId: string) => `${groupId}:${memberId}`;

export interface AnswerInput {
  questionId: string;
  text: string;
}

/**
 * Joins a PUBLIC group at once, or files a PENDING join request for a PRIVATE one (with answers; a
 * required question left blank is BAD_USER_INPUT). SECRET groups are joined only by being added.
 */
export function joinGroup(ctx: MemberCtx, groupId: string, answers: readonly AnswerInput[] | null | undefined) {
  return write(ctx, async (w): Promise<{ membership: GroupMember | null; joinRequest: JoinRequest | null }> => {
    const { group, role, pendingJoinRequest } = await lockGroupFor(w, ctx, groupId, 'view');
    const memberId = ctx.viewer.memberId;
    const may = groupPermissions(ctx.viewer, group, role, pendingJoinRequest !== null);
    if (!may.join && !may.requestToJoin) {
      // Why not, in the words that say what to do instead.
      if (role !== null) throw conflict('You are already a member of this group.');
      if (pendingJoinRequest) throw conflict('You already asked to join this group; wait for an admin to decide.');
      throw forbidden('Secret groups are joined by invitation from their members.');
    }

    if (group.privacy === 'PUBLIC') {
      const membership = await admit(w, group, memberId, 'MEMBER_JOINED', group.membersCount === 0);
      await changeCount(w, groupId, 1);
      return { membership, joinRequest: null };
    }

    const questions = await w.tx.membershipQuestion.findMany({ where: { groupId }, orderBy: { position: 'asc' } });
    const given = new Map<string, string>();
    const answered = new Set<string>();
    for (const answer of answers ?? []) {
      if (!questions.some((q) => q.id === answer.questionId)) {
        throw badInput(`Question ${answer.questionId} is not one of this group's questions (they may have changed): load them again and answer those.`, { questionId: answer.questionId });
      }
      if (answered.has(answer.questionId)) {
        throw badInput(`Question ${answer.questionId} is answered more than once; give one answer per question.`, { questionId: answer.questionId });
      }
      answered.add(answer.questionId);
      const text = optionalText('An answer', answer.text, LIMITS.answerText);
      if (text !== null) given.set(answer.questionId, text);
    }
    const missing = questions.filter((q) => q.required && !given.has(q.id));
    if (missing.length) throw badInput(`Answer the required question: "${missing[0].text}".`);

    let joinRequest: JoinRequest;
    try {
      joinRequest = await w.tx.joinRequest.create({
        data: {
          groupId,
          memberId,
          createdAt: w.now,
          pendingKey: pendingKey(groupId, memberId),
          answers: {
            create: questions
              .filter((q) => given.has(q.id))
              .map((q) => ({ questionId: q.id, question: q.text, text: given.get(q.id)!, position: q.position })),
          },
        },
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict('You already asked to join this group; wait for an admin to decide.');
      throw error;
    }
    w.record({ type: 'JOIN_REQUEST_CREATED', group, memberId });
    return { membership: null, joinRequest };
  }, groupId);
}

/** Withdraws the viewer's own pending join request. */
export function cancelJoinRequest(ctx: MemberCtx, groupId: string) {
  return write(ctx, async (w) => {
    const { group, role } = await lockGroupFor(w, ctx, groupId, 'view');
    const memberId = ctx.viewer.memberId;
    const { count } = await w.tx.joinRequest.updateMany({
      where: { pendingKey: pendingKey(groupId, memberId) },
      data: { status: 'CANCELED', pendingKey: null, decidedAt: w.now, decidedBy: memberId },
    });
    if (count === 0) {
      const earlier = await w.tx.joinRequest.findFirst({ where: { groupId, memberId }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
      // Approved, and no longer a member (they left, or were removed): said so, not as if still waiting to be let in.
      if (earlier?.status === 'APPROVED' && role === null) {
        throw conflict('You have no pending request to join this group: your last one was approved, and you are no longer a member.');
      }
      if (earlier) throw conflict(`Your request to join this group was already ${earlier.status.toLowerCase()}.`);
      throw notFound('You have no pending request to join this group.');
    }
    w.record({ type: 'JOIN_REQUEST_CANCELED', group, memberId });
    return w.tx.joinRequest.findFirstOrThrow({
      where: { groupId, memberId, status: 'CANCELED' },
      orderBy: [{ decidedAt: 'desc' }, { id: 'desc' }],
    });
  }, groupId);
}

/**
 * Approves every pending join request of a group made PUBLIC (updateGroup): anyone may join it at once now,
 * and those who asked while it was PRIVATE would otherwise be the only ones left waiting (joinGroup answers
 * their pending request with CONFLICT). Each is recorded as an approval by `deciderId`, who opened the group,
 * followed by the requester joining, as approveJoinRequests records it. `group` is the group as made PUBLIC.
 */
export async function approvePendingRequests(w: Write, group: Group, deciderId: string | null) {
  const pending = await w.tx.joinRequest.findMany({
    where: { groupId: group.id, status: 'PENDING' },
    select: { memberId: true },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  if (!pending.length) return;
  await w.tx.joinRequest.updateMany({
    where: { groupId: group.id, status: 'PENDING' },
    data: { status: 'APPROVED', pendingKey: null, decidedAt: w.now, decidedBy: deciderId },
  });
  // In chunks of one INSERT each, rather than admit()'s one per member: a group opened with thousands of
  // pending requests admits them in a few statements (one by one, 5,000 took longer than a transaction may).
  const adopt = group.membersCount === 0;
  const rows = pending.map(({ memberId }, i) => ({ groupId: group.id, memberId, role: adopt && i === 0 ? ('ADMIN' as const) : ('MEMBER' as const), joinedAt: w.now }));
  for (let start = 0; start < rows.length; start += MEMBERS_PER_STATEMENT) {
    if (start > 0) await turnOfOthers();
    try {
      await w.tx.groupMember.createMany({ data: rows.slice(start, start + MEMBERS_PER_STATEMENT) });
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict('A member who asked to join is already in the group; try again.');
      throw error;
    }
  }
  for (const { memberId, role } of rows) {
    w.record({ type: 'JOIN_REQUEST_APPROVED', group, memberId, role: 'MEMBER' });
    w.record({ type: 'MEMBER_JOINED', group, memberId, role: 'MEMBER' });
    if (role === 'ADMIN') w.record({ type: 'ROLE_ASSIGNED', group, memberId, role: 'ADMIN' });
  }
  await changeCount(w, group.id, rows.length);
}

/**
 * Memberships per INSERT (6 values each, its id included: far below either database's limit of bound values).
 * Prisma's createMany spends about 0.08 ms of CPU per row (SQLite, measured), so 250 rows keep each statement
 * near 20 ms: what a read waiting between two of them may have to wait (turnOfOthers).
 */
const MEMBERS_PER_STATEMENT = 250;

/** Leaves a group. The group's only admin cannot leave (requireAnAdmin), even when alone in it. */
export function leaveGroup(ctx: MemberCtx, groupId: string) {
  return write(ctx, async (w) => {
    const { group, membership } = await lockGroupFor(w, ctx, groupId, 'view');
    if (!membership) throw conflict('You are not a member of this group.');
    await w.tx.groupMember.delete({ where: { id: membership.id } });
    await changeCount(w, groupId, -1);
    await requireAnAdmin(w, groupId);
    w.record({ type: 'MEMBER_LEFT', group, memberId: membership.memberId, role: membership.role });
    return groupId;
  }, groupId);
}

/**
 * Adds site members to a group; a pending join request of an added member is approved by the addition
 * (JOIN_REQUEST_APPROVED, then MEMBER_ADDED). Members already in it are returned unchanged to those who may
 * read the member list, and left out for the others (a plain member who may invite, where the list is
 * hidden): their rows would tell that inviter who the admins are and since when each has been a member.
 */
export function addGroupMembers(ctx: MemberCtx, groupId: string, memberIds: readonly string[]) {
  const ids = idList('memberIds', memberIds, LIMITS.memberIds);
  return write(ctx, async (w) => {
    const { group, role } = await lockGroupFor(w, ctx, groupId, 'addMembers');
    const readsMembers = canReadMembers(ctx.viewer, group, role);
    const existing = await w.tx.groupMember.findMany({ where: { groupId, memberId: { in: ids } } });
    const byMember = new Map(existing.map((m) => [m.memberId, m]));
    // A statement for all the newcomers at each step, not two per newcomer. Those with a pending request
    // are approved by being added.
    const newcomers = ids.filter((memberId) => !byMember.has(memberId));
    if (newcomers.length > 0) {
      const keys = newcomers.map((memberId) => pendingKey(groupId, memberId));
      const asked = new Set((await w.tx.joinRequest.findMany({ where: { pendingKey: { in: keys } }, select: { memberId: true } })).map((r) => r.memberId));
      if (asked.size > 0) {
        await w.tx.joinRequest.updateMany({
          where: { pendingKey: { in: keys } },
          data: { status: 'APPROVED', pendingKey: null, decidedAt: w.now, decidedBy: ctx.viewer.memberId },
        });
      }
      // An empty group's first newcomer becomes its admin (admit()).
      const adopt = group.membersCount === 0;
      const rows = newcomers.map((memberId, i) => ({ groupId, memberId, role: adopt && i === 0 ? ('ADMIN' as const) : ('MEMBER' as const), joinedAt: w.now }));
      let inserted: GroupMember[];
      try {
        inserted = await w.tx.groupMember.createManyAndReturn({ data: rows });
      } catch (error) {
        if (isUniqueViolation(error)) throw conflict('A member named is already in the group; try again.');
        throw error;
      }
      for (const membership of inserted) byMember.set(membership.memberId, membership);
      for (const [i, memberId] of newcomers.entries()) {
        if (asked.has(memberId)) w.record({ type: 'JOIN_REQUEST_APPROVED', group, memberId, role: 'MEMBER' });
        w.record({ type: 'MEMBER_ADDED', group, memberId, role: 'MEMBER' });
        if (adopt && i === 0) w.record({ type: 'ROLE_ASSIGNED', group, memberId, role: 'ADMIN' });
      }
      await changeCount(w, groupId, newcomers.length);
    }
    const already = new Set(existing.map((m) => m.memberId));
    return ids.filter((id) => readsMembers || !already.has(id)).map((id) => byMember.get(id)!);
  }, groupId);
}

/** Removes members. Removing the group's only admin (all its admins) is CONFLICT. */
export function removeGroupMembers(ctx: MemberCtx, groupId: string, memberIds: readonly string[]) {
  const ids = idList('memberIds', memberIds, LIMITS.memberIds);
  return write(ctx, async (w) => {
    const { group } = await lockGroupFor(w, ctx, groupId, 'removeMembers');
    const members = await w.tx.groupMember.findMany({ where: { groupId, memberId: { in: ids } } });
    const missing = ids.find((id) => !members.some((m) => m.memberId === id));
    if (missing) throw badInput(`${missing} is not a member of this group.`, { memberId: missing });
    await w.tx.groupMember.deleteMany({ where: { groupId, memberId: { in: ids } } });
    await changeCount(w, groupId, -members.length);
    await requireAnAdmin(w, groupId);
    for (const memberId of ids) {
      w.record({ type: 'MEMBER_REMOVED', group, memberId, role: members.find((m) => m.memberId === memberId)!.role });
    }
    return ids;
  }, groupId);
}

/**
 * Decides pending join requests: APPROVED makes the requester a member. The conditional UPDATE
 * (status = PENDING) decides races: of N concurrent approvals one wins, the others get CONFLICT.
 */
async function decideJoinRequests(
  ctx: MemberCtx,
  groupId: string,
  decisions: { memberId: string; reason?: string | null }[],
  status: 'APPROVED' | 'REJECTED',
) {
  return write(ctx, async (w) => {
    const { group } = await lockGroupFor(w, ctx, groupId, 'approveJoinRequests');
    // A statement for all the requests at each step, not one per request: what a decision of 100 requests
    // costs is what one costs. Under the group's lock nothing else decides them meanwhile.
    const pending = await w.tx.joinRequest.findMany({ where: { pendingKey: { in: decisions.map(({ memberId }) => pendingKey(groupId, memberId)) } } });
    const pendingOf = new Map(pending.map((request) => [request.memberId, request]));
    const missing = decisions.find(({ memberId }) => !pendingOf.has(memberId));
    if (missing) {
      const earlier = await w.tx.joinRequest.findFirst({ where: { groupId, memberId: missing.memberId }, orderBy: { createdAt: 'desc' } });
      if (earlier) throw conflict(`The request of ${missing.memberId} was already ${earlier.status.toLowerCase()}.`, { memberId: missing.memberId });
      throw notFound(`${missing.memberId} has not asked to join this group.`, { memberId: missing.memberId });
    }
    // One update per reason given (most often one: none).
    const byReason = new Map<string | null, string[]>();
    for (const { memberId, reason } of decisions) {
      const key = status === 'REJECTED' ? (reason ?? null) : null;
      byReason.set(key, [...(byReason.get(key) ?? []), pendingOf.get(memberId)!.id]);
    }
    for (const [reason, ids] of byReason) {
      const { count } = await w.tx.joinRequest.updateMany({
        where: { id: { in: ids }, status: 'PENDING' },
        data: { status, pendingKey: null, decidedAt: w.now, decidedBy: ctx.viewer.memberId, rejectionReason: reason },
      });
      if (count !== ids.length) throw conflict('A request was already decided; try again.');
    }
    // Approved requesters join in one INSERT; an empty group's first one becomes its admin (admit()).
    const adopt = status === 'APPROVED' && group.membersCount === 0;
    if (status === 'APPROVED') {
      const rows = decisions.map(({ memberId }, i) => ({ groupId, memberId, role: adopt && i === 0 ? ('ADMIN' as const) : ('MEMBER' as const), joinedAt: w.now }));
      try {
        await w.tx.groupMember.createMany({ data: rows });
      } catch (error) {
        if (isUniqueViolation(error)) throw conflict('A member who asked to join is already in the group; try again.');
        throw error;
      }
      await changeCount(w, groupId, rows.length);
    }
    // Two changes, two events: the request was decided (JOIN_REQUEST_* reaches only those who may decide,
    // and the requester) and a member joined (reaches those who may read the member list).
    for (const [i, { memberId }] of decisions.entries()) {
      if (status === 'REJECTED') {
        w.record({ type: 'JOIN_REQUEST_REJECTED', group, memberId, role: null });
        continue;
      }
      w.record({ type: 'JOIN_REQUEST_APPROVED', group, memberId, role: 'MEMBER' });
      w.record({ type: 'MEMBER_JOINED', group, memberId, role: 'MEMBER' });
      if (adopt && i === 0) w.record({ type: 'ROLE_ASSIGNED', group, memberId, role: 'ADMIN' });
    }
    const decided = await w.tx.joinRequest.findMany({ where: { id: { in: pending.map((request) => request.id) } } });
    const decidedOf = new Map(decided.map((request) => [request.memberId, request]));
    return decisions.map(({ memberId }) => decidedOf.get(memberId)!);
  }, groupId);
}

export function approveJoinRequests(ctx: MemberCtx, groupId: string, memberIds: readonly string[]) {
  const ids = idList('memberIds', memberIds, LIMITS.memberIds);
  return decideJoinRequests(ctx, groupId, ids.map((memberId) => ({ memberId })), 'APPROVED');
}

export function rejectJoinRequests(ctx: MemberCtx, groupId: string, rejections: readonly { memberId: string; reason?: string | null }[]) {
  const ids = idList('rejections', rejections.map((r) => r.memberId), LIMITS.memberIds);
  const reasons = new Map(rejections.map((r) => [r.memberId.trim(), optionalText('The reason', r.reason, LIMITS.reason)]));
  return decideJoinRequests(ctx, groupId, ids.map((memberId) => ({ memberId, reason: reasons.get(memberId) })), 'REJECTED');
}

/**
 * Gives (`assignRole`) or takes back (`unassignRole`) a role of existing members. Only ADMIN can be taken
 * back (MEMBER is the base role); members who already hold the asked role are returned unchanged.
 */
export function changeRoles(ctx: MemberCtx, groupId: string, memberIds: readonly string[], role: GroupRole, assign: boolean) {
  const ids = idList('memberIds', memberIds, LIMITS.memberIds);
  if (!assign && role !== 'ADMIN') throw badInput('Only the ADMIN role can be unassigned; MEMBER is the base role.');
  const target: GroupRole = assign ? role : 'MEMBER';
  return write(ctx, async (w) => {
    const { group } = await lockGroupFor(w, ctx, groupId, 'assignRoles');
    const members = await w.tx.groupMember.findMany({ where: { groupId, memberId: { in: ids } } });
    const missing = ids.find((id) => !members.some((m) => m.memberId === id));
    if (missing) throw badInput(`${missing} is not a member of this group; roles apply to members only.`, { memberId: missing });
    // One UPDATE for all whose role changes; those who already hold it are returned unchanged.
    const byMember = new Map(members.map((m) => [m.memberId, m]));
    const changing = ids.filter((memberId) => byMember.get(memberId)!.role !== target);
    if (changing.length > 0) {
      await w.tx.groupMember.updateMany({ where: { groupId, memberId: { in: changing } }, data: { role: target } });
      for (const memberId of changing) {
        byMember.set(memberId, { ...byMember.get(memberId)!, role: target });
        w.record({ type: assign ? 'ROLE_ASSIGNED' : 'ROLE_UNASSIGNED', group, memberId, role });
      }
    }
    await requireAnAdmin(w, groupId);
    return ids.map((memberId) => byMember.get(memberId)!);
  }, groupId);
}

