/** The Group type, its list and lookups, and the mutations on a group itself. */
import { Prisma } from '../generated/prisma/client.ts';
import { signedIn, type Context } from '../context.ts';
import { builder } from '../builder.ts';
import { canCreateGroupFor, canSeeGroup, creationOutcome, groupPermissions } from '../auth/policy.ts';
import { memberGroupsSql, visibleGroupsSql } from '../auth/visibility.ts';
import { viewerRole } from '../loaders.ts';
import { badInput, forbidden } from '../errors.ts';
import { characters, LIMITS, validMemberId } from '../domain/validate.ts';
import * as groups from '../domain/groups.ts';
import { searchKey } from '../domain/search.ts';
import { GroupPrivacy, GroupRole, GroupSortField, SortOrder } from './enums.ts';
import { connectionOf, pageArgs } from './connection.ts';
import { cursorShape, encodeCursor, pageWindow, rowsToRead, toPage, type SortKey } from './pagination.ts';
import { readGroupPage, type GroupSortColumn } from '../db/group-list.ts';
import { GroupSettings, GroupSettingsInput, groupsSettingsRow } from './settings.ts';
import { GroupRule, MembershipQuestion } from './rules-and-questions.ts';
import { CreateRequest } from './create-requests.ts';
import { Node } from './node.ts';

export const GroupPermissionsType = builder
  .objectRef<ReturnType<typeof groupPermissions>>('GroupPermissions')
  .implement({
    description: 'What the viewer may do with the group, answered before they try.',
    fields: (t) => ({
      view: t.exposeBoolean('view', { description: 'Always true where the group resolves (a group the viewer may not see is null).' }),
      viewContent: t.exposeBoolean('viewContent', {
        description: 'May read the group’s content (its events; its members too, unless the member list is hidden: see viewMembers): PUBLIC everyone, else its members and Groups Managers.',
      }),
      viewMembers: t.exposeBoolean('viewMembers', {
        description: 'May read `members`: as viewContent, except that a group hiding its member list (showMemberList: false) shows it to its admins and Groups Managers only.',
      }),
      join: t.exposeBoolean('join', { description: 'joinGroup makes the viewer a member at once: a signed-in non-member of a PUBLIC group with no pending request.' }),
      requestToJoin: t.exposeBoolean('requestToJoin', { description: 'joinGroup files a join request: a signed-in non-member of a PRIVATE group with no pending request.' }),
      leave: t.exposeBoolean('leave', { description: "leaveGroup: any member but the group's only admin (who makes another member admin first, or deletes the group)." }),
      addMembers: t.exposeBoolean('addMembers', { description: 'addGroupMembers: admins and Groups Managers; members too in a SECRET group, or when settings.membersCanInvite.' }),
      removeMembers: t.exposeBoolean('removeMembers', { description: 'removeGroupMembers: admins and Groups Managers.' }),
      approveJoinRequests: t.exposeBoolean('approveJoinRequests', { description: 'approve/rejectJoinRequests and reading joinRequests: admins and Groups Managers; members too when settings.membersCanApprove.' }),
      assignRoles: t.exposeBoolean('assignRoles', { description: 'assignRole/unassignRole: admins and Groups Managers.' }),
      update: t.exposeBoolean('update', { description: 'updateGroup, updateGroupSettings, setGroupRules, setMembershipQuestions: admins and Groups Managers.' }),
      delete: t.exposeBoolean('delete', { description: 'deleteGroup: admins and Groups Managers.' }),
    }),
  });

