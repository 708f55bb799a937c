/** The policy functions, unit by unit: the table of API.md ("Visibility") written as assertions. */
import { describe, expect, it } from 'vitest';
import {
  canAddMembers,
  canCreateGroupFor,
  canDecideJoinRequests,
  canReadMembers,
  canSeeContent,
  canReceiveEvent,
  canSeeEventActor,
  canSeeCreateRequest,
  canSeeCreateRequestDecider,
  canSeeJoinRequest,
  canSeeRequestDecider,
  roleAfter,
  canSeeGroup,
  creationOutcome,
  decideCreateRequestCancel,
  decideGroupAction,
  groupActionRefusal,
  groupPermissions,
  mayLeaveAs,
  stricterPrivacy,
  type EventFacts,
  type GroupFacts,
  type ViewerRole,
} from '../src/auth/policy.ts';
import { ANONYMOUS, type Viewer } from '../src/auth/viewer.ts';

const siteMember: Viewer = { memberId: 'm', name: null, isGroupsManager: false, expiresAt: null };
const manager: Viewer = { ...siteMember, memberId: 'boss', isGroupsManager: true };
const group = (privacy: GroupFacts['privacy'], settings: Partial<GroupFacts> = {}): GroupFacts => ({
  privacy,
  membersCanApprove: false,
  membersCanInvite: false,
  showMemberList: true,
  ...settings,
});

describe('canSeeGroup', () => {
  it.each([
    ['PUBLIC', ANONYMOUS, null, true],
    ['PRIVATE', ANONYMOUS, null, true],
    ['SECRET', ANONYMOUS, null, false],
    ['SECRET', siteMember, null, false],
    ['SECRET', siteMember, 'MEMBER', true],
    ['SECRET', siteMember, 'ADMIN', true],
    ['SECRET', manager, null, true],
  ] as const)('%s group, viewer %o, role %s: %s', (privacy, viewer, role, expected) => {
    expect(canSeeGroup(viewer, group(privacy), role)).toBe(expected);
  });
});

describe('canSeeContent', () => {
  it.each([
    ['PUBLIC', ANONYMOUS, null, true],
    ['PRIVATE', ANONYMOUS, null, false],
    ['PRIVATE', siteMember, null, false],
    ['PRIVATE', siteMember, 'MEMBER', true],
    ['PRIVATE', manager, null, true],
    ['SECRET', siteMember, 'MEMBER', true],
  ] as const)('%s group, viewer %o, role %s: %s', (privacy, viewer, role, expected) => {
    expect(canSeeContent(viewer, group(privacy), role)).toBe(expected);
  });
});

describe('canReadMembers honours showMemberList', () => {
  const hidden = group('PUBLIC', { showMemberList: false });
  it('hides the list from plain members and outsiders', () => {
    expect(canReadMembers(siteMember, hidden, 'MEMBER')).toBe(false);
    expect(canReadMembers(ANONYMOUS, hidden, null)).toBe(false);
  });
  it('still shows it to admins and managers', () => {
    expect(canReadMembers(siteMember, hidden, 'ADMIN')).toBe(true);
    expect(canReadMembers(manager, hidden, null)).toBe(true);
  });
  it('shows a private group’s list to its members only', () => {
    expect(canReadMembers(siteMember, group('PRIVATE'), null)).toBe(false);
    expect(canReadMembers(siteMember, group('PRIVATE'), 'MEMBER')).toBe(true);
  });
});

describe('group settings', () => {
  it('membersCanApprove lets plain members decide join requests', () => {
    expect(canDecideJoinRequests(siteMember, group('PRIVATE'), 'MEMBER')).toBe(false);
    expect(canDecideJoinRequests(siteMember, group('PRIVATE', { membersCanApprove: true }), 'MEMBER')).toBe(true);
    expect(canDecideJoinRequests(siteMember, group('PRIVATE', { membersCanApprove: true }), null)).toBe(false);
  });
  it('membersCanInvite lets plain members add; in secret groups any member may', () => {
    expect(canAddMembers(siteMember, group('PUBLIC'), 'MEMBER')).toBe(false);
    expect(canAddMembers(siteMember, group('PUBLIC', { membersCanInvite: true }), 'MEMBER')).toBe(true);
    expect(canAddMembers(siteMember, group('SECRET'), 'MEMBER')).toBe(true);
    expect(canAddMembers(siteMember, group('SECRET'), null)).toBe(false);
    expect(canAddMembers(manager, group('SECRET'), null)).toBe(true);
  });
});

