/**
 * The visibility and permission policy of the gateway, written once.
 *
 * Every decision about who may see or do what to a group is a pure function here, of three things: the
 * viewer, the group's facts (privacy and settings) and the viewer's role in that group (null when not a
 * member). graphql-shield rules (rules.ts), the writes' second check once they hold the group
 * (domain/group-lock.ts) and the live-event filter (live/audience.ts) ask these functions; the SQL conditions
 * that filter lists (visibility.ts) state them for rows, each tested against its function here.
 */
import type { GroupCreationPolicy, GroupEventType, GroupPrivacy, GroupRole } from '../generated/prisma/enums.ts';
import type { GraphQLError } from 'graphql';
import { forbidden, groupNotFound } from '../errors.ts';
import type { Viewer } from './viewer.ts';

/** What the policy needs to know about a group. A Group row satisfies it. */
export interface GroupFacts {
  privacy: GroupPrivacy;
  membersCanApprove: boolean;
  membersCanInvite: boolean;
  showMemberList: boolean;
}

/** The viewer's role in one group, null when the viewer is not a member. */
export type ViewerRole = GroupRole | null;

/** The group's `viewerCan` field: what the viewer may do, answered before they try. */
export interface GroupPermissions {
  view: boolean;
  viewContent: boolean;
  /** May read `members`: the content rule narrowed by `showMemberList` (canReadMembers). */
  viewMembers: boolean;
  join: boolean;
  requestToJoin: boolean;
  leave: boolean;
  addMembers: boolean;
  removeMembers: boolean;
  approveJoinRequests: boolean;
  assignRoles: boolean;
  update: boolean;
  delete: boolean;
}

/** A group-scoped action a mutation needs permission for. */
export type GroupAction = Exclude<keyof GroupPermissions, 'view' | 'viewContent' | 'viewMembers'>;

const isAdmin = (role: ViewerRole) => role === 'ADMIN';
const isMember = (role: ViewerRole) => role !== null;

/**
 * May the viewer know the group exists? PUBLIC and PRIVATE: everyone, anonymous included.
 * SECRET: its members and Groups Managers only. A group that fails this does not exist for the viewer.
 */
export function canSeeGroup(viewer: Viewer, group: Pick<GroupFacts, 'privacy'>, role: ViewerRole): boolean {
  return group.privacy !== 'SECRET' || viewer.isGroupsManager || isMember(role);
}

/**
 * May the viewer see the group's content (members, events)? PUBLIC: everyone. PRIVATE and SECRET: its
 * members and Groups Managers.
 */
export function canSeeContent(viewer: Viewer, group: Pick<GroupFacts, 'privacy'>, role: ViewerRole): boolean {
  return group.privacy === 'PUBLIC' || viewer.isGroupsManager || isMember(role);
}

/**
 * May the viewer read the member list? The content rule, narrowed by `showMemberList = false`, which hides
 * the list from plain members (and so from everyone else) while admins and Groups Managers still see it.
 */
export function canReadMembers(viewer: Viewer, group: GroupFacts, role: ViewerRole): boolean {
  if (viewer.isGroupsManager || isAdmin(role)) return true;
  return group.showMemberList && canSeeContent(viewer, group, role);
}

/**
 * May the viewer decide (and so read) the group's join requests? Group admins and Groups Managers; plain
 * members too when `membersCanApprove`.
 */
export function canDecideJoinRequests(viewer: Viewer, group: GroupFacts, role: ViewerRole): boolean {
  if (viewer.isGroupsManager || isAdmin(role)) return true;
  return isMember(role) && group.membersCanApprove;
}

/**
 * May the viewer add members? SECRET: any member. PUBLIC/PRIVATE: admins, and members when
 * `membersCanInvite`. Groups Managers always.
 */
export function canAddMembers(viewer: Viewer, group: GroupFacts, role: ViewerRole): boolean {
  if (viewer.isGroupsManager || isAdmin(role)) return true;
  if (!isMember(role)) return false;
  return group.privacy === 'SECRET' || group.membersCanInvite;
}

/**
 * May a member of this role leave, or be removed or demoted? Not the group's only admin, even when alone in
 * it: a group left without an admin would be run by whoever came in next (a stranger joining a PUBLIC group
 * would become its admin, and could rename or delete it). The only admin makes someone else admin first, or
 * deletes the group.
 */
export function mayLeaveAs(role: ViewerRole, soleAdmin: boolean): boolean {
  return !(isAdmin(role) && soleAdmin);
}

