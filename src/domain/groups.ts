/**
 * Writes to groups themselves: creation (directly or through a create request), updates, settings, rules,
 * questions and deletion. The shield rules (auth/rules.ts) decided before; a write to an existing group
 * locks it and decides again on fresh data (group-lock.ts), then validates, keeps the invariants and
 * records events, in one transaction.
 */
import type { Group } from '../generated/prisma/client.ts';
import type { GroupPrivacy } from '../generated/prisma/enums.ts';
import type { Context, MemberCtx } from '../context.ts';
import { badInput, conflict, isUniqueViolation } from '../errors.ts';
import { approvePendingRequests } from './membership.ts';
import { lockGroupFor } from './group-lock.ts';
import { chooseSlug, chooseSlugs } from './slugs.ts';
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
 * Creates groups, each with its first ADMIN and its GROUP_CREATED event, in a constant number of statements
 * (a read of the slugs, the groups, their admins); returned in the order given. A slug taken by a concurrent
 * creation fails the unique index; the caller retries the whole transaction (withSlugRetry), since a failed
 * statement aborts a PostgreSQL transaction.
 */
export async function insertGroups(w: Write, entries: readonly { fields: ReturnType<typeof validateNewGroup>; adminId: string }[]): Promise<Group[]> {
  if (entries.length === 0) return [];
  const slugs = await chooseSlugs(w, entries.map(({ fields }) => fields));
  const rows = await w.tx.group.createManyAndReturn({
    data: entries.map(({ fields, adminId }, i) => ({
      ...fields,
      slug: slugs[i],
      nameSearch: searchKey(fields.name),
      createdBy: adminId,
      membersCount: 1,
      // One time for the group, its first member and its event (which sets recentActivityAt to it too).
      createdAt: w.now,
      updatedAt: w.now,
      recentActivityAt: w.now,
    })),
  });
  // Neither database promises RETURNING's order; the slugs are unique.
  const bySlug = new Map(rows.map((group) => [group.slug, group]));
  const groups = slugs.map((slug) => bySlug.get(slug)!);
  await w.tx.groupMember.createMany({
    data: groups.map((group, i) => ({ groupId: group.id, memberId: entries[i].adminId, role: 'ADMIN' as const, joinedAt: w.now })),
  });
  for (const [i, group] of groups.entries()) w.record({ type: 'GROUP_CREATED', group, memberId: entries[i].adminId, role: 'ADMIN' });
  return groups;
}

