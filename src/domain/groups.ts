/**
 * Writes to groups themselves: creation (directly or through a create request), updates, settings, rules,
 * questions and deletion. Authorization has already been decided by the shield rules (auth/rules.ts);
 * these functions validate input, keep the invariants and record events, each in one transaction.
 */
import type { Group } from '../generated/prisma/client.ts';
import type { GroupPrivacy } from '../generated/prisma/enums.ts';
import type { Tx } from '../db/client.ts';
import type { Context } from '../context.ts';
import { badInput, isUniqueViolation } from '../errors.ts';
import { chooseSlug } from './slugs.ts';
import { searchKey } from './search.ts';
import { write, type Write } from './transaction.ts';
import { LIMITS, optionalText, optionalUrl, requiredLine, requiredText } from './validate.ts';

export interface GroupSettingsInput {
  membersCanApprove?: boolean | null;
  membersCanInvite?: boolean | null;
  showMemberList?: boolean | null;
}

export interface NewGroup {
  name: string;
  description?: string | null;
  privacy?: GroupPrivacy | null;
  coverImageUrl?: string | null;
  settings?: GroupSettingsInput | null;
}

/** Settings with nulls dropped: a null in an input means "leave as it is" (or the default). */
function settingsData(settings: GroupSettingsInput | null | undefined) {
  const data: { membersCanApprove?: boolean; membersCanInvite?: boolean; showMemberList?: boolean } = {};
  if (settings?.membersCanApprove != null) data.membersCanApprove = settings.membersCanApprove;
  if (settings?.membersCanInvite != null) data.membersCanInvite = settings.membersCanInvite;
  if (settings?.showMemberList != null) data.showMemberList = settings.showMemberList;
  return data;
}

/** Validates a new group's fields into the columns they are stored in. */
export function validateNewGroup(input: NewGroup) {
  const name = requiredLine('The group name', input.name, LIMITS.name);
  return {
    name,
    description: optionalText('The description', input.description, LIMITS.description),
    privacy: input.privacy ?? 'PUBLIC',
    coverImageUrl: optionalUrl('The cover image URL', input.coverImageUrl),
    ...settingsData(input.settings),
  };
}

/**
 * Creates a group whose first ADMIN is `adminId`, with its GROUP_CREATED event. A slug taken by a concurrent
 * creation fails the unique index; the caller retries the whole transaction (withSlugRetry), since a failed
 * statement aborts a PostgreSQL transaction.
 */
export async function insertGroup(w: Write, fields: ReturnType<typeof validateNewGroup>, adminId: string): Promise<Group> {
  const slug = await chooseSlug(w.tx, fields.name, fields.privacy);
  const group = await w.tx.group.create({
    data: {
      ...fields,
      slug,
      nameSearch: searchKey(fields.name),
      createdBy: adminId,
      membersCount: 1,
      members: { create: { memberId: adminId, role: 'ADMIN' } },
    },
  });
  w.record({ type: 'GROUP_CREATED', group, memberId: adminId, role: 'ADMIN' });
  return group;
}

/** Runs a write, retrying it (a few times) when it lost a race on a unique slug. */
export async function withSlugRetry<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (!isUniqueViolation(error) || attempt >= 5) throw error;
    }
  }
}

/** `createGroup` for a viewer allowed to create directly. */
export function createGroup(ctx: Context, input: NewGroup, adminId: string): Promise<Group> {
  const fields = validateNewGroup(input);
  return withSlugRetry(() => write(ctx, (w) => insertGroup(w, fields, adminId)));
}

/** `createGroup` under ADMIN_APPROVAL: a pending create request for a Groups Manager to decide. */
export function requestGroupCreation(ctx: Context, input: NewGroup, requestedBy: string) {
  const fields = validateNewGroup(input);
  return ctx.db.createRequest.create({ data: { ...fields, requestedBy } });
}

export interface GroupUpdate {
  name?: string | null;
  description?: string | null;
  privacy?: GroupPrivacy | null;
  coverImageUrl?: string | null;
}

/**
 * Updates the group in one transaction with its GROUP_UPDATED event. `change` runs first, in the same
 * transaction; the columns it returns (if any) are written along with `data`.
 */
async function changeGroup(ctx: Context, groupId: string, change: (tx: Tx, w: Write) => Promise<object | void>, data: object): Promise<Group> {
  return write(ctx, async (w) => {
    const more = await change(w.tx, w);
    const group = await w.tx.group.update({ where: { id: groupId }, data: { ...data, ...more, updatedAt: new Date() } });
    w.record({ type: 'GROUP_UPDATED', group });
    return w.tx.group.findUniqueOrThrow({ where: { id: groupId } });
  });
}

/** Why a request is closed when its group stops taking requests: the same words whichever way it stopped. */
const NO_LONGER_TAKES_REQUESTS = 'The group no longer takes requests to join.';

/**
 * Closes the group's pending join requests (REJECTED, JOIN_REQUEST_REJECTED to each requester) when it stops
 * taking them: made SECRET (joined only by invitation) or deleted. Both ways read the same to a requester,
 * who sees the group no more either way: a secret group's existence is not told by how its requests end.
 */