/** Admin powers over one group (update, delete, settings, rules, questions, roles, removing members). */
export function canManageGroup(viewer: Viewer, role: ViewerRole): boolean {
  return viewer.isGroupsManager || isAdmin(role);
}

/**
 * Every permission of the viewer on one group. `hasPendingRequest` is whether the viewer already has a
 * pending join request there (a second one is not offered); `soleAdmin`, whether the viewer is its only
 * admin, who may not leave (a group always keeps an admin: see mayLeaveAs).
 */
export function groupPermissions(
  viewer: Viewer,
  group: GroupFacts,
  role: ViewerRole,
  hasPendingRequest: boolean,
  soleAdmin = false,
): GroupPermissions {
  const view = canSeeGroup(viewer, group, role);
  const signedIn = viewer.memberId !== null;
  const outsider = signedIn && view && !isMember(role) && !hasPendingRequest;
  const manage = view && canManageGroup(viewer, role);
  return {
    view,
    viewContent: view && canSeeContent(viewer, group, role),
    viewMembers: view && canReadMembers(viewer, group, role),
    join: outsider && group.privacy === 'PUBLIC',
    requestToJoin: outsider && group.privacy === 'PRIVATE',
    leave: isMember(role) && mayLeaveAs(role, soleAdmin),
    addMembers: view && canAddMembers(viewer, group, role),
    removeMembers: manage,
    approveJoinRequests: view && canDecideJoinRequests(viewer, group, role),
    assignRoles: manage,
    update: manage,
    delete: manage,
  };
}

/** What the policy needs to know about one event of the log. A GroupEvent row satisfies it. */
export interface EventFacts {
  type: GroupEventType;
  /** The member the event is about (joined, removed, asked to join...), if any. */
  memberId: string | null;
  /** The group's privacy when the event happened. */
  groupPrivacy: GroupPrivacy;
  /** Whether the group showed its member list (showMemberList) when the event happened. */
  memberListShown: boolean;
}

const PRIVACY_RANK: Record<GroupPrivacy, number> = { PUBLIC: 0, PRIVATE: 1, SECRET: 2 };

/** The more closed of two privacy levels. */
export function stricterPrivacy(a: GroupPrivacy, b: GroupPrivacy): GroupPrivacy {
  return PRIVACY_RANK[a] >= PRIVACY_RANK[b] ? a : b;
}

/** Events that tell who is in the group, and with what role: part of the member list. */
export const MEMBER_LIST_EVENT_TYPES = [
  'MEMBER_JOINED',
  'MEMBER_ADDED',
  'MEMBER_LEFT',
  'MEMBER_REMOVED',
  'ROLE_ASSIGNED',
  'ROLE_UNASSIGNED',
] as const satisfies readonly GroupEventType[];

/** Events about join requests: for those who may decide them. */
export const JOIN_REQUEST_EVENT_TYPES = [
  'JOIN_REQUEST_CREATED',
  'JOIN_REQUEST_APPROVED',
  'JOIN_REQUEST_REJECTED',
  'JOIN_REQUEST_CANCELED',
] as const satisfies readonly GroupEventType[];

const MEMBER_LIST_EVENTS = new Set<GroupEventType>(MEMBER_LIST_EVENT_TYPES);
const JOIN_REQUEST_EVENTS = new Set<GroupEventType>(JOIN_REQUEST_EVENT_TYPES);

/**
 * A deleted group's events, its GROUP_DELETED included, are judged with its settings when it was deleted
 * (DeletedGroup) and each member's role then (`roleAfter`: their latest membership event). It counts as
 * SECRET: its events reach only its members at the deletion and Groups Managers, so to anyone else a deleted
 * group and a group made secret look the same (both vanish, history and all, with no event), and a vanished
 * group never tells whether it still exists as a secret one.
 */
export const DELETED_PRIVACY: GroupPrivacy = 'SECRET';

/**
 * A deleted group whose settings were not kept (deleted before they were): its member list counts as hidden
 * (admins and Groups Managers only), and its members decide no requests.
 */
export const DELETED_GROUP: GroupFacts = { privacy: DELETED_PRIVACY, membersCanApprove: false, membersCanInvite: false, showMemberList: false };

/** The facts of a deleted group: its settings when it was deleted (null: not kept), privacy DELETED_PRIVACY. */
export function deletedGroupFacts(settings: Omit<GroupFacts, 'privacy'> | null): GroupFacts {
  if (!settings) return DELETED_GROUP;
  const { membersCanApprove, membersCanInvite, showMemberList } = settings;
  return { privacy: DELETED_PRIVACY, membersCanApprove, membersCanInvite, showMemberList };
}

