/** Group members: the member list of a group, a member's memberships, and the membership mutations. */
import type { Prisma } from '../generated/prisma/client.ts';
import { signedIn, type Context } from '../context.ts';
import { builder } from '../builder.ts';
import { countMemberships, readMembershipPage } from '../db/membership-list.ts';
import * as membership from '../domain/membership.ts';
import { characters, LIMITS, validMemberId } from '../domain/validate.ts';
import { badInput } from '../errors.ts';
import { MAX_MEMBER_SEARCHES } from '../cost-limit.ts';
import { GroupRole } from './enums.ts';
import { connectionOf, pageArgs } from './connection.ts';
import { cursorShape, emptyPage, encodeCursor, lazyPage, pageWindow, positionOf, rowsToRead, toPage, type PageArgs, type SortKey } from './pagination.ts';
import { Group, visibleGroupById } from './groups.ts';
import { JoinRequest } from './join-requests.ts';

export const GroupMember = builder.prismaObject('GroupMember', {
  fields: (t) => ({
    group: t.field({
      type: Group,
      // A membership is only ever shown inside a group the viewer may see, so its group is visible too.
      resolve: async (member, _args, ctx) => (await ctx.loaders.group.load(member.groupId))!,
    }),
    memberId: t.exposeID('memberId'),
    memberName: t.string({
      nullable: true,
      description: 'The member’s display name, from the newest token they signed in with; null if none carried one.',
      // Batched across the whole page, and read only when asked for (loaders.ts).
      resolve: (member, _args, ctx) => ctx.loaders.memberName.load(member.memberId),
    }),
    role: t.expose('role', { type: GroupRole }),
    joinedAt: t.expose('joinedAt', { type: 'DateTime' }),
  }),
});

export const GroupMemberConnection = connectionOf('GroupMember', GroupMember);

const OLDEST_FIRST: SortKey<'joinedAt' | 'id'>[] = [
  { field: 'joinedAt', order: 'asc', kind: 'date' },
  { field: 'id', order: 'asc', kind: 'string' },
];
const NEWEST_FIRST: SortKey<'joinedAt' | 'id'>[] = [
  { field: 'joinedAt', order: 'desc', kind: 'date' },
  { field: 'id', order: 'desc', kind: 'string' },
];

/** A group's members, oldest first; a member's memberships, newest first: each list's cursors its own. */
const MEMBERS = cursorShape('members', OLDEST_FIRST);
const MEMBERSHIPS = cursorShape('memberships', NEWEST_FIRST);
const memberCursor = (m: { joinedAt: Date; id: string }) => encodeCursor(MEMBERS, [m.joinedAt, m.id]);
const membershipCursor = (m: { joinedAt: Date; id: string }) => encodeCursor(MEMBERSHIPS, [m.joinedAt, m.id]);

builder.objectFields(Group, (t) => ({
  members: t.field({
    type: GroupMemberConnection,
    nullable: true,
    description: 'The members, oldest first. Null with FORBIDDEN when the viewer may not read the list (viewerCan.viewMembers).',
    args: {
      role: t.arg({ type: GroupRole }),
      search: t.arg.string({
        description: `Only members whose display name (memberName) or member id contains this text: names ignoring case and accents, as group search does, ids ignoring ASCII case. Blank is no filter; at most ${LIMITS.id} characters, and at most ${MAX_MEMBER_SEARCHES} searches in one request. totalCount counts the members it finds.`,
      }),
      ...pageArgs(t.arg),
    },
    resolve: async (group, args, ctx) => {
      const search = memberSearch(args.search);
      const window = pageWindow(args, MEMBERS, ctx.config);
      const role = args.role ?? null;
      const rows = await ctx.loaders.memberPage.load({ groupId: group.id, role, search, take: rowsToRead(window), position: positionOf(window) });
      return lazyPage(rows, window, memberCursor, () => {
        if (search !== null) return ctx.loaders.memberSearchCount.load({ groupId: group.id, role, search });
        return role ? ctx.loaders.memberCountByRole.load({ groupId: group.id, role }) : group.membersCount;
      });
    },
  }),
}));

/**
 * A member list's search term: trimmed, null when blank. No member id is longer than LIMITS.id (and no name
 * than LIMITS.name), and SQLite refuses LIKE patterns over 50,000 bytes: a longer term is the client's mistake.
 */