/** insertGroups for one group. */
export async function insertGroup(w: Write, fields: ReturnType<typeof validateNewGroup>, adminId: string): Promise<Group> {
  const [group] = await insertGroups(w, [{ fields, adminId }]);
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

/**
 * `createGroup` for a viewer allowed to create directly. A pending create request of its first admin for a
 * group of that name (compared as createRequestKey compares names) is fulfilled by it: APPROVED, by whoever
 * created the group, and linked to it. Else a member who had asked under ADMIN_APPROVAL, and then created
 * the group once the site allowed it (or a Groups Manager created it for them), kept a request whose approval
 * would make a second group of the same name. Requests filed before `pendingKey` existed are found by
 * reading the admin's unkeyed pending ones (the oldest of a name is fulfilled).
 * Only a group made as it was asked for fulfils a request: the same privacy and settings (asAsked). A member
 * who asked for a SECRET group with a hidden member list is never recorded as granted it by a PUBLIC group of
 * that name; such a request stays pending, for a Groups Manager to decide.
 */
export function createGroup(ctx: Context, input: NewGroup, adminId: string): Promise<Group> {
  const fields = validateNewGroup(input);
  return withSlugRetry(() =>
    write(ctx, async (w) => {
      // The request is claimed before the slug is chosen, as approveCreateRequests claims its requests: taken
      // the other way round, the two waited on each other (a deadlock on PostgreSQL, which aborted one).
      const key = createRequestKey(adminId, fields.name);
      const decided = { status: 'APPROVED' as const, pendingKey: null, decidedAt: w.now, decidedBy: ctx.viewer.memberId };
      const same = asAsked(fields);
      let [fulfilled] = await w.tx.createRequest.updateManyAndReturn({ where: { pendingKey: key, ...same }, data: decided, select: { id: true } });
      if (!fulfilled) {
        // Requests filed before `pendingKey` existed have none: compared by reading them, as
        // requestGroupCreation does. A group is linked to one request (its unique groupId): the oldest.
        const unkeyed = await w.tx.createRequest.findMany({
          where: { requestedBy: adminId, status: 'PENDING', pendingKey: null, ...same },
          select: { id: true, name: true },
          orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
        });
        const oldest = unkeyed.find((request) => createRequestKey(adminId, request.name) === key);
        if (oldest) [fulfilled] = await w.tx.createRequest.updateManyAndReturn({ where: { id: oldest.id, status: 'PENDING' }, data: decided, select: { id: true } });
      }
      const group = await insertGroup(w, fields, adminId);
      if (fulfilled) await w.tx.createRequest.update({ where: { id: fulfilled.id }, data: { groupId: group.id } });
      return group;
    }),
  );
}

/**
 * What a create request must have asked for to be fulfilled by a group made with `fields` (createGroup): its
 * privacy and settings, with the columns' defaults for what was not given.
 */
function asAsked(fields: ReturnType<typeof validateNewGroup>) {
  return {
    privacy: fields.privacy,
    membersCanApprove: fields.membersCanApprove ?? false,
    membersCanInvite: fields.membersCanInvite ?? false,
    showMemberList: fields.showMemberList ?? true,
  };
}

/**
 * A create request's `pendingKey` while it is PENDING: the requester and the name as names are compared for
 * search and sort (trimmed, then searchKey: case-insensitive). Written as a JSON pair, since member ids and
 * names may both hold any separator.
 */
export function createRequestKey(requestedBy: string, name: string): string {
  return JSON.stringify([requestedBy, searchKey(name.trim())]);
}

/**
 * `createGroup` under ADMIN_APPROVAL: a pending create request for a Groups Manager to decide. A member has
 * at most one pending request per name (compared as createRequestKey compares): another is CONFLICT. The
 * unique `pendingKey` decides a race (of two identical requests at once, one is filed); requests filed
 * before the key existed have none, and are compared here by reading them.
 */
export async function requestGroupCreation(ctx: Context, input: NewGroup, requestedBy: string) {
  const fields = validateNewGroup(input);
  const pendingKey = createRequestKey(requestedBy, fields.name);
  const duplicate = () =>
    conflict(`You already asked for a group named "${fields.name}"; wait for a Groups Manager to decide, or cancel that request first.`);
  const unkeyed = await ctx.db.createRequest.findMany({ where: { requestedBy, status: 'PENDING', pendingKey: null }, select: { name: true } });
  if (unkeyed.some((request) => createRequestKey(requestedBy, request.name) === pendingKey)) throw duplicate();
  try {
    return await ctx.db.createRequest.create({ data: { ...fields, requestedBy, pendingKey } });
  } catch (error) {
    if (isUniqueViolation(error)) throw duplicate();
    throw error;
  }
}

export interface GroupUpdate {
  name?: string | null;
  description?: string | null;
  privacy?: GroupPrivacy | null;
  coverImageUrl?: string | null;
}

/** What a change to a group did besides the columns `data` names. */
interface GroupChange {
  /** More columns to write along with `data`. */
  columns?: Record<string, unknown>;
  /** Whether it changed something outside the group's row (its rules, its questions). */
  changed?: boolean;
}

/**
 * Updates the group in one transaction with its GROUP_UPDATED event. `change` runs first, in the same
 * transaction, with the group as it is. A change that changes nothing (every column already as asked,
 * nothing else touched) writes nothing: no event, and neither updatedAt nor recentActivityAt moves, so an
 * editor saving an unchanged form does not make the group look active. `after` runs once the group is
 * updated, with its row before and after. The group returned is the state after the commit, its
 * recentActivityAt included (the time the event log gives it).
 */
async function changeGroup(
  ctx: MemberCtx,
  groupId: string,
  data: Record<string, unknown>,
  change?: (w: Write, current: Group) => Promise<GroupChange | void>,
  after?: (w: Write, before: Group, group: Group) => Promise<void>,
): Promise<Group> {
  return write(ctx, async (w) => {
    const { group: current } = await lockGroupFor(w, ctx, groupId, 'update');
    const extra = (await change?.(w, current)) ?? {};
    const columns = { ...data, ...extra.columns };
    const differs = Object.entries(columns).some(([name, value]) => (current as Record<string, unknown>)[name] !== value);
    if (!differs && !extra.changed) return current;
    const group = await w.tx.group.update({ where: { id: groupId }, data: { ...columns, updatedAt: w.now, recentActivityAt: w.now } });
    w.record({ type: 'GROUP_UPDATED', group });
    if (!after) return group;
    await after(w, current, group);
    return w.tx.group.findUniqueOrThrow({ where: { id: groupId } });
  }, groupId);
}

/** Whether two lists of rows hold the same values of `fields`, in the same order. */
function sameRows<T>(a: readonly T[], b: readonly T[], fields: readonly (keyof T)[]): boolean {
  return a.length === b.length && a.every((row, i) => fields.every((field) => row[field] === b[i][field]));
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
    data: { status: 'REJECTED', pendingKey: null, decidedAt: w.now, decidedBy: ctx.viewer.memberId, rejectionReason: NO_LONGER_TAKES_REQUESTS },
  });
  for (const { memberId } of pending) w.record({ type: 'JOIN_REQUEST_REJECTED', group, memberId });
}