/**
 * The events that change a membership, and the role each leaves its member with: a role, null (no longer a
 * member), or `EVENT_ROLE`, the role the event records.
 */
export const EVENT_ROLE = 'EVENT_ROLE';
export const ROLE_AFTER: Partial<Record<GroupEventType, GroupRole | null | typeof EVENT_ROLE>> = {
  GROUP_CREATED: EVENT_ROLE,
  MEMBER_JOINED: 'MEMBER',
  MEMBER_ADDED: 'MEMBER',
  JOIN_REQUEST_APPROVED: 'MEMBER',
  ROLE_ASSIGNED: EVENT_ROLE,
  ROLE_UNASSIGNED: 'MEMBER',
  MEMBER_LEFT: null,
  MEMBER_REMOVED: null,
};

/** The role a membership event leaves its member with (null: no longer a member); undefined for other events. */
export function roleAfter(event: { type: GroupEventType; role: GroupRole | null }): ViewerRole | undefined {
  const after = ROLE_AFTER[event.type];
  return after === EVENT_ROLE ? event.role : after;
}

/**
 * The events that begin a membership (the member was not one before them): `memberSince` of a deleted
 * group's former member is the time of their latest.
 */
export const MEMBERSHIP_START_EVENTS: readonly GroupEventType[] = ['GROUP_CREATED', 'MEMBER_JOINED', 'MEMBER_ADDED', 'JOIN_REQUEST_APPROVED'];

/**
 * The viewer's role as an event is judged by: their role, except that what happened while the group was not
 * PUBLIC (PRIVATE or SECRET) counts only for those who were members then. A membership that began after such
 * an event (the member joined once the group was opened, or was added later) counts as none for it, so a
 * closed group's past (who was in it, who left) stays with those who were there, whoever joins it later.
 * Private days are treated as secret ones are: were only the secret days withheld, the hole they leave in a
 * newcomer's replay (no GROUP_CREATED, where a group made PRIVATE shows one) would tell that the group was
 * secret. `memberSince`: when their membership began (null: not a member).
 */
export function roleForEvent(role: ViewerRole, memberSince: Date | null, event: { groupPrivacy: GroupPrivacy; occurredAt: Date }): ViewerRole {
  if (role === null || memberSince === null || event.groupPrivacy === 'PUBLIC') return role;
  return memberSince.getTime() <= event.occurredAt.getTime() ? role : null;
}

/** Is the event about the viewer (their request, removal, role)? Then it is theirs whatever the group. */
export function isAboutViewer(viewer: Viewer, event: Pick<EventFacts, 'memberId'>): boolean {
  return viewer.memberId !== null && event.memberId === viewer.memberId;
}

/**
 * Is an event's actor named to the viewer whatever the group? When there is none, when the actor is the
 * member the event is about (their own act), and when the actor is the viewer.
 */
export function actorAlwaysNamed(viewer: Viewer, event: Pick<EventFacts, 'memberId'> & { actorId: string | null }): boolean {
  return event.actorId === null || event.actorId === event.memberId || (viewer.memberId !== null && event.actorId === viewer.memberId);
}

/**
 * The group's facts an event is judged by: its privacy the more closed of then (the event's) and now, and its
 * member list shown only if it was shown then and is now.
 */
function judgedFacts(group: GroupFacts, event: EventFacts): GroupFacts {
  const privacy = stricterPrivacy(group.privacy, event.groupPrivacy);
  const showMemberList = group.showMemberList && event.memberListShown;
  return privacy === group.privacy && showMemberList === group.showMemberList ? group : { ...group, privacy, showMemberList };
}

/**
 * May the viewer receive one event of the log (live, or replayed with `after`)? An event is the group's
 * content, read as what it tells:
 * - the member it is about always receives it (a member removed from a secret group gets that MEMBER_REMOVED,
 *   and nothing after);
 * - join-request events reach those who may decide the requests;
 * - membership and role changes are the member list: those who may read it (`showMemberList` included);
 * - the rest (the group created, updated, deleted) those who may see the content.
 * The group is judged by the more closed of its privacy when the event happened and its privacy now: what
 * happened while a group was secret or private stays hidden from outsiders after it opens, and what happened
 * while it was public is hidden once it is secret (else a replay would tell it still exists). Its member list
 * likewise: who joined, left or acted while the list was hidden stays hidden after it is shown again.
 * `role` is the viewer's role as roleForEvent gives it for this event (an event of the group's private or
 * secret days before their membership began: none).
 */