function memberSearch(search: string | null | undefined): string | null {
  const term = search?.trim();
  if (!term) return null;
  if (characters(term) > LIMITS.id) throw badInput(`"search" must be at most ${LIMITS.id} characters.`);
  return term;
}

/**
 * A page of a member's memberships (newest first), in groups the viewer may see. No member (an anonymous
 * viewer's own) is an empty page, its arguments checked all the same.
 */
export async function membershipPage(ctx: Context, memberId: string | null, args: PageArgs) {
  const window = pageWindow(args, MEMBERSHIPS, ctx.config);
  if (memberId === null) return emptyPage<never>();
  const rows = await readMembershipPage(ctx.db, ctx.viewer, memberId, NEWEST_FIRST, window, rowsToRead(window));
  // Each membership's group came with it: `GroupMember.group` finds it in the request's loader.
  for (const { group } of rows) ctx.loaders.group.prime(group.id, group);
  return toPage(rows.map((row) => row.membership), window, membershipCursor, () => countMemberships(ctx.db, ctx.viewer, memberId));
}

builder.queryFields((t) => ({
  memberships: t.field({
    type: GroupMemberConnection,
    nullable: true,
    description:
      'A member’s memberships, newest first: Groups Managers, or that member. Null with UNAUTHENTICATED for anonymous viewers, FORBIDDEN for other members. `memberId` is trimmed; one that no member can have is BAD_USER_INPUT.',
    args: { memberId: t.arg.id({ required: true }), ...pageArgs(t.arg) },
    // Trimmed and checked as the ids of mutations are (the shield rule read it so too: rules.ts).
    resolve: (_root, args, ctx) => membershipPage(ctx, validMemberId('memberId', args.memberId), args),
  }),
}));

const MembershipAnswerInput = builder.inputType('MembershipAnswerInput', {
  fields: (t) => ({ questionId: t.id({ required: true }), text: t.string({ required: true }) }),
});

const JoinRejectionInput = builder.inputType('JoinRejectionInput', {
  fields: (t) => ({ memberId: t.id({ required: true }), reason: t.string() }),
});

const JoinGroupPayload = builder
  .objectRef<Awaited<ReturnType<typeof membership.joinGroup>>>('JoinGroupPayload')
  .implement({
    description: 'Exactly one is set: the membership (PUBLIC), or the pending join request (PRIVATE).',
    fields: (t) => ({
      membership: t.field({ type: GroupMember, nullable: true, resolve: (p) => p.membership }),
      joinRequest: t.field({ type: JoinRequest, nullable: true, resolve: (p) => p.joinRequest }),
    }),
  });

/** The group after the write, for a payload: its membersCount and the viewer's viewerRole and viewerCan now. */
const groupAfter = { type: Group, nullable: true, description: 'The group as it is after this change, while the viewer may still see it (null for a SECRET group they left).' } as const;

const LeaveGroupPayload = builder.objectRef<{ groupId: string }>('LeaveGroupPayload').implement({
  fields: (t) => ({
    groupId: t.exposeID('groupId'),
    group: t.field({ ...groupAfter, resolve: (payload, _args, ctx) => visibleGroupById(ctx, payload.groupId) }),
  }),
});

const RemoveGroupMembersPayload = builder.objectRef<{ groupId: string; removedMemberIds: string[] }>('RemoveGroupMembersPayload').implement({
  fields: (t) => ({
    removedMemberIds: t.exposeIDList('removedMemberIds'),
    group: t.field({ ...groupAfter, resolve: (payload, _args, ctx) => visibleGroupById(ctx, payload.groupId) }),
  }),
});