export const Group = builder.prismaObject('Group', {
  interfaces: [Node],
  fields: (t) => ({
    id: t.exposeID('id'),
    slug: t.exposeString('slug'),
    name: t.exposeString('name'),
    description: t.exposeString('description', { nullable: true }),
    privacy: t.expose('privacy', { type: GroupPrivacy }),
    coverImageUrl: t.exposeString('coverImageUrl', { nullable: true }),
    createdBy: t.exposeID('createdBy', {
      nullable: true,
      description:
        'The member who created the group (for a Groups Manager’s creatorId, that member), shown wherever the group is, as API.md lists it, even when its member list is hidden. Null when not known.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    recentActivityAt: t.expose('recentActivityAt', { type: 'DateTime' }),
    membersCount: t.exposeInt('membersCount'),
    settings: t.field({ type: GroupSettings, resolve: (group) => group }),
    rules: t.field({ type: [GroupRule], resolve: (group, _args, ctx) => ctx.loaders.rules.load(group.id) }),
    questions: t.field({
      type: [MembershipQuestion],
      resolve: (group, _args, ctx) => ctx.loaders.questions.load(group.id),
    }),
    viewerRole: t.field({
      type: GroupRole,
      nullable: true,
      description: 'The viewer’s role here; null when the viewer is not a member.',
      resolve: (group, _args, ctx) => viewerRole(ctx, group.id),
    }),
    viewerCan: t.field({
      type: GroupPermissionsType,
      resolve: async (group, _args, ctx) => {
        const { membership, pendingJoinRequest, soleAdmin } = await ctx.loaders.viewerStanding.load(group.id);
        return groupPermissions(ctx.viewer, group, membership?.role ?? null, pendingJoinRequest !== null, soleAdmin);
      },
    }),
  }),
});

export const GroupConnection = connectionOf('Group', Group);

const GroupFilter = builder.inputType('GroupFilter', {
  fields: (t) => ({
    privacy: t.field({
      type: [GroupPrivacy],
      required: false,
      description: 'Groups of these privacy levels. Omitted or null: all levels; an empty list matches no group.',
    }),
    search: t.string({ required: false, description: 'Name contains this text, ignoring case and accents (`jose` finds `José`; full-width letters read as plain ones).' }),
    memberId: t.id({
      required: false,
      description: 'Groups this member belongs to: all of them for the member themselves and Groups Managers; for anyone else, among groups whose member list they may read. Trimmed; blank is no filter.',
    }),
  }),
});

const GroupSort = builder.inputType('GroupSort', {
  fields: (t) => ({
    field: t.field({ type: GroupSortField, required: true }),
    order: t.field({ type: SortOrder, required: true }),
  }),
});

type GroupSortKey = SortKey<GroupSortColumn>;
const SORT_COLUMNS = {
  NAME: { field: 'nameSearch', kind: 'string' },
  CREATED_AT: { field: 'createdAt', kind: 'date' },
  MEMBERS_COUNT: { field: 'membersCount', kind: 'int' },
  RECENT_ACTIVITY: { field: 'recentActivityAt', kind: 'date' },
} as const;

/** The sort keys for a `sort` argument: each field once, then the id as tie-break (default: newest first). */
function groupSortKeys(sort: readonly { field: keyof typeof SORT_COLUMNS; order: 'ASC' | 'DESC' }[] | null | undefined): GroupSortKey[] {
  const given = sort?.length ? sort : [{ field: 'CREATED_AT' as const, order: 'DESC' as const }];
  const keys: GroupSortKey[] = [];
  for (const { field, order } of given) {
    const column = SORT_COLUMNS[field];
    if (!keys.some((k) => k.field === column.field)) {
      keys.push({ field: column.field, kind: column.kind, order: order === 'ASC' ? 'asc' : 'desc' }); // no spread: src/context.ts
    }
  }
  keys.push({ field: 'id', kind: 'string', order: keys[keys.length - 1].order });
  return keys;
}

/** A privacy level as a SQL constant (PostgreSQL compares its enum type with constants, not text parameters). */
const PRIVACY_SQL = {
  PUBLIC: Prisma.sql`'PUBLIC'`,
  PRIVATE: Prisma.sql`'PRIVATE'`,
  SECRET: Prisma.sql`'SECRET'`,
} as const;

/**
 * A group named by id in a field (a payload's, a create request's), as the viewer may see it now: through
 * the request's loaders (which a write has cleared of the groups it changed), null when hidden or gone.
 */
export async function visibleGroupById(ctx: Context, groupId: string) {
  const [group, role] = await Promise.all([ctx.loaders.group.load(groupId), viewerRole(ctx, groupId)]);
  return group && canSeeGroup(ctx.viewer, group, role) ? group : null;
}

/**
 * One group the viewer may see (null otherwise), read with the viewer's standing in it (which viewerRole,
 * viewerCan and the permission rules read), and kept in the request's group loader, where the fields under
 * it that name their group (a join request's, a membership's) find it without another read.
 */
async function readVisibleGroup(ctx: Context, by: { id: string } | { slug: string }) {
  const found = await ctx.loaders.visibleGroup.load(by);
  if (!found) return null;
  ctx.loaders.group.prime(found.group.id, found.group);
  if (found.standing) ctx.loaders.viewerStanding.prime(found.group.id, found.standing);
  return found.group;
}

/**
 * The node with this id the viewer may see: a group (as `group(id:)`), else a join or create request the
 * viewer may read. Every id of a request is looked up in one statement per step (loaders.ts): the groups, then
 * the requests among the ids that named no visible group. Hidden and unknown ids alike are null.
 */
async function readVisibleNode(ctx: Context, id: string) {
  return (await readVisibleGroup(ctx, { id })) ?? ctx.loaders.visibleRequest.load(id);
}

/** The most ids `nodes` takes: a page's worth, as MAX_PAGE_SIZE's default. */
const MAX_NODES = 100;

builder.queryFields((t) => ({
  group: t.field({
    type: Group,
    nullable: true,
    description: 'A group by id; null when it does not exist or the viewer may not see it.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => readVisibleGroup(ctx, { id: String(args.id) }),
  }),
  groupBySlug: t.field({
    type: Group,
    nullable: true,
    description: 'A group by slug; null when it does not exist or the viewer may not see it.',
    args: { slug: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => readVisibleGroup(ctx, { slug: args.slug }),
  }),
  node: t.field({
    type: Node,
    nullable: true,
    description:
      'Relay’s refetch: the node with this id, a group (as `group(id:)` answers it) or a join or create request (to those who may read it in one of their lists); null when there is none or the viewer may not see it.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => readVisibleNode(ctx, String(args.id)),
  }),
  nodes: t.field({
    type: [Node],
    nullable: { list: false, items: true },
    description: `The nodes with these ids, in their order, each as \`node(id:)\` answers: null where there is none or the viewer may not see it. At most ${MAX_NODES} ids.`,
    args: { ids: t.arg.idList({ required: true }) },
    resolve: (_root, args, ctx) => {
      if (args.ids.length > MAX_NODES) throw badInput(`"ids" must hold at most ${MAX_NODES} ids.`);
      // Batched: one statement for the groups and the viewer's standing in them (loaders.ts, visibleGroup),
      // then one per kind of request for the ids left (visibleRequest).
      return Promise.all(args.ids.map((id) => readVisibleNode(ctx, String(id))));
    },
  }),
  groups: t.field({
    type: GroupConnection,
    description:
      'The groups the viewer may see, filtered, sorted (ties broken by id) and paged. Without `sort`: newest first (CREATED_AT DESC). A cursor belongs to its sort: another sort refuses it.',
    args: {
      filter: t.arg({ type: GroupFilter }),
      sort: t.arg({ type: [GroupSort] }),
      ...pageArgs(t.arg),
      offset: t.arg.int({ description: 'Rows to skip (after `after`, when both are given), 0 to 10,000; with `first` only.' }),
    },
    resolve: async (_root, args, ctx) => {
      const keys = groupSortKeys(args.sort);
      // The cursors of this sort: one of another sort (or list) is refused, not read as a position here.
      const shape = cursorShape('groups', keys);
      const window = pageWindow(args, shape, ctx.config);
      const conditions = [visibleGroupsSql(ctx.viewer)];
      const filter = args.filter;
      if (filter?.privacy) {
        // An empty list allows no level: no group, as `IN ()` would say if SQL allowed it.
        conditions.push(
          filter.privacy.length
            ? Prisma.sql`g."privacy" IN (${Prisma.join(filter.privacy.map((privacy) => PRIVACY_SQL[privacy]))})`
            : Prisma.sql`1 = 0`,
        );
      }
      const search = filter?.search?.trim();
      // No name is longer than LIMITS.name, and SQLite refuses LIKE patterns over 50,000 bytes (an internal
      // error): a longer search is the client's mistake, said so.
      if (search && characters(search) > LIMITS.name) throw badInput(`"search" must be at most ${LIMITS.name} characters.`);
      // searchKey has mapped LIKE's wildcards away (domain/search.ts), so the term matches as written.
      if (search) conditions.push(Prisma.sql`g."nameSearch" LIKE ${`%${searchKey(search)}%`}`);
      // Trimmed and checked as the ids of mutations are (a blank one is no filter, as a blank search is):
      // `" alice"` pasted from an admin tool is alice, and an id no member can have is said to be one.
      const memberId = filter?.memberId?.trim() ? validMemberId('filter.memberId', filter.memberId) : null;
      if (memberId !== null) {
        conditions.push(
          Prisma.sql`EXISTS (SELECT 1 FROM "GroupMember" om WHERE om."groupId" = g."id" AND om."memberId" = ${memberId})`,
          memberGroupsSql(ctx.viewer, memberId),
        );
      }
      const { rows, standings, total } = await readGroupPage(ctx.db, {
        conditions,
        memberId,
        keys,
        position: window,
        offset: window.offset,
        take: rowsToRead(window),
        viewerId: ctx.viewer.memberId,
      });
      // Read with the page: viewerRole and viewerCan of its groups need no statement of their own, nor do
      // the fields under them that name their group (a join request's).
      for (const [groupId, standing] of standings ?? []) ctx.loaders.viewerStanding.prime(groupId, standing);
      for (const row of rows) ctx.loaders.group.prime(row.id, row);
      return toPage(rows, window, (row) => encodeCursor(shape, keys.map((k) => row[k.field])), total);
    },
  }),
}));

const CreateGroupInput = builder.inputType('CreateGroupInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    description: t.string(),
    privacy: t.field({ type: GroupPrivacy, defaultValue: 'PUBLIC' }),
    coverImageUrl: t.string(),
    settings: t.field({ type: GroupSettingsInput }),
    creatorId: t.id({ description: 'Groups Managers only: the member who becomes the group’s first admin.' }),
  }),
});

