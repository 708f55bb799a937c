/**
 * The membership operations as GraphQL documents, with small helpers shared by the membership, race and
 * event-log suites: run one as a viewer, build a group in a given state, and check the group's invariants.
 */
import { expect } from 'vitest';
import { codes, ok, type GraphQLResponse, type TestGateway, type ViewerSpec } from './gateway.ts';
import { addMembers, createGroup, manager, type GroupHandle, type Privacy } from './world.ts';

export const OPS = {
  join: `mutation($g: ID!, $a: [MembershipAnswerInput!]) { joinGroup(groupId: $g, answers: $a) {
    membership { memberId role group { id membersCount viewerRole } }
    joinRequest { memberId status answers { questionId question text } group { id viewerJoinRequest { status } } } } }`,
  cancel: `mutation($g: ID!) { cancelJoinRequest(groupId: $g) { memberId status decidedBy } }`,
  leave: `mutation($g: ID!) { leaveGroup(groupId: $g) { groupId } }`,
  add: `mutation($g: ID!, $m: [ID!]!) { addGroupMembers(groupId: $g, memberIds: $m) { memberId role group { membersCount } } }`,
  remove: `mutation($g: ID!, $m: [ID!]!) { removeGroupMembers(groupId: $g, memberIds: $m) { removedMemberIds } }`,
  approve: `mutation($g: ID!, $m: [ID!]!) { approveJoinRequests(groupId: $g, memberIds: $m) {
    memberId status decidedBy rejectionReason } }`,
  reject: `mutation($g: ID!, $r: [JoinRejectionInput!]!) { rejectJoinRequests(groupId: $g, rejections: $r) {
    memberId status decidedBy rejectionReason } }`,
  assign: `mutation($g: ID!, $m: [ID!]!, $r: GroupRole!) { assignRole(groupId: $g, memberIds: $m, role: $r) { memberId role } }`,
  unassign: `mutation($g: ID!, $m: [ID!]!, $r: GroupRole!) { unassignRole(groupId: $g, memberIds: $m, role: $r) { memberId role } }`,
  settings: `mutation($g: ID!, $s: GroupSettingsInput!) { updateGroupSettings(groupId: $g, input: $s) { id } }`,
  questions: `mutation($g: ID!, $q: [MembershipQuestionInput!]!) { setMembershipQuestions(groupId: $g, questions: $q) {
    questions { id text required } } }`,
  privacy: `mutation($g: ID!, $p: GroupPrivacy!) { updateGroup(id: $g, input: { privacy: $p }) { id } }`,
} as const;

/** A site member by id. */
export const who = (sub: string): ViewerSpec => ({ sub });

/** The single error code of a failed response (and its data is null), or 'OK' with no errors. */
export function outcome(response: GraphQLResponse): string {
  const found = codes(response);
  if (found.length === 0) return 'OK';
  expect(found).toHaveLength(1);
  return found[0];
}

export interface GroupSetup {
  privacy?: Privacy;
  settings?: Record<string, boolean>;
  /** Plain members added after the admin. */
  members?: string[];
  /** Members made admins beside `admin`. */
  admins?: string[];
  /** Site members who asked to join (while the group was PRIVATE; made SECRET, the group then closes their requests). */
  requesters?: string[];
}

let counter = 0;

/**
 * A fresh group whose first admin is `admin`, with the given members, extra admins and pending requesters.
 * Requests are filed while the group is PRIVATE, then the privacy is set: PUBLIC approves them (the requesters
 * become members), SECRET closes them.
 */
export async function groupWith(gw: TestGateway, setup: GroupSetup = {}): Promise<GroupHandle> {
  const privacy = setup.privacy ?? 'PUBLIC';
  const requesters = setup.requesters ?? [];
  const group = await createGroup(gw, {
    name: `club ${++counter}`,
    privacy: requesters.length ? 'PRIVATE' : privacy,
    settings: setup.settings,
  });
  const others = [...(setup.members ?? []), ...(setup.admins ?? [])];
  if (others.length) await addMembers(gw, group.id, others);
  if (setup.admins?.length) ok(await gw.as(manager)(OPS.assign, { g: group.id, m: setup.admins, r: 'ADMIN' }));
  for (const requester of requesters) ok(await gw.as(who(requester))(OPS.join, { g: group.id }));
  if (requesters.length && privacy !== 'PRIVATE') ok(await gw.as(manager)(OPS.privacy, { g: group.id, p: privacy }));
  return group;
}

/** The group as a Groups Manager sees it: its count and every member with their role. */
export async function snapshot(gw: TestGateway, groupId: string) {
  const data = ok(
    await gw.as(manager)(
      `query($g: ID!) { group(id: $g) { membersCount recentActivityAt
        members(first: 100) { totalCount edges { node { memberId role } } } } }`,
      { g: groupId },
    ),
  );
  const members = data.group.members.edges.map((e: any) => e.node) as { memberId: string; role: string }[];
  return { membersCount: data.group.membersCount as number, totalCount: data.group.members.totalCount as number, members,
    recentActivityAt: data.group.recentActivityAt as string };
}

/**
 * The invariants every change keeps: membersCount equals the members listed (and their total), nobody is
 * listed twice, and a group with members has at least one admin.
 */
export async function expectInvariants(gw: TestGateway, groupId: string) {
  const { membersCount, totalCount, members } = await snapshot(gw, groupId);
  expect(members).toHaveLength(membersCount);
  expect(totalCount).toBe(membersCount);
  expect(new Set(members.map((m) => m.memberId)).size).toBe(members.length);
  if (members.length > 0) expect(members.some((m) => m.role === 'ADMIN')).toBe(true);
  return members;
}
