/**
 * graphql-shield rules, each a thin adapter from the policy (policy.ts) to shield. Rules that depend on a
 * group use `cache: 'no_cache'`: shield's `contextual` cache keys by rule name only, so inside a list every
 * group would get the first group's answer. They stay cheap because their lookups go through the request's
 * dataloaders, batched across a whole page.
 */
import { rule } from 'graphql-shield';
import type { Group } from '../generated/prisma/client.ts';
import type { Context } from '../context.ts';
import { forbidden, unauthenticated } from '../errors.ts';
import { viewerRole } from '../loaders.ts';
import { invalidMemberId, memberIdOf } from '../domain/validate.ts';
import { canDecideJoinRequests, canListMemberships, canReadMembers, groupActionRefusal, type GuardedAction } from './policy.ts';

export const isSignedIn = rule({ cache: 'contextual' })((_parent, _args, ctx: Context) =>
  ctx.viewer.memberId !== null ? true : unauthenticated(),
);

export const isGroupsManager = rule({ cache: 'contextual' })((_parent, _args, ctx: Context) =>
  ctx.viewer.isGroupsManager ? true : forbidden('Only Groups Managers may do this.'),
);

/** `Group.members`: the member list, narrowed by `showMemberList`. */
export const canReadGroupMembers = rule({ cache: 'no_cache' })(async (group: Group, _args, ctx: Context) =>
  canReadMembers(ctx.viewer, group, await viewerRole(ctx, group.id))
    ? true
    : forbidden('You may not see the members of this group.'),
);

/** `Group.joinRequests`: those who may decide them. */
export const canReadJoinRequests = rule({ cache: 'no_cache' })(async (group: Group, _args, ctx: Context) =>
  canDecideJoinRequests(ctx.viewer, group, await viewerRole(ctx, group.id))
    ? true
    : forbidden('You may not see the join requests of this group.'),
);

/**
 * `memberships(memberId)`: Groups Managers, and that member. The id is read as the resolver reads it
 * (trimmed; one no member can have is BAD_USER_INPUT, for anyone), so `" alice"` is alice's own list.
 */
export const canListMembershipsOf = rule({ cache: 'no_cache' })((_parent, args: { memberId: string }, ctx: Context) => {
  const memberId = memberIdOf(args.memberId);
  if (memberId === null) return invalidMemberId('memberId');
  return canListMemberships(ctx.viewer, memberId) ? true : forbidden('You may only list your own memberships.');
});

/**
 * A mutation on the group named by its `groupId` (or `id`) argument: NOT_FOUND when the viewer may not see
 * the group (or it does not exist), FORBIDDEN when they see it but the action is not theirs.
 */
const groupRules = new Map<string, ReturnType<ReturnType<typeof rule>>>();
export function canOnGroup(action: GuardedAction | 'view') {
  // shield requires one rule object per name: reuse it when several mutations share an action
  const existing = groupRules.get(action);
  if (existing) return existing;
  const created = rule(`canOnGroup:${action}`, { cache: 'no_cache' })(
    async (_parent, args: { groupId?: string; id?: string }, ctx: Context) => {
      const groupId = args.groupId ?? args.id ?? '';
      const [group, role] = await Promise.all([ctx.loaders.group.load(groupId), viewerRole(ctx, groupId)]);
      return groupActionRefusal(ctx.viewer, group, role, action) ?? true;
    },
  );
  groupRules.set(action, created);
  return created;
}

/** Closes every field the permission map does not name. */
export const fallbackDeny = rule('fallbackDeny', { cache: 'contextual' })(() => forbidden('This field is not available.'));