const UpdateGroupInput = builder.inputType('UpdateGroupInput', {
  fields: (t) => ({
    name: t.string(),
    description: t.string(),
    privacy: t.field({ type: GroupPrivacy }),
    coverImageUrl: t.string(),
  }),
});

type CreateGroupResult = { group: Awaited<ReturnType<typeof groups.createGroup>> | null; createRequest: Awaited<ReturnType<typeof groups.requestGroupCreation>> | null };

const CreateGroupPayload = builder.objectRef<CreateGroupResult>('CreateGroupPayload').implement({
  description: 'Exactly one of the two is set: the group, or the create request awaiting a Groups Manager.',
  fields: (t) => ({
    group: t.field({ type: Group, nullable: true, resolve: (p) => p.group }),
    createRequest: t.field({ type: CreateRequest, nullable: true, resolve: (p) => p.createRequest }),
  }),
});

const DeleteGroupPayload = builder.objectRef<{ deletedGroupId: string }>('DeleteGroupPayload').implement({
  fields: (t) => ({ deletedGroupId: t.exposeID('deletedGroupId') }),
});

builder.mutationFields((t) => ({
  createGroup: t.field({
    type: CreateGroupPayload,
    description:
      'Creates a group with the viewer (or, for a Groups Manager, creatorId) as its first admin, or, where groupsSettings.groupCreation is ADMIN_APPROVAL, a PENDING create request for a Groups Manager (viewer.groupCreation tells beforehand which, or NOT_ALLOWED: FORBIDDEN). The slug comes from the name.',
    args: { input: t.arg({ type: CreateGroupInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const memberId = ctx.viewer.memberId!;
      if (input.creatorId != null && !canCreateGroupFor(ctx.viewer)) {
        throw forbidden('Only Groups Managers may create a group for another member.');
      }
      const settings = await groupsSettingsRow(ctx.db);
      const outcome = creationOutcome(ctx.viewer, settings.groupCreation);
      if (outcome === 'forbidden') throw forbidden('Only Groups Managers may create groups on this site.');
      if (outcome === 'request') {
        return { group: null, createRequest: await groups.requestGroupCreation(ctx, input, memberId) };
      }
      const adminId = input.creatorId != null ? validMemberId('creatorId', input.creatorId) : memberId;
      return { group: await groups.createGroup(ctx, input, adminId), createRequest: null };
    },
  }),
  updateGroup: t.field({
    type: Group,
    description:
      'Changes the fields given (admins and Groups Managers); the same values change nothing. A change of privacy does more: PRIVATE to PUBLIC approves the pending join requests (their members join); to SECRET rejects them and gives the group a new, unguessable slug; from SECRET back, a new plain slug (links to the old slug stop working).',
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateGroupInput, required: true }) },
    resolve: (_root, args, ctx) => groups.updateGroup(signedIn(ctx), args.id, args.input),
  }),
  deleteGroup: t.field({
    type: DeleteGroupPayload,
    description:
      'Deletes the group with its members, rules and questions (admins and Groups Managers); its pending join requests are rejected first. Its events stay in the log, ending with GROUP_DELETED.',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => ({ deletedGroupId: await groups.deleteGroup(signedIn(ctx), args.id) }),
  }),
}));
