/** Join requests: a member's wish to join a PRIVATE group, decided by its admins (or members, if allowed). */
import type { Context } from '../context.ts';
import { builder } from '../builder.ts';
import { countJoinRequests, readJoinRequestPage, type JoinRequestListFilter } from '../db/join-request-list.ts';
import { RequestStatus } from './enums.ts';
import { connectionOf, pageArgs } from './connection.ts';
import {
  CREATED_NEWEST_FIRST,
  cursorShape,
  emptyPage,
  encodeCursor,
  pageWindow,
  positionOf,
  rowsToRead,
  toPage,
  type CursorShape,
  type PageArgs,
  type SortKey,
} from './pagination.ts';
import type { RequestStatus as RequestStatusValue } from '../generated/prisma/enums.ts';
import { Group } from './groups.ts';
import { Node } from './node.ts';
import { actorAlwaysNamed, canSeeRequestDecider } from '../auth/policy.ts';
import { viewerRole } from '../loaders.ts';

const MembershipAnswer = builder.prismaObject('JoinRequestAnswer', {
  name: 'MembershipAnswer',
  fields: (t) => ({
    questionId: t.exposeID('questionId'),
    question: t.exposeString('question', { description: 'The question as it read when answered.' }),
    text: t.exposeString('text'),
  }),
});

export const JoinRequest = builder.prismaObject('JoinRequest', {
  interfaces: [Node],
  fields: (t) => ({
    id: t.exposeID('id'),
    group: t.field({
      type: Group,
      // A join request is only shown to its requester or to those who may decide it, in a visible group.
      resolve: async (request, _args, ctx) => (await ctx.loaders.group.load(request.groupId))!,
    }),
    memberId: t.exposeID('memberId'),
    memberName: t.string({
      nullable: true,
      description: 'The requester’s display name, from the newest token they signed in with; null if none carried one.',
      resolve: (request, _args, ctx) => ctx.loaders.memberName.load(request.memberId),
    }),
    status: t.expose('status', { type: RequestStatus }),
    answers: t.field({
      type: [MembershipAnswer],
      // Batched across every request of a page, and read only when asked for (loaders.ts).
      resolve: (request, _args, ctx) => ctx.loaders.joinRequestAnswers.load(request.id),
    }),
    rejectionReason: t.exposeString('rejectionReason', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    decidedAt: t.expose('decidedAt', { type: 'DateTime', nullable: true }),
    decidedBy: t.id({
      nullable: true,
      description:
        'Who decided (or canceled) it: shown to those who may read the member list, to the requester when they ' +
        'canceled it and to the one who decided it; null for others, as the actorId of its event.',
      resolve: async (request, _args, ctx) => {
        if (actorAlwaysNamed(ctx.viewer, { memberId: request.memberId, actorId: request.decidedBy })) return request.decidedBy;
        // Batched per request (loaders.ts); a group lookup or list has already primed both.
        const [group, role] = await Promise.all([ctx.loaders.group.load(request.groupId), viewerRole(ctx, request.groupId)]);
        return group && canSeeRequestDecider(ctx.viewer, request, group, role) ? request.decidedBy : null;
      },
    }),
  }),
});

export const JoinRequestConnection = connectionOf('JoinRequest', JoinRequest);

/** A member's own join requests, newest first (`Viewer.joinRequests`). */
const OWN_JOIN_REQUESTS = cursorShape('ownJoinRequests', CREATED_NEWEST_FIRST);

/**
 * A page of join requests across groups: a member's own (`Viewer.joinRequests`, newest first, in groups the
 * viewer may see: a request whose group became SECRET is left out of the page and its total, as one whose
 * group was deleted), or those the viewer may decide (`Viewer.joinRequestsToDecide`, oldest first). Null
 * filter (an anonymous viewer): an empty page, its arguments checked all the same.
 */
async function joinRequestPage(
  ctx: Context,
  filter: JoinRequestListFilter | null,
  args: PageArgs,
  order: { keys: SortKey<'createdAt' | 'id'>[]; shape: CursorShape },
) {
  const { keys, shape } = order;
  const window = pageWindow(args, shape, ctx.config);
  if (filter === null) return emptyPage<never>();
  const rows = await readJoinRequestPage(ctx.db, ctx.viewer, filter, keys, window, rowsToRead(window));
  // Each request's group came with it: `JoinRequest.group` finds it in the request's loader.
  for (const { group } of rows) ctx.loaders.group.prime(group.id, group);
  return toPage(rows.map((row) => row.request), window, (r) => encodeCursor(shape, [r.createdAt, r.id]), () =>
    countJoinRequests(ctx.db, ctx.viewer, filter),
  );
}

export const ownJoinRequestPage = (ctx: Context, filter: { memberId: string; status?: RequestStatusValue | null } | null, args: PageArgs) =>
  joinRequestPage(ctx, filter, args, { keys: CREATED_NEWEST_FIRST, shape: OWN_JOIN_REQUESTS });

/** The requests the viewer may decide, oldest first: those waiting longest come first. */
const OLDEST_FIRST: SortKey<'createdAt' | 'id'>[] = [
  { field: 'createdAt', order: 'asc', kind: 'date' },
  { field: 'id', order: 'asc', kind: 'string' },
];
const JOIN_REQUESTS_TO_DECIDE = cursorShape('joinRequestsToDecide', OLDEST_FIRST);

export const joinRequestsToDecidePage = (ctx: Context, status: RequestStatusValue | null, args: PageArgs) =>
  joinRequestPage(ctx, ctx.viewer.memberId === null ? null : { decidable: true, status }, args, { keys: OLDEST_FIRST, shape: JOIN_REQUESTS_TO_DECIDE });

/** A group's join requests, oldest first (db/ loaders read them in this order). */
const JOIN_REQUESTS = cursorShape('joinRequests', OLDEST_FIRST);

builder.objectFields(Group, (t) => ({
  joinRequests: t.field({
    type: JoinRequestConnection,
    nullable: true,
    description:
      'Requests to join, oldest first: PENDING by default, `status: null` for every status. Null with FORBIDDEN unless the viewer may decide them (viewerCan.approveJoinRequests).',
    args: {
      status: t.arg({ type: RequestStatus, defaultValue: 'PENDING' }),
      ...pageArgs(t.arg),
    },
    resolve: async (group, args, ctx) => {
      const window = pageWindow(args, JOIN_REQUESTS, ctx.config);
      const status = args.status ?? null;
      // Batched across the groups of a page (loaders.ts), like the members connection.
      const rows = await ctx.loaders.joinRequestPage.load({ groupId: group.id, status, take: rowsToRead(window), position: positionOf(window) });
      return toPage(rows, window, (r) => encodeCursor(JOIN_REQUESTS, [r.createdAt, r.id]), () =>
        ctx.loaders.joinRequestCount.load({ groupId: group.id, status }),
      );
    },
  }),
  viewerJoinRequest: t.field({
    type: JoinRequest,
    nullable: true,
    description: 'The viewer’s own pending request to join, if any.',
    resolve: (group, _args, ctx) => ctx.loaders.viewerPendingJoinRequest.load(group.id),
  }),
}));