/**
 * Updates name, description, privacy or cover. The slug stays, so links to the group keep working, except
 * when the group becomes SECRET: it then takes a secret slug (see slugs.ts), since a plain slug held by a
 * hidden group would make the next visible group of that name numbered, telling its creator the hidden
 * group exists. Only members can reach a secret group, so no outsider's link breaks. Its pending join
 * requests are closed (closePendingRequests). A secret group made visible again takes a plain slug too, as
 * its secret one (a double hyphen) would tell everyone it had been secret. A PRIVATE group made PUBLIC
 * approves its pending requests (approvePendingRequests): anyone may now join at once, and those who asked
 * first would otherwise be the only ones kept waiting.
 */
export function updateGroup(ctx: MemberCtx, groupId: string, input: GroupUpdate): Promise<Group> {
  const data: Record<string, unknown> = {};
  if (input.name != null) {
    data.name = requiredLine('The group name', input.name, LIMITS.name);
    data.nameSearch = searchKey(data.name as string);
  }
  if (input.description !== undefined) data.description = optionalText('The description', input.description, LIMITS.description);
  if (input.privacy != null) data.privacy = input.privacy;
  if (input.coverImageUrl !== undefined) data.coverImageUrl = optionalUrl('The cover image URL', input.coverImageUrl);
  const reslug = async (w: Write, current: Group): Promise<GroupChange | void> => {
    if (input.privacy == null || (input.privacy === 'SECRET') === (current.privacy === 'SECRET')) return;
    if (input.privacy === 'SECRET') await closePendingRequests(w, ctx, current);
    return { columns: { slug: await chooseSlug(w, (data.name as string | undefined) ?? current.name, input.privacy) } };
  };
  const opened = async (w: Write, before: Group, group: Group) => {
    if (before.privacy !== 'PUBLIC' && group.privacy === 'PUBLIC') await approvePendingRequests(w, group, ctx.viewer.memberId);
  };
  return withSlugRetry(() => changeGroup(ctx, groupId, data, reslug, opened));
}

export function updateGroupSettings(ctx: MemberCtx, groupId: string, input: GroupSettingsInput): Promise<Group> {
  return changeGroup(ctx, groupId, settingsData(input));
}