describe('groupPermissions', () => {
  it('offers join on PUBLIC and requestToJoin on PRIVATE to signed-in outsiders only', () => {
    expect(groupPermissions(siteMember, group('PUBLIC'), null, false)).toMatchObject({ join: true, requestToJoin: false });
    expect(groupPermissions(siteMember, group('PRIVATE'), null, false)).toMatchObject({ join: false, requestToJoin: true });
    expect(groupPermissions(siteMember, group('PRIVATE'), null, true)).toMatchObject({ requestToJoin: false });
    expect(groupPermissions(ANONYMOUS, group('PUBLIC'), null, false)).toMatchObject({ join: false });
    expect(groupPermissions(siteMember, group('PUBLIC'), 'MEMBER', false)).toMatchObject({ join: false, leave: true });
  });
  it('gives admins and managers the admin powers, and nobody anything on an invisible group', () => {
    const adminPowers = { removeMembers: true, assignRoles: true, update: true, delete: true };
    expect(groupPermissions(siteMember, group('PRIVATE'), 'ADMIN', false)).toMatchObject(adminPowers);
    expect(groupPermissions(manager, group('SECRET'), null, false)).toMatchObject(adminPowers);
    const invisible = groupPermissions(siteMember, group('SECRET'), null, false);
    expect(Object.values(invisible).every((allowed) => allowed === false)).toBe(true);
  });
  it('offers leave to every member but the only admin, who keeps the rest of their powers', () => {
    expect(groupPermissions(siteMember, group('PUBLIC'), 'ADMIN', false, true)).toMatchObject({ leave: false, update: true, delete: true });
    expect(groupPermissions(siteMember, group('PUBLIC'), 'ADMIN', false, false)).toMatchObject({ leave: true });
    expect(groupPermissions(siteMember, group('PUBLIC'), null, false)).toMatchObject({ leave: false });
  });
});

describe('mayLeaveAs', () => {
  it('refuses only the only admin, alone in the group or not', () => {
    expect(mayLeaveAs('ADMIN', true)).toBe(false);
    expect(mayLeaveAs('ADMIN', false)).toBe(true);
    expect(mayLeaveAs('MEMBER', false)).toBe(true);
  });
});

describe('decideGroupAction', () => {
  const cases: [Viewer, GroupFacts | null, ViewerRole, string][] = [
    [siteMember, null, null, 'NOT_FOUND'],
    [siteMember, group('SECRET'), null, 'NOT_FOUND'],
    [siteMember, group('PUBLIC'), null, 'FORBIDDEN'],
    [siteMember, group('PUBLIC'), 'MEMBER', 'FORBIDDEN'],
    [siteMember, group('PUBLIC'), 'ADMIN', 'ALLOWED'],
    [manager, group('SECRET'), null, 'ALLOWED'],
  ];
  it.each(cases)('update by %o on %o as %s: %s', (viewer, facts, role, expected) => {
    expect(decideGroupAction(viewer, facts, role, 'update')).toBe(expected);
  });
  it('never answers FORBIDDEN for a group the viewer may not see', () => {
    for (const action of ['update', 'delete', 'addMembers', 'removeMembers', 'assignRoles', 'approveJoinRequests'] as const) {
      expect(decideGroupAction(siteMember, group('SECRET'), null, action)).toBe('NOT_FOUND');
    }
  });
});