export function canReceiveEvent(viewer: Viewer, event: EventFacts, group: GroupFacts, role: ViewerRole): boolean {
  if (isAboutViewer(viewer, event)) return true;
  const facts = judgedFacts(group, event);
  if (JOIN_REQUEST_EVENTS.has(event.type)) return canDecideJoinRequests(viewer, facts, role);
  if (MEMBER_LIST_EVENTS.has(event.type)) return canReadMembers(viewer, facts, role);
  return canSeeContent(viewer, facts, role);
}

/**
 * May the viewer see who acted on an event it receives (`actorId`)? The actor is a member of the group (an
 * admin, most often) or a Groups Manager, and naming them is part of the member list: shown to those who may
 * read it (judged as canReceiveEvent judges the group), and always when the actor is the viewer or the member
 * the event is about (their own act: joined, left, asked, created the group, which `createdBy` shows anyway).
 * Else a group with a hidden member list would name its admins on every GROUP_UPDATED.
 *
 * A GROUP_CREATED whose actor is not the group's first admin is a Groups Manager's decision: approving a
 * create request, or creating the group for someone (`creatorId`, which fulfils their request of that name).
 * That manager is named as CreateRequest.decidedBy names them (canSeeCreateRequestDecider): to Groups
 * Managers only, never to the requester or the group's members.
 */
export function canSeeEventActor(
  viewer: Viewer,
  event: EventFacts & { actorId: string | null },
  group: GroupFacts,
  role: ViewerRole,
): boolean {
  if (actorAlwaysNamed(viewer, event) || viewer.isGroupsManager) return true;
  return !MANAGER_DECISION_EVENTS.has(event.type) && canReadMembers(viewer, judgedFacts(group, event), role);
}

/** The events whose actor, when not the member the event is about, is a Groups Manager's decision (canSeeEventActor). */
export const MANAGER_DECISION_EVENT_TYPES = ['GROUP_CREATED'] as const satisfies readonly GroupEventType[];
const MANAGER_DECISION_EVENTS = new Set<GroupEventType>(MANAGER_DECISION_EVENT_TYPES);

/**
 * May the viewer see who decided a join request (`JoinRequest.decidedBy`)? The same act as the
 * JOIN_REQUEST_* event's actor, named by the same rule: always the requester's own act (they canceled) and
 * the viewer's own, else to those who may read the member list. A plain member who may approve requests, in
 * a group whose list is hidden, is not told which admin decided the others' (as its events do not name them).
 */
export function canSeeRequestDecider(
  viewer: Viewer,
  request: { memberId: string; decidedBy: string | null },
  group: GroupFacts,
  role: ViewerRole,
): boolean {
  return actorAlwaysNamed(viewer, { memberId: request.memberId, actorId: request.decidedBy }) || canReadMembers(viewer, group, role);
}

/**
 * May the viewer read who decided a create request (`CreateRequest.decidedBy`)? Groups Managers, and the
 * one who decided it: its requester sees their own cancel, never which manager approved or rejected it.
 */
export function canSeeCreateRequestDecider(viewer: Viewer, request: { decidedBy: string | null }): boolean {
  return viewer.isGroupsManager || (viewer.memberId !== null && request.decidedBy === viewer.memberId);
}

/**
 * May the viewer read a join request (`node(id:)`)? Its requester, while they may see its group (a request
 * to a group made SECRET is gone for them, as it is from their list), and whoever may decide the group's
 * requests: the two lists it appears in (`viewer.joinRequests`, `joinRequestsToDecide` and Group.joinRequests).
 */
export function canSeeJoinRequest(viewer: Viewer, request: { memberId: string }, group: GroupFacts, role: ViewerRole): boolean {
  const own = viewer.memberId !== null && request.memberId === viewer.memberId;
  return (own && canSeeGroup(viewer, group, role)) || canDecideJoinRequests(viewer, group, role);
}

/**
 * May the viewer read a create request (`node(id:)`)? Its requester and Groups Managers: the two lists it
 * appears in (`viewer.createRequests`, `createRequests`).
 */
export function canSeeCreateRequest(viewer: Viewer, request: { requestedBy: string }): boolean {
  return viewer.isGroupsManager || (viewer.memberId !== null && request.requestedBy === viewer.memberId);
}

/** May the viewer create a group for another member (`createGroup`'s `creatorId`)? Groups Managers only. */
export function canCreateGroupFor(viewer: Viewer): boolean {
  return viewer.isGroupsManager;
}

