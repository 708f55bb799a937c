/**
 * The permission map: one entry per type of the schema, mirroring it. `fallbackRule: deny` closes any
 * field nobody thought about, so a new field is invisible until it is given a rule here (and
 * test/permissions.test.ts fails for a type left out). Lists are not filtered here (shield cannot filter);
 * they are filtered in their queries by auth/visibility.ts, from the same policy.
 *
 * Only fields whose rule is not `allow` are wrapped (permissionMiddleware): shield's wrapper is an async
 * function, so an `allow` field would still cost a promise and a rule call per value, for nothing.
 */
import type { GraphQLSchema } from 'graphql';
import { allow, and, shield } from 'graphql-shield';
import type { IMiddlewareFieldMap } from 'graphql-middleware';
import {
  canListMembershipsOf,
  canOnGroup,
  canReadGroupMembers,
  canReadJoinRequests,
  fallbackDeny,
  isGroupsManager,
  isSignedIn,
} from './rules.ts';

/** Types whose every field anyone who reached the object may read. */
const OPEN_TYPES = [
  'Viewer',
  'GroupSettings',
  'GroupRule',
  'MembershipQuestion',
  'GroupPermissions',
  'PageInfo',
  'GroupEdge',
  'GroupConnection',
  'GroupMember',
  'GroupMemberEdge',
  'GroupMemberConnection',
  'JoinRequest',
  'JoinRequestEdge',
  'JoinRequestConnection',
  'MembershipAnswer',
  'CreateRequest',
  'CreateRequestEdge',
  'CreateRequestConnection',
  'GroupsSettings',
  'CreateGroupPayload',
  'DeleteGroupPayload',
  'JoinGroupPayload',
  'LeaveGroupPayload',
  'RemoveGroupMembersPayload',
  'RemoveSiteMemberPayload',
  'GroupEvent',
  'Node',
] as const;

export const permissionMap = {
  Query: {
    viewer: allow,
    group: allow, // filtered by visibility in its resolver: a hidden group is null
    groupBySlug: allow,
    node: allow, // a group by id, as `group`: null when hidden
    nodes: allow,
    groups: allow, // filtered by visibility in its query
    memberships: and(isSignedIn, canListMembershipsOf),
    createRequests: and(isSignedIn, isGroupsManager),
    groupsSettings: allow,
  },
  Mutation: {
    createGroup: isSignedIn, // the creation policy needs the settings row: decided in the resolver
    updateGroup: and(isSignedIn, canOnGroup('update')),
    deleteGroup: and(isSignedIn, canOnGroup('delete')),
    updateGroupSettings: and(isSignedIn, canOnGroup('update')),
    setGroupRules: and(isSignedIn, canOnGroup('update')),
    setMembershipQuestions: and(isSignedIn, canOnGroup('update')),
    // Joining, withdrawing and leaving need only a group the viewer sees here; what else they need (not yet a
    // member, a request pending, not the only admin) the write decides with the policy and answers with the
    // error that says what to do (CONFLICT, FORBIDDEN), once it holds the group.
    joinGroup: and(isSignedIn, canOnGroup('view')),
    cancelJoinRequest: and(isSignedIn, canOnGroup('view')),
    leaveGroup: and(isSignedIn, canOnGroup('view')),
    addGroupMembers: and(isSignedIn, canOnGroup('addMembers')),
    removeGroupMembers: and(isSignedIn, canOnGroup('removeMembers')),
    approveJoinRequests: and(isSignedIn, canOnGroup('approveJoinRequests')),
    rejectJoinRequests: and(isSignedIn, canOnGroup('approveJoinRequests')),
    assignRole: and(isSignedIn, canOnGroup('assignRoles')),
    unassignRole: and(isSignedIn, canOnGroup('assignRoles')),
    approveCreateRequests: and(isSignedIn, isGroupsManager),
    rejectCreateRequests: and(isSignedIn, isGroupsManager),
    cancelCreateRequest: isSignedIn, // the requester's own only: decided in the write (decideCreateRequestCancel)
    updateGroupsSettings: and(isSignedIn, isGroupsManager),
    removeSiteMember: and(isSignedIn, isGroupsManager),
  },
  // Subscriptions are authorized in their resolver (shield does not wrap `subscribe`), by the same policy.
  Subscription: { groupEvents: allow },
  Group: {
    '*': allow,
    members: canReadGroupMembers,
    joinRequests: canReadJoinRequests,
  },
  ...Object.fromEntries(OPEN_TYPES.map((type) => [type, allow])),
};

type RuleEntry = (typeof permissionMap)[keyof typeof permissionMap];
const isRule = (entry: unknown): boolean => typeof (entry as { resolve?: unknown }).resolve === 'function';

/**
 * The rule shield applies to `typeName.field`, by shield's own precedence: the field's rule, else the
 * type's `'*'`, else a rule given for the whole type, else the fallback.
 */
export function ruleOf(typeName: string, field: string): unknown {
  const entry = (permissionMap as Record<string, RuleEntry | undefined>)[typeName];
  if (entry === undefined) return fallbackDeny;
  if (isRule(entry)) return entry;
  const fields = entry as Record<string, unknown>;
  return fields[field] ?? fields['*'] ?? fallbackDeny;
}

export const permissions = shield(permissionMap, {
  // A field without a rule is closed, with the contract's FORBIDDEN rather than shield's bare message.
  fallbackRule: fallbackDeny,
  // Errors the rules return are the contract's GraphQLErrors; anything else thrown in a resolver is passed
  // on to Yoga, which masks it as INTERNAL_SERVER_ERROR.
  allowExternalErrors: true,
  // An error thrown inside a rule (the database out of reach while a rule reads the viewer's role) goes on as
  // itself, to be masked as INTERNAL_SERVER_ERROR and logged as what it is. Without this, shield turns it
  // into its fallback error, and the log says "Not Authorised!" for a database outage. (Shield's `debug` does
  // nothing else: it only rethrows.)
  debug: true,
});

/**
 * The field middleware for graphql-middleware's applyMiddleware: shield's, less the fields whose rule is
 * `allow`, which then keep their own resolvers (and graphql-jit inlines the plain property reads).
 */
export function permissionMiddleware(schema: GraphQLSchema): IMiddlewareFieldMap {
  const generated = permissions.generate(schema) as Record<string, Record<string, unknown>>;
  const middleware: IMiddlewareFieldMap = {};
  for (const [typeName, fields] of Object.entries(generated)) {
    const kept = Object.entries(fields).filter(([field]) => ruleOf(typeName, field) !== allow);
    if (kept.length) middleware[typeName] = Object.fromEntries(kept) as IMiddlewareFieldMap[string];
  }
  return middleware;
}