describe('groupActionRefusal', () => {
  it('is decideGroupAction as the error it fails with: NOT_FOUND for an unseen group, FORBIDDEN naming who may act', () => {
    expect(groupActionRefusal(siteMember, group('PUBLIC'), 'ADMIN', 'update')).toBeNull();
    expect(groupActionRefusal(siteMember, group('SECRET'), null, 'delete')?.extensions).toEqual({ code: 'NOT_FOUND' });
    expect(groupActionRefusal(siteMember, null, null, 'view')?.message).toBe('Group not found.');
    const refused = groupActionRefusal(siteMember, group('PUBLIC'), 'MEMBER', 'removeMembers');
    expect({ code: refused?.extensions.code, message: refused?.message }).toEqual({
      code: 'FORBIDDEN',
      message: 'Only the group’s admins and Groups Managers may remove members.',
    });
    expect(groupActionRefusal(siteMember, group('PRIVATE'), null, 'view')).toBeNull();
  });
});

describe('create requests and creation for others', () => {
  it('names who decided a create request to Groups Managers and to the decider only', () => {
    expect(canSeeCreateRequestDecider(manager, { decidedBy: 'another-manager' })).toBe(true);
    expect(canSeeCreateRequestDecider(siteMember, { decidedBy: 'm' })).toBe(true); // their own cancel
    expect(canSeeCreateRequestDecider(siteMember, { decidedBy: 'boss' })).toBe(false);
    expect(canSeeCreateRequestDecider(ANONYMOUS, { decidedBy: null })).toBe(false);
  });
  it('lets only Groups Managers create a group for another member', () => {
    expect([canCreateGroupFor(manager), canCreateGroupFor(siteMember), canCreateGroupFor(ANONYMOUS)]).toEqual([true, false, false]);
  });
});

describe('reading a request by id (node)', () => {
  const ofMember = { memberId: 'm' };
  const ofOther = { memberId: 'x' };
  it('shows a join request to its requester while they may see the group: not once it is SECRET to them', () => {
    expect(canSeeJoinRequest(siteMember, ofMember, group('PRIVATE'), null)).toBe(true);
    expect(canSeeJoinRequest(siteMember, ofMember, group('PUBLIC'), 'MEMBER')).toBe(true);
    expect(canSeeJoinRequest(siteMember, ofMember, group('SECRET'), null)).toBe(false);
    expect(canSeeJoinRequest(ANONYMOUS, ofMember, group('PUBLIC'), null)).toBe(false);
  });
  it('shows another member’s join request to those who may decide it, and to no one else', () => {
    expect(canSeeJoinRequest(siteMember, ofOther, group('PRIVATE'), 'ADMIN')).toBe(true);
    expect(canSeeJoinRequest(siteMember, ofOther, group('SECRET'), 'ADMIN')).toBe(true);
    expect(canSeeJoinRequest(manager, ofOther, group('SECRET'), null)).toBe(true);
    expect(canSeeJoinRequest(siteMember, ofOther, group('PRIVATE', { membersCanApprove: true }), 'MEMBER')).toBe(true);
    expect(canSeeJoinRequest(siteMember, ofOther, group('PRIVATE'), 'MEMBER')).toBe(false);
    expect(canSeeJoinRequest(siteMember, ofOther, group('PUBLIC', { membersCanApprove: true }), null)).toBe(false);
  });
  it('shows a create request to its requester and to Groups Managers', () => {
    expect(canSeeCreateRequest(siteMember, { requestedBy: 'm' })).toBe(true);
    expect(canSeeCreateRequest(siteMember, { requestedBy: 'x' })).toBe(false);
    expect(canSeeCreateRequest(manager, { requestedBy: 'x' })).toBe(true);
    expect(canSeeCreateRequest(ANONYMOUS, { requestedBy: 'm' })).toBe(false);
  });
});

describe('creationOutcome', () => {
  it.each([
    [siteMember, 'ALL_MEMBERS', 'create'],
    [siteMember, 'ADMIN_APPROVAL', 'request'],
    [siteMember, 'ADMINS_ONLY', 'forbidden'],
    [manager, 'ADMINS_ONLY', 'create'],
    [manager, 'ADMIN_APPROVAL', 'create'],
  ] as const)('%o under %s: %s', (viewer, policy, expected) => {
    expect(creationOutcome(viewer, policy)).toBe(expected);
  });
});