/** Replaces the group's rules with `rules`, in that order. */
export function setGroupRules(ctx: MemberCtx, groupId: string, rules: { title: string; description: string }[]) {
  if (rules.length > LIMITS.rules) throw badInput(`A group may have at most ${LIMITS.rules} rules.`);
  const rows = rules.map((rule, position) => ({
    groupId,
    position,
    // Titles and questions are one line, as names are: shown to anyone who may see the group, they must not
    // show as another text (`a\u202Eb`). A rule's description may run over several lines.
    title: requiredLine('A rule title', rule.title, LIMITS.ruleTitle),
    description: requiredText('A rule description', rule.description, LIMITS.ruleDescription),
  }));
  return changeGroup(ctx, groupId, {}, async (w) => {
    const existing = await w.tx.groupRule.findMany({ where: { groupId }, orderBy: { position: 'asc' } });
    if (sameRows(existing, rows, ['title', 'description'])) return;
    await w.tx.groupRule.deleteMany({ where: { groupId } });
    if (rows.length) await w.tx.groupRule.createMany({ data: rows });
    return { changed: true };
  });
}

/**
 * A question's text as questions are compared: case and accents aside, nothing else. Not searchKey, which
 * folds more (`x²` is `x2`, `ß` is `ss`) and is cut to a length: two long questions that differed only past
 * it read as one, and an edited question kept the id an old form's answer would have been filed under.
 */
const questionKey = (text: string) => text.normalize('NFD').replace(/\p{Mn}/gu, '').toLowerCase();

/**
 * Replaces the group's membership questions with `questions`, in that order. A question keeps its id, which
 * join forms and pending requests' answers refer to, as long as its text stays (compared as names are: case
 * and accents aside): saving the form with a question moved, made required or added leaves the others' ids
 * as they were. A question whose text changed is a new question with a new id, so an answer from a form loaded
 * before is refused (load the questions again), never filed under a question its member did not read. A
 * question left out is removed. Two questions of the same text are refused (one could not be told from the
 * other), unless the list is the one the group has (saved as it was before such lists were refused).
 */
export function setMembershipQuestions(ctx: MemberCtx, groupId: string, questions: { text: string; required?: boolean | null }[]) {
  if (questions.length > LIMITS.questions) throw badInput(`A group may have at most ${LIMITS.questions} questions.`);
  const rows = questions.map((question, position) => ({
    groupId,
    position,
    text: requiredLine('A question', question.text, LIMITS.questionText),
    required: question.required ?? false,
  }));
  return changeGroup(ctx, groupId, {}, async (w) => {
    const existing = await w.tx.membershipQuestion.findMany({ where: { groupId }, orderBy: { position: 'asc' } });
    // Each text's ids among the group's questions, in their order: the same text keeps its id.
    const idsByText = new Map<string, string[]>();
    for (const question of existing) {
      const key = questionKey(question.text);
      idsByText.set(key, [...(idsByText.get(key) ?? []), question.id]);
    }
    const kept = rows.map((row) => ({ ...row, id: idsByText.get(questionKey(row.text))?.shift() ?? null }));
    if (sameRows(existing, kept, ['id', 'text', 'required'])) return;
    const texts = new Set<string>();
    for (const row of rows) {
      if (texts.has(questionKey(row.text))) throw badInput(`Two questions read "${row.text}": ask each question once.`);
      texts.add(questionKey(row.text));
    }
    // Two statements whatever the number of questions: the rows are written anew, those kept with their ids.
    await w.tx.membershipQuestion.deleteMany({ where: { groupId } });
    if (kept.length) {
      await w.tx.membershipQuestion.createMany({ data: kept.map(({ id, ...row }) => (id === null ? row : { id, ...row })) });
    }
    return { changed: true };
  });
}

/**
 * Deletes the group with everything in it (pending requests closed first); the event log keeps its history,
 * and DeletedGroup the settings its events are still decided by.
 */
export function deleteGroup(ctx: MemberCtx, groupId: string): Promise<string> {
  return write(ctx, async (w) => {
    const { group } = await lockGroupFor(w, ctx, groupId, 'delete');
    await closePendingRequests(w, ctx, group);
    const { membersCanApprove, membersCanInvite, showMemberList } = await w.tx.group.delete({ where: { id: group.id } });
    await w.tx.deletedGroup.create({ data: { id: group.id, membersCanApprove, membersCanInvite, showMemberList } });
    w.record({ type: 'GROUP_DELETED', group });
    return group.id;
  }, groupId);
}