// Every mutation here is guarded by the shield rule isSignedIn; signedIn(ctx) gives the write its member.
builder.mutationFields((t) => ({
  joinGroup: t.field({
    description:
      'Joins a PUBLIC group at once (membership set; answers, if any, are not kept), or asks to join a PRIVATE one (joinRequest set, PENDING, with the answers: one per question at most, every required one answered, else BAD_USER_INPUT). A SECRET group is NOT_FOUND to those outside it (they join only when added); already a member or already asked: CONFLICT.',
    type: JoinGroupPayload,
    args: { groupId: t.arg.id({ required: true }), answers: t.arg({ type: [MembershipAnswerInput] }) },
    resolve: (_root, args, ctx) => membership.joinGroup(signedIn(ctx), args.groupId, args.answers),
  }),
  cancelJoinRequest: t.field({
    description:
      'Withdraws the viewer’s own pending request to join (CANCELED). None: NOT_FOUND; one already decided: CONFLICT.',
    type: JoinRequest,
    args: { groupId: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => membership.cancelJoinRequest(signedIn(ctx), args.groupId),
  }),
  leaveGroup: t.field({
    description:
      'Leaves the group. Its only admin may not, even alone in it (CONFLICT; viewerCan.leave is false): make another member admin first, or delete the group.',
    type: LeaveGroupPayload,
    args: { groupId: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => ({ groupId: await membership.leaveGroup(signedIn(ctx), args.groupId) }),
  }),
  addGroupMembers: t.field({
    description:
      'Adds site members to the group, in the order given. Ids already in it come back unchanged to those who may read the member list; to others (a plain member who may invite, the list hidden) only the members this call added come back.',
    type: [GroupMember],
    args: { groupId: t.arg.id({ required: true }), memberIds: t.arg.idList({ required: true }) },
    resolve: (_root, args, ctx) => membership.addGroupMembers(signedIn(ctx), args.groupId, args.memberIds),
  }),
  removeGroupMembers: t.field({
    description:
      'Removes members (admins and Groups Managers). All or nothing: an id that is not a member is BAD_USER_INPUT (extensions.memberId names it) and nobody is removed; leaving the group without an admin is CONFLICT. Ids are trimmed and a repeated id counts once (at most 100); the answer follows the order given.',
    type: RemoveGroupMembersPayload,
    args: { groupId: t.arg.id({ required: true }), memberIds: t.arg.idList({ required: true }) },
    resolve: async (_root, args, ctx) => ({
      groupId: args.groupId,
      removedMemberIds: await membership.removeGroupMembers(signedIn(ctx), args.groupId, args.memberIds),
    }),
  }),
  approveJoinRequests: t.field({
    description:
      'Approves pending join requests (admins and Groups Managers; members too when membersCanApprove): each requester joins. All or nothing: an id without a request is NOT_FOUND, one already decided CONFLICT, each naming it in extensions.memberId. Ids are trimmed and a repeated id counts once (at most 100); the answer follows the order given.',
    type: [JoinRequest],
    args: { groupId: t.arg.id({ required: true }), memberIds: t.arg.idList({ required: true }) },
    resolve: (_root, args, ctx) => membership.approveJoinRequests(signedIn(ctx), args.groupId, args.memberIds),
  }),
  rejectJoinRequests: t.field({
    description:
      'Rejects pending join requests, each with an optional reason its requester sees (at most 1,000 characters). Who may, and the errors: as approveJoinRequests. A member named twice counts once, with the last reason given.',
    type: [JoinRequest],
    args: { groupId: t.arg.id({ required: true }), rejections: t.arg({ type: [JoinRejectionInput], required: true }) },
    resolve: (_root, args, ctx) => membership.rejectJoinRequests(signedIn(ctx), args.groupId, args.rejections),
  }),
  assignRole: t.field({
    description:
      'Gives existing members a role (admins and Groups Managers): ADMIN promotes, MEMBER demotes (CONFLICT if no admin would be left). Members who already hold it come back unchanged, with no event. An id that is not a member is BAD_USER_INPUT and nothing changes. Ids are trimmed and a repeated id counts once (at most 100); the answer follows the order given.',
    type: [GroupMember],
    args: { groupId: t.arg.id({ required: true }), memberIds: t.arg.idList({ required: true }), role: t.arg({ type: GroupRole, required: true }) },
    resolve: (_root, args, ctx) => membership.changeRoles(signedIn(ctx), args.groupId, args.memberIds, args.role, true),
  }),
  unassignRole: t.field({
    description:
      'Takes the ADMIN role back (role must be ADMIN; MEMBER is the base role and cannot be taken: BAD_USER_INPUT): the members become plain members. Plain members come back unchanged, with no event. Leaving the group without an admin is CONFLICT. Ids are trimmed and a repeated id counts once (at most 100); the answer follows the order given.',
    type: [GroupMember],
    args: { groupId: t.arg.id({ required: true }), memberIds: t.arg.idList({ required: true }), role: t.arg({ type: GroupRole, required: true }) },
    resolve: (_root, args, ctx) => membership.changeRoles(signedIn(ctx), args.groupId, args.memberIds, args.role, false),
  }),
}));
