/** `viewer`: who is asking, and their own memberships, join requests and create requests. */
import type { Viewer as ViewerData } from '../auth/viewer.ts';
import { builder } from '../builder.ts';
import { pageArgs } from './connection.ts';
import { GroupMemberConnection, membershipPage } from './members.ts';
import { CreateRequestConnection, createRequestPage } from './create-requests.ts';
import { JoinRequestConnection, joinRequestsToDecidePage, ownJoinRequestPage } from './join-requests.ts';
import { GroupCreationAccess, RequestStatus } from './enums.ts';
import { creationOutcome } from '../auth/policy.ts';
import { groupsSettingsRow } from './settings.ts';

const Viewer = builder.objectRef<ViewerData>('Viewer').implement({
  description: 'Who is asking: anonymous (no memberId), a site member, or a Groups Manager.',
  fields: (t) => ({
    memberId: t.exposeID('memberId', { nullable: true }),
    name: t.exposeString('name', { nullable: true, description: 'The display name the token carries, if it carries one to show (what member lists show as memberName).' }),
    isGroupsManager: t.exposeBoolean('isGroupsManager'),
    groupCreation: t.field({
      type: GroupCreationAccess,
      description: 'What createGroup does for the viewer under the site’s groupCreation policy, to show (or not) a button that creates or requests a group.',
      resolve: async (viewer, _args, ctx) => {
        if (viewer.memberId === null) return 'NOT_ALLOWED';
        const outcome = creationOutcome(viewer, (await groupsSettingsRow(ctx.db)).groupCreation);
        return outcome === 'create' ? 'CREATE' : outcome === 'request' ? 'REQUEST' : 'NOT_ALLOWED';
      },
    }),
    memberships: t.field({
      type: GroupMemberConnection,
      description: 'The viewer’s memberships, newest first (empty for anonymous viewers).',
      args: pageArgs(t.arg),
      resolve: (viewer, args, ctx) => membershipPage(ctx, viewer.memberId, args),
    }),
    joinRequests: t.field({
      type: JoinRequestConnection,
      description:
        'The viewer’s own join requests (of one status, or all), newest first, with their outcome: status, ' +
        'rejectionReason, decidedAt. Only in groups the viewer may see: a request whose group was made secret ' +
        'or deleted is gone from the list and its total. Empty for anonymous viewers.',
      args: { status: t.arg({ type: RequestStatus }), ...pageArgs(t.arg) },
      resolve: (viewer, args, ctx) =>
        ownJoinRequestPage(ctx, viewer.memberId ? { memberId: viewer.memberId, status: args.status } : null, args),
    }),
    joinRequestsToDecide: t.field({
      type: JoinRequestConnection,
      description:
        'Join requests the viewer may decide, across groups, oldest first (PENDING by default, `status: null` for every status): ' +
        'in groups where they are an admin, or a member when membersCanApprove; in every group for Groups Managers. ' +
        'An admin’s queue of requests waiting, in one list. Empty for anonymous viewers.',
      args: { status: t.arg({ type: RequestStatus, defaultValue: 'PENDING' }), ...pageArgs(t.arg) },
      resolve: (_viewer, args, ctx) => joinRequestsToDecidePage(ctx, args.status ?? null, args),
    }),
    createRequests: t.field({
      type: CreateRequestConnection,
      description: 'The viewer’s own create requests (of one status, or all), newest first. Empty for anonymous viewers.',
      args: { status: t.arg({ type: RequestStatus }), ...pageArgs(t.arg) },
      resolve: (viewer, args, ctx) =>
        createRequestPage(ctx, viewer.memberId ? { requestedBy: viewer.memberId, status: args.status } : null, args),
    }),
  }),
});

builder.queryFields((t) => ({
  viewer: t.field({ type: Viewer, resolve: (_root, _args, ctx) => ctx.viewer }),
}));