describe('decideCreateRequestCancel', () => {
  const own = { requestedBy: 'm' };
  const others = { requestedBy: 'someone-else' };
  it.each([
    [siteMember, own, 'ALLOWED'],
    [siteMember, others, 'NOT_FOUND'],
    [siteMember, null, 'NOT_FOUND'],
    [ANONYMOUS, own, 'NOT_FOUND'],
    [ANONYMOUS, null, 'NOT_FOUND'],
    [manager, others, 'FORBIDDEN'],
    [manager, { requestedBy: 'boss' }, 'ALLOWED'],
    [manager, null, 'NOT_FOUND'],
  ] as const)('%o, request %o: %s', (viewer, request, expected) => {
    expect(decideCreateRequestCancel(viewer, request)).toBe(expected);
  });

  it('tells a plain member nothing: another member’s request reads as an unknown id', () => {
    expect(decideCreateRequestCancel(siteMember, others)).toBe(decideCreateRequestCancel(siteMember, null));
  });
});

describe('canReceiveEvent', () => {
  const event = (type: EventFacts['type'], groupPrivacy: EventFacts['groupPrivacy'], memberId: string | null = 'someone', memberListShown = true): EventFacts => ({
    type,
    groupPrivacy,
    memberListShown,
    memberId,
  });

  it('stricterPrivacy is the more closed of two', () => {
    expect(stricterPrivacy('PUBLIC', 'SECRET')).toBe('SECRET');
    expect(stricterPrivacy('SECRET', 'PRIVATE')).toBe('SECRET');
    expect(stricterPrivacy('PRIVATE', 'PUBLIC')).toBe('PRIVATE');
    expect(stricterPrivacy('PUBLIC', 'PUBLIC')).toBe('PUBLIC');
  });

  it.each([
    // what happened while the group was closed stays closed after it opens
    ['SECRET', 'PUBLIC', ANONYMOUS, null, false],
    ['PRIVATE', 'PUBLIC', siteMember, null, false],
    // what happened while it was public is closed once it is secret or private
    ['PUBLIC', 'SECRET', ANONYMOUS, null, false],
    ['PUBLIC', 'PRIVATE', ANONYMOUS, null, false],
    ['PUBLIC', 'PUBLIC', ANONYMOUS, null, true],
    // members and managers see the whole history
    ['SECRET', 'PUBLIC', siteMember, 'MEMBER', true],
    ['PUBLIC', 'SECRET', manager, null, true],
  ] as const)('an update made while %s, the group now %s, viewer %o, role %s: %s', (then, now, viewer, role, expected) => {
    expect(canReceiveEvent(viewer, event('GROUP_UPDATED', then, null), group(now), role)).toBe(expected);
  });

  it('membership and role changes follow the member list (showMemberList)', () => {
    const hidden = group('PUBLIC', { showMemberList: false });
    for (const type of ['MEMBER_JOINED', 'MEMBER_ADDED', 'MEMBER_LEFT', 'MEMBER_REMOVED', 'ROLE_ASSIGNED', 'ROLE_UNASSIGNED'] as const) {
      expect([ANONYMOUS, siteMember].map((v) => canReceiveEvent(v, event(type, 'PUBLIC'), hidden, v === siteMember ? 'MEMBER' : null))).toEqual([false, false]);
      expect(canReceiveEvent(siteMember, event(type, 'PUBLIC'), hidden, 'ADMIN')).toBe(true);
      expect(canReceiveEvent(manager, event(type, 'PUBLIC'), hidden, null)).toBe(true);
      expect(canReceiveEvent(ANONYMOUS, event(type, 'PUBLIC'), group('PUBLIC'), null)).toBe(true);
    }
    // The group's own changes stay its content.
    expect(canReceiveEvent(ANONYMOUS, event('GROUP_UPDATED', 'PUBLIC', null), hidden, null)).toBe(true);
  });

  it('judges the member list by then and now: what changed while it was hidden stays hidden once it is shown', () => {
    const shown = group('PUBLIC');
    for (const type of ['MEMBER_ADDED', 'MEMBER_REMOVED', 'ROLE_ASSIGNED'] as const) {
      const whileHidden = event(type, 'PUBLIC', 'someone', false);
      expect(canReceiveEvent(ANONYMOUS, whileHidden, shown, null)).toBe(false);
      expect(canReceiveEvent(siteMember, whileHidden, shown, 'MEMBER')).toBe(false);
      expect(canReceiveEvent(siteMember, whileHidden, shown, 'ADMIN')).toBe(true);
      expect(canReceiveEvent(manager, whileHidden, shown, null)).toBe(true);
      // the member it is about still gets their own
      expect(canReceiveEvent({ ...siteMember, memberId: 'someone' }, whileHidden, shown, 'MEMBER')).toBe(true);
      // shown then, hidden now: hidden
      expect(canReceiveEvent(ANONYMOUS, event(type, 'PUBLIC'), group('PUBLIC', { showMemberList: false }), null)).toBe(false);
    }
    // the group's own content is not the member list
    expect(canReceiveEvent(ANONYMOUS, event('GROUP_UPDATED', 'PUBLIC', null, false), shown, null)).toBe(true);
  });

  it('join-request events reach those who decide them, whatever the privacy', () => {
    const open = group('PUBLIC');
    expect(canReceiveEvent(ANONYMOUS, event('JOIN_REQUEST_CREATED', 'PUBLIC'), open, null)).toBe(false);
    expect(canReceiveEvent(siteMember, event('JOIN_REQUEST_CREATED', 'PUBLIC'), open, 'MEMBER')).toBe(false);
    expect(canReceiveEvent(siteMember, event('JOIN_REQUEST_CREATED', 'PUBLIC'), group('PUBLIC', { membersCanApprove: true }), 'MEMBER')).toBe(true);
    expect(canReceiveEvent(siteMember, event('JOIN_REQUEST_CREATED', 'SECRET'), group('SECRET'), 'ADMIN')).toBe(true);
  });

  it('the member an event is about always receives it, even when nothing else of the group reaches them', () => {
    expect(canReceiveEvent(siteMember, event('MEMBER_REMOVED', 'SECRET', 'm'), group('SECRET'), null)).toBe(true);
    expect(canReceiveEvent(siteMember, event('JOIN_REQUEST_REJECTED', 'PRIVATE', 'm'), group('SECRET'), null)).toBe(true);
    expect(canReceiveEvent(ANONYMOUS, event('MEMBER_REMOVED', 'SECRET', null), group('SECRET'), null)).toBe(false);
  });
});