async function closePendingRequests(w: Write, ctx: Context, group: Pick<Group, 'id' | 'privacy' | 'showMemberList'>) {
  const pending = await w.tx.joinRequest.findMany({ where: { groupId: group.id, status: 'PENDING' }, select: { memberId: true }, orderBy: { createdAt: 'asc' } });
  if (!pending.length) return;
  await w.tx.joinRequest.updateMany({
    where: { groupId: group.id, status: 'PENDING' },
    data: { status: 'REJECTED', pendingKey: null, decidedAt: new Date(), decidedBy: ctx.viewer.memberId, rejectionReason: NO_LONGER_TAKES_REQUESTS },
  });
  for (const { memberId } of pending) w.record({ type: 'JOIN_REQUEST_REJECTED', group, memberId });
}

/**
 * Updates name, description, privacy or cover. The slug stays, so links to the group keep working, except
 * when the group becomes SECRET: it then takes a secret slug (see slugs.ts), since a plain slug held by a
 * hidden group would make the next visible group of that name numbered, telling its creator the hidden
 * group exists. Only members can reach a secret group, so no outsider's link breaks. Its pending join
 * requests are closed (closePendingRequests). A secret group made visible again takes a plain slug too, as
 * its secret one (a double hyphen) would tell everyone it had been secret.
 */
export function updateGroup(ctx: Context, groupId: string, input: GroupUpdate): Promise<Group> {
  const data: Record<string, unknown> = {};
  if (input.name != null) {
    data.name = requiredLine('The group name', input.name, LIMITS.name);
    data.nameSearch = searchKey(data.name as string);
  }
  if (input.description !== undefined) data.description = optionalText('The description', input.description, LIMITS.description);
  if (input.privacy != null) data.privacy = input.privacy;
  if (input.coverImageUrl !== undefined) data.coverImageUrl = optionalUrl('The cover image URL', input.coverImageUrl);
  const reslug = async (tx: Tx, w: Write) => {
    if (input.privacy == null) return;
    const current = await tx.group.findUniqueOrThrow({ where: { id: groupId }, select: { name: true, privacy: true, showMemberList: true } });
    if ((input.privacy === 'SECRET') === (current.privacy === 'SECRET')) return;
    if (input.privacy === 'SECRET') await closePendingRequests(w, ctx, { id: groupId, privacy: current.privacy, showMemberList: current.showMemberList });
    return { slug: await chooseSlug(tx, (data.name as string | undefined) ?? current.name, input.privacy) };
  };
  return withSlugRetry(() => changeGroup(ctx, groupId, reslug, data));
}

export function updateGroupSettings(ctx: Context, groupId: string, input: GroupSettingsInput): Promise<Group> {
  return changeGroup(ctx, groupId, async () => undefined, settingsData(input));
}

/** Replaces the group's rules with `rules`, in that order. */
export function setGroupRules(ctx: Context, groupId: string, rules: { title: string; description: string }[]) {
  if (rules.length > LIMITS.rules) throw badInput(`A group may have at most ${LIMITS.rules} rules.`);
  const rows = rules.map((rule, position) => ({
    groupId,
    position,
    title: requiredText('A rule title', rule.title, LIMITS.ruleTitle),
    description: requiredText('A rule description', rule.description, LIMITS.ruleDescription),
  }));
  return changeGroup(
    ctx,
    groupId,
    async (tx) => {
      await tx.groupRule.deleteMany({ where: { groupId } });
      if (rows.length) await tx.groupRule.createMany({ data: rows });
    },
    {},
  );
}

/** Replaces the group's membership questions with `questions`, in that order. */
export function setMembershipQuestions(ctx: Context, groupId: string, questions: { text: string; required?: boolean | null }[]) {
  if (questions.length > LIMITS.questions) throw badInput(`A group may have at most ${LIMITS.questions} questions.`);
  const rows = questions.map((question, position) => ({
    groupId,
    position,
    text: requiredText('A question', question.text, LIMITS.questionText),
    required: question.required ?? false,
  }));
  return changeGroup(
    ctx,
    groupId,
    async (tx) => {
      await tx.membershipQuestion.deleteMany({ where: { groupId } });
      if (rows.length) await tx.membershipQuestion.createMany({ data: rows });
    },
    {},
  );
}

/**
 * Deletes the group with everything in it (pending requests closed first); the event log keeps its history,
 * and DeletedGroup the settings its events are still decided by.
 */
export function deleteGroup(ctx: Context, group: Group): Promise<string> {
  return write(ctx, async (w) => {
    await closePendingRequests(w, ctx, group);
    const { membersCanApprove, membersCanInvite, showMemberList } = await w.tx.group.delete({ where: { id: group.id } });
    await w.tx.deletedGroup.create({ data: { id: group.id, membersCanApprove, membersCanInvite, showMemberList } });
    w.record({ type: 'GROUP_DELETED', group });
    return group.id;
  });
}
