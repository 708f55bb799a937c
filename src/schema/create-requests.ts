/** Create requests: a member's wish to create a group, decided by a Groups Manager. */
import { signedIn, type Context } from '../context.ts';
import { builder } from '../builder.ts';
import { canSeeCreateRequestDecider } from '../auth/policy.ts';
import * as createRequests from '../domain/create-requests.ts';
import { countCreateRequests, readCreateRequestPage, type CreateRequestFilter } from '../db/create-request-list.ts';
import { GroupPrivacy, RequestStatus } from './enums.ts';
import { connectionOf, pageArgs } from './connection.ts';
import { CREATED_NEWEST_FIRST, cursorShape, emptyPage, encodeCursor, pageWindow, rowsToRead, toPage, type PageArgs } from './pagination.ts';
import { Group, visibleGroupById } from './groups.ts';
import { GroupSettings } from './settings.ts';
import { Node } from './node.ts';

export const CreateRequest = builder.prismaObject('CreateRequest', {
  interfaces: [Node],
  fields: (t) => ({
    id: t.exposeID('id'),
    status: t.expose('status', { type: RequestStatus }),
    requestedBy: t.exposeID('requestedBy'),
    requestedByName: t.string({
      nullable: true,
      description: 'The requester’s display name, from the newest token they signed in with; null if none carried one.',
      resolve: (request, _args, ctx) => ctx.loaders.memberName.load(request.requestedBy),
    }),
    name: t.exposeString('name'),
    description: t.exposeString('description', { nullable: true }),
    privacy: t.expose('privacy', { type: GroupPrivacy }),
    coverImageUrl: t.exposeString('coverImageUrl', { nullable: true, description: 'The cover image the group will have.' }),
    settings: t.field({
      type: GroupSettings,
      description: 'The settings the group will have (those asked for, else the defaults).',
      resolve: (request) => request,
    }),
    group: t.field({
      type: Group,
      nullable: true,
      description: 'The group made by approving the request, while the viewer may see it.',
      resolve: (request, _args, ctx) => (request.groupId ? visibleGroupById(ctx, request.groupId) : null),
    }),
    rejectionReason: t.exposeString('rejectionReason', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    decidedAt: t.expose('decidedAt', { type: 'DateTime', nullable: true }),
    decidedBy: t.id({
      nullable: true,
      description:
        'Who decided (or canceled) it: shown to Groups Managers and to the one who decided it (the requester, ' +
        'when they canceled it); null for the requester otherwise, as a join request names its decider only ' +
        'to those who may read the member list.',
      resolve: (request, _args, ctx) => (canSeeCreateRequestDecider(ctx.viewer, request) ? request.decidedBy : null),
    }),
  }),
});

export const CreateRequestConnection = connectionOf('CreateRequest', CreateRequest);

/** `createRequests` and `viewer.createRequests` are one list (the same order), with the same cursors. */
const CREATE_REQUESTS = cursorShape('createRequests', CREATED_NEWEST_FIRST);

/**
 * A page of create requests matching `filter`, newest first. No filter (an anonymous viewer's own) is an
 * empty page, its arguments checked all the same.
 */
export async function createRequestPage(ctx: Context, filter: CreateRequestFilter | null, args: PageArgs) {
  const window = pageWindow(args, CREATE_REQUESTS, ctx.config);
  if (filter === null) return emptyPage<never>();
  const rows = await readCreateRequestPage(ctx.db, filter, CREATED_NEWEST_FIRST, window, rowsToRead(window));
  return toPage(rows, window, (r) => encodeCursor(CREATE_REQUESTS, [r.createdAt, r.id]), () => countCreateRequests(ctx.db, filter));
}

const CreateRejectionInput = builder.inputType('CreateRejectionInput', {
  fields: (t) => ({ id: t.id({ required: true }), reason: t.string() }),
});

builder.queryFields((t) => ({
  createRequests: t.field({
    type: CreateRequestConnection,
    nullable: true,
    description:
      'Groups Managers: every create request (of one status, or all), newest first. Null with UNAUTHENTICATED for anonymous viewers, FORBIDDEN for other members (who read their own in viewer.createRequests).',
    args: { status: t.arg({ type: RequestStatus }), ...pageArgs(t.arg) },
    resolve: (_root, args, ctx) => createRequestPage(ctx, { status: args.status }, args),
  }),
}));

builder.mutationFields((t) => ({
  approveCreateRequests: t.field({
    description:
      'Approves pending create requests (Groups Managers): each becomes a group with its requester as first admin (CreateRequest.group). All or nothing: an unknown id is NOT_FOUND, one already decided CONFLICT, each naming it in extensions.id. Ids are trimmed and a repeated id counts once; the answer follows the order given.',
    type: [CreateRequest],
    args: { ids: t.arg.idList({ required: true }) },
    resolve: (_root, args, ctx) => createRequests.approveCreateRequests(ctx, args.ids),
  }),
  rejectCreateRequests: t.field({
    description:
      'Rejects pending create requests (Groups Managers), each with an optional reason its requester sees. Errors as approveCreateRequests; an id named twice counts once, with the last reason given.',
    type: [CreateRequest],
    args: { rejections: t.arg({ type: [CreateRejectionInput], required: true }) },
    resolve: (_root, args, ctx) => createRequests.rejectCreateRequests(ctx, args.rejections),
  }),
  cancelCreateRequest: t.field({
    type: CreateRequest,
    description:
      'Withdraws the viewer’s own pending create request (CANCELED). Another member’s request is NOT_FOUND, as an unknown id is (Groups Managers: FORBIDDEN, they reject it instead); one already decided is CONFLICT.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => createRequests.cancelCreateRequest(signedIn(ctx), args.id),
  }),
}));