describe('canSeeEventActor', () => {
  const update = (actorId: string | null, memberId: string | null = null, groupPrivacy: EventFacts['groupPrivacy'] = 'PUBLIC') => ({
    type: 'GROUP_UPDATED' as const,
    groupPrivacy,
    memberListShown: true,
    memberId,
    actorId,
  });

  it('names the actor to those who may read the member list, and to no one else', () => {
    const hidden = group('PUBLIC', { showMemberList: false });
    expect(canSeeEventActor(ANONYMOUS, update('an-admin'), hidden, null)).toBe(false);
    expect(canSeeEventActor(siteMember, update('an-admin'), hidden, 'MEMBER')).toBe(false);
    expect(canSeeEventActor(siteMember, update('an-admin'), hidden, 'ADMIN')).toBe(true);
    expect(canSeeEventActor(manager, update('an-admin'), hidden, null)).toBe(true);
    expect(canSeeEventActor(ANONYMOUS, update('an-admin'), group('PUBLIC'), null)).toBe(true);
    // judged by the more closed of the privacy then and now, as the event itself
    expect(canSeeEventActor(ANONYMOUS, update('an-admin', null, 'PRIVATE'), group('PUBLIC'), null)).toBe(false);
    // and by the member list then and now: an admin who acted while it was hidden is not named once it is shown
    expect(canSeeEventActor(ANONYMOUS, { ...update('an-admin'), memberListShown: false }, group('PUBLIC'), null)).toBe(false);
    expect(canSeeEventActor(siteMember, { ...update('an-admin'), memberListShown: false }, group('PUBLIC'), 'ADMIN')).toBe(true);
  });

  it('names a Groups Manager who created a group for its first admin (approved, or creatorId) to Groups Managers only', () => {
    const created = (actorId: string) => ({ type: 'GROUP_CREATED' as const, groupPrivacy: 'PUBLIC' as const, memberListShown: true, memberId: 'founder', actorId });
    const founder = { ...siteMember, memberId: 'founder' };
    expect(canSeeEventActor(founder, created('a-manager'), group('PUBLIC'), 'ADMIN')).toBe(false);
    expect(canSeeEventActor(ANONYMOUS, created('a-manager'), group('PUBLIC'), null)).toBe(false);
    expect(canSeeEventActor(siteMember, created('a-manager'), group('PUBLIC'), 'ADMIN')).toBe(false);
    expect(canSeeEventActor(manager, created('a-manager'), group('PUBLIC'), null)).toBe(true);
    // the founder's own creation, as any own act
    expect(canSeeEventActor(ANONYMOUS, created('founder'), group('PUBLIC'), null)).toBe(true);
  });

  it("always names the viewer's own act, and the act of the member the event is about", () => {
    const hidden = group('SECRET', { showMemberList: false });
    expect(canSeeEventActor(siteMember, update('m'), hidden, 'MEMBER')).toBe(true);
    expect(canSeeEventActor(ANONYMOUS, { ...update('joiner', 'joiner'), type: 'MEMBER_JOINED' }, group('PUBLIC', { showMemberList: false }), null)).toBe(true);
    expect(canSeeEventActor(ANONYMOUS, update(null), hidden, null)).toBe(true); // nothing to hide
  });
});

