/** Join requests: a member's wish to join a PRIVATE group, decided by its admins (or members, if allowed). */
import type { Context } from '../context.ts';
import { builder } from '../builder.ts';
import { countOwnJoinRequests, readOwnJoinRequestPage, type OwnJoinRequestFilter } from '../db/join-request-list.ts';
import { RequestStatus } from './enums.ts';
import { connectionOf } from './connection.ts';
import { CREATED_NEWEST_FIRST, cursorShape, decodeCursor, emptyPage, encodeCursor, pageSize, toPage, type PageArgs } from './pagination.ts';
import { Group } from './groups.ts';
import { actorAlwaysNamed, canSeeRequestDecider } from '../auth/policy.ts';
import { viewerRole } from '../auth/rules.ts';

const MembershipAnswer = builder.prismaObject('JoinRequestAnswer', {
  name: 'MembershipAnswer',
  fields: (t) => ({
    questionId: t.exposeID('questionId'),
    question: t.exposeString('question', { description: 'The question as it read when answered.' }),
    text: t.exposeString('text'),
  }),
});

export const JoinRequest = builder.prismaObject('JoinRequest', {
  fields: (t) => ({
    id: t.exposeID('id'),
    group: t.field({
      type: Group,
      // A join request is only shown to its requester or to those who may decide it, in a visible group.
      resolve: async (request, _args, ctx) => (await ctx.loaders.group.load(request.groupId))!,
    }),
    memberId: t.exposeID('memberId'),
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
 * A page of a member's own join requests (`Viewer.joinRequests`), newest first, in groups the viewer may see:
 * a request whose group became SECRET is left out of the page and its total, as one whose group was deleted.
 */
export async function ownJoinRequestPage(ctx: Context, filter: OwnJoinRequestFilter | null, args: PageArgs) {
  const size = pageSize(args, ctx.config);
  const after = decodeCursor(args.after, OWN_JOIN_REQUESTS);
  if (filter === null) return emptyPage<never>(); // anonymous: none, its arguments checked all the same
  const rows = await readOwnJoinRequestPage(ctx.db, ctx.viewer, filter, CREATED_NEWEST_FIRST, after, size + 1);
  // Each request's group came with it: `JoinRequest.group` finds it in the request's loader.
  for (const { group } of rows) ctx.loaders.group.prime(group.id, group);
  return toPage(rows.map((row) => row.request), size, (r) => encodeCursor(OWN_JOIN_REQUESTS, [r.createdAt, r.id]), () =>
    countOwnJoinRequests(ctx.db, ctx.viewer, filter),
  );
}

/** A group's join requests, oldest first (db/ loaders read them in this order). */
const JOIN_REQUESTS = cursorShape('joinRequests', [
  { field: 'createdAt', order: 'asc', kind: 'date' },
  { field: 'id', order: 'asc', kind: 'string' },
]);

builder.objectFields(Group, (t) => ({
  joinRequests: t.field({
    type: JoinRequestConnection,
    nullable: true,
    description:
      'Requests to join, oldest first: PENDING by default, `status: null` for every status. Null with FORBIDDEN unless the viewer may decide them (viewerCan.approveJoinRequests).',
    args: {
      status: t.arg({ type: RequestStatus, defaultValue: 'PENDING' }),
      first: t.arg.int(),
      after: t.arg.string(),
    },
    resolve: async (group, args, ctx) => {
      const size = pageSize(args, ctx.config);
      const after = decodeCursor(args.after, JOIN_REQUESTS);
      const status = args.status ?? null;
      // Batched across the groups of a page (loaders.ts), like the members connection.
      const rows = await ctx.loaders.joinRequestPage.load({
        groupId: group.id,
        status,
        take: size + 1,
        after: after ? { createdAt: after[0] as Date, id: after[1] as string } : null,
      });
      return toPage(rows, size, (r) => encodeCursor(JOIN_REQUESTS, [r.createdAt, r.id]), () =>
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
