/**
 * Named scenarios built through the public API, so tests read as stories: a manager, admins, members and
 * outsiders, and one group of each privacy.
 */
import { ok, type TestGateway, type ViewerSpec } from './gateway.ts';
import { graphql } from '../gql/index.ts';

const CreateGroupAs = graphql(`
  mutation CreateGroupAs($input: CreateGroupInput!) {
    createGroup(input: $input) { group { id slug name } }
  }
`);

const AddMembers = graphql(`
  mutation AddMembers($groupId: ID!, $memberIds: [ID!]!) {
    addGroupMembers(groupId: $groupId, memberIds: $memberIds) { memberId }
  }
`);

export const manager: ViewerSpec = { sub: 'manager', manager: true };
export const admin: ViewerSpec = { sub: 'admin' };
export const member: ViewerSpec = { sub: 'member' };
export const outsider: ViewerSpec = { sub: 'outsider' };
export const anonymous: ViewerSpec = 'anonymous';

export type Privacy = 'PUBLIC' | 'PRIVATE' | 'SECRET';

export interface GroupHandle {
  id: string;
  slug: string;
  name: string;
}

/** Creates a group as a manager on behalf of `adminId` (who becomes its first admin). */
export async function createGroup(
  gw: TestGateway,
  input: { name: string; privacy?: Privacy; settings?: Record<string, boolean>; description?: string },
  adminId = 'admin',
): Promise<GroupHandle> {
  const data = ok(await gw.as(manager)(CreateGroupAs, { input: { ...input, creatorId: adminId } }));
  return data.createGroup.group!;
}

/** Adds members to a group (as a manager). */
export async function addMembers(gw: TestGateway, groupId: string, memberIds: string[]) {
  ok(await gw.as(manager)(AddMembers, { groupId, memberIds }));
}

/** One group of each privacy, each with `admin` as admin and `member` as plain member. */
export async function threeGroups(gw: TestGateway, settings?: Record<string, boolean>) {
  const groups = {} as Record<Privacy, GroupHandle>;
  for (const privacy of ['PUBLIC', 'PRIVATE', 'SECRET'] as const) {
    groups[privacy] = await createGroup(gw, { name: `${privacy.toLowerCase()} club`, privacy, settings });
    await addMembers(gw, groups[privacy].id, ['member']);
  }
  return groups;
}