describe('canSeeRequestDecider', () => {
  it('names who decided a request as canSeeEventActor names an actor', () => {
    const hidden = group('PRIVATE', { showMemberList: false, membersCanApprove: true });
    const byAdmin = { memberId: 'asker', decidedBy: 'an-admin' };
    expect(canSeeRequestDecider(siteMember, byAdmin, hidden, 'MEMBER')).toBe(false);
    expect(canSeeRequestDecider(siteMember, byAdmin, hidden, 'ADMIN')).toBe(true);
    expect(canSeeRequestDecider(manager, byAdmin, hidden, null)).toBe(true);
    expect(canSeeRequestDecider(siteMember, byAdmin, group('PRIVATE'), 'MEMBER')).toBe(true);
    expect(canSeeRequestDecider(siteMember, { memberId: 'asker', decidedBy: 'asker' }, hidden, 'MEMBER')).toBe(true); // canceled
    expect(canSeeRequestDecider(siteMember, { memberId: 'asker', decidedBy: siteMember.memberId }, hidden, 'MEMBER')).toBe(true); // theirs
    expect(canSeeRequestDecider(siteMember, { memberId: 'asker', decidedBy: null }, hidden, 'MEMBER')).toBe(true); // pending
  });
});

describe('roleAfter', () => {
  it('is the role a membership event leaves its member with', () => {
    expect(roleAfter({ type: 'GROUP_CREATED', role: 'ADMIN' })).toBe('ADMIN');
    expect(roleAfter({ type: 'ROLE_ASSIGNED', role: 'ADMIN' })).toBe('ADMIN');
    expect(roleAfter({ type: 'ROLE_UNASSIGNED', role: 'ADMIN' })).toBe('MEMBER');
    expect(roleAfter({ type: 'JOIN_REQUEST_APPROVED', role: 'MEMBER' })).toBe('MEMBER');
    expect(roleAfter({ type: 'MEMBER_LEFT', role: 'MEMBER' })).toBeNull();
    expect(roleAfter({ type: 'GROUP_UPDATED', role: null })).toBeUndefined();
  });
});