/** What `createGroup` does for this viewer under the site's creation policy. */
export type CreationOutcome = 'create' | 'request' | 'forbidden';

/**
 * Groups Managers always create directly. Site members: ALL_MEMBERS creates, ADMIN_APPROVAL makes a
 * pending create request, ADMINS_ONLY is forbidden.
 */
export function creationOutcome(viewer: Viewer, policy: GroupCreationPolicy): CreationOutcome {
  if (viewer.isGroupsManager) return 'create';
  if (policy === 'ALL_MEMBERS') return 'create';
  if (policy === 'ADMIN_APPROVAL') return 'request';
  return 'forbidden';
}

/**
 * May the viewer cancel this create request (`cancelCreateRequest`)? Only the member who asked, and only
 * their own. Anyone else's request is NOT_FOUND, the answer for an unknown id, so a refusal never tells a
 * plain member that someone else asked for a group. A Groups Manager, who sees every request anyway, gets
 * FORBIDDEN: they decide others' requests (rejectCreateRequests), they do not withdraw them. Whether the
 * request is still PENDING is the write's to check (CONFLICT), after this.
 */
export function decideCreateRequestCancel(viewer: Viewer, request: { requestedBy: string } | null): Decision {
  if (request === null) return 'NOT_FOUND';
  if (viewer.memberId !== null && request.requestedBy === viewer.memberId) return 'ALLOWED';
  return viewer.isGroupsManager ? 'FORBIDDEN' : 'NOT_FOUND';
}

/** May the viewer list a member's memberships? Groups Managers, and that member. */
export function canListMemberships(viewer: Viewer, memberId: string): boolean {
  return viewer.isGroupsManager || viewer.memberId === memberId;
}

/**
 * Why an action is refused (FORBIDDEN), in words that tell who may take it: the rule of each action above,
 * as API.md states it. A refused viewer sees the group, so naming its rules tells nothing hidden.
 */
export const REFUSALS = {
  addMembers: 'Only the group’s admins and Groups Managers may add members here (its members too, when its settings let members invite).',
  removeMembers: 'Only the group’s admins and Groups Managers may remove members.',
  approveJoinRequests: 'Only the group’s admins and Groups Managers may decide join requests (its members too, when its settings let members approve).',
  assignRoles: 'Only the group’s admins and Groups Managers may change roles.',
  update: 'Only the group’s admins and Groups Managers may change the group, its settings, rules and questions.',
  delete: 'Only the group’s admins and Groups Managers may delete the group.',
} as const satisfies Partial<Record<GroupAction, string>>;

/**
 * The actions a mutation is guarded by, before it runs (the shield rule canOnGroup) and again inside its
 * transaction once the group is locked (domain/group-lock.ts). join, requestToJoin and leave are not among
 * them: their writes answer those cases themselves (CONFLICT for a member joining, or a non-member leaving).
 */
export type GuardedAction = keyof typeof REFUSALS;

/** The answer to "may this viewer do this to this group": allowed, or the error code to fail with. */
export type Decision = 'ALLOWED' | 'NOT_FOUND' | 'FORBIDDEN';

/**
 * Decides a group-scoped action. A missing group and a group the viewer may not see give the same answer,
 * NOT_FOUND, so a refusal never tells a hidden group exists; a visible group gives FORBIDDEN when the
 * action is not the viewer's to take. `view` asks only that the group be visible.
 */
export function decideGroupAction(
  viewer: Viewer,
  group: GroupFacts | null,
  role: ViewerRole,
  action: GroupAction | 'view',
): Decision {
  if (group === null || !canSeeGroup(viewer, group, role)) return 'NOT_FOUND';
  if (action === 'view') return 'ALLOWED';
  return groupPermissions(viewer, group, role, false)[action] ? 'ALLOWED' : 'FORBIDDEN';
}

/**
 * decideGroupAction as the error a refused action fails with, or null when it is allowed: NOT_FOUND in the
 * words of a missing group, or FORBIDDEN saying who may act (REFUSALS). `view` is never FORBIDDEN.
 */
export function groupActionRefusal(
  viewer: Viewer,
  group: GroupFacts | null,
  role: ViewerRole,
  action: GuardedAction | 'view',
): GraphQLError | null {
  const decision = decideGroupAction(viewer, group, role, action);
  if (decision === 'ALLOWED') return null;
  return decision === 'NOT_FOUND' || action === 'view' ? groupNotFound() : forbidden(REFUSALS[action]);
}
