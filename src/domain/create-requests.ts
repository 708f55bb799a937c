/**
 * Deciding create requests (Groups Managers only; the shield rule checks that). Each call is all or
 * nothing: one unknown or already decided request fails the whole call and changes nothing. And withdrawing
 * one's own (cancelCreateRequest). Filing them is requestGroupCreation (groups.ts). Create requests write no
 * events: the log is of groups, and a request has none until it is approved (GROUP_CREATED, then).
 */
import type { CreateRequest } from '../generated/prisma/client.ts';
import type { Context, MemberCtx } from '../context.ts';
import { decideCreateRequestCancel } from '../auth/policy.ts';
import { conflict, forbidden, notFound } from '../errors.ts';
import { insertGroup, withSlugRetry } from './groups.ts';
import { write, type Write } from './transaction.ts';
import { LIMITS, idList, optionalText } from './validate.ts';

/**
 * Moves a pending request to `status`. The status condition in the UPDATE, not an earlier read, decides
 * a race: of two concurrent decisions exactly one matches the PENDING row.
 */
async function claim(w: Write, id: string, data: { status: 'APPROVED' | 'REJECTED'; rejectionReason?: string | null }, deciderId: string | null) {
  const { count } = await w.tx.createRequest.updateMany({
    where: { id, status: 'PENDING' },
    data: { ...data, pendingKey: null, decidedAt: w.now, decidedBy: deciderId },
  });
  if (count === 1) return;
  const exists = await w.tx.createRequest.findUnique({ where: { id }, select: { status: true } });
  if (!exists) throw notFound(`Create request ${id} not found.`, { id });
  throw conflict(`Create request ${id} was already ${exists.status.toLowerCase()}.`, { id });
}

/** Approves pending create requests: each becomes a group with its requester as first admin. */
export function approveCreateRequests(ctx: Context, ids: readonly string[]): Promise<CreateRequest[]> {
  const unique = idList('ids', ids, LIMITS.requestIds);
  return withSlugRetry(() =>
    write(ctx, async (w) => {
      const decided: CreateRequest[] = [];
      for (const id of unique) {
        await claim(w, id, { status: 'APPROVED' }, ctx.viewer.memberId);
        const request = await w.tx.createRequest.findUniqueOrThrow({ where: { id } });
        const group = await insertGroup(
          w,
          {
            name: request.name,
            description: request.description,
            privacy: request.privacy,
            coverImageUrl: request.coverImageUrl,
            membersCanApprove: request.membersCanApprove,
            membersCanInvite: request.membersCanInvite,
            showMemberList: request.showMemberList,
          },
          request.requestedBy,
        );
        decided.push(await w.tx.createRequest.update({ where: { id }, data: { groupId: group.id } }));
      }
      return decided;
    }),
  );
}

/** Rejects pending create requests, each with an optional reason shown to its requester. */
export function rejectCreateRequests(ctx: Context, rejections: readonly { id: string; reason?: string | null }[]) {
  const ids = idList('rejections', rejections.map((r) => r.id), LIMITS.requestIds);
  const reasons = new Map(rejections.map((r) => [r.id.trim(), optionalText('The reason', r.reason, LIMITS.reason)]));
  return write(ctx, async (w) => {
    const decided: CreateRequest[] = [];
    for (const id of ids) {
      await claim(w, id, { status: 'REJECTED', rejectionReason: reasons.get(id) ?? null }, ctx.viewer.memberId);
      decided.push(await w.tx.createRequest.findUniqueOrThrow({ where: { id } }));
    }
    return decided;
  });
}

/**
 * Withdraws the viewer's own pending create request: CANCELED, decided by them, its name free to ask for
 * again. Someone else's request is NOT_FOUND, as an unknown id is, or FORBIDDEN for a Groups Manager
 * (decideCreateRequestCancel); one already decided or canceled is CONFLICT. As in claim, the status
 * condition in the UPDATE decides a race with a Groups Manager's decision.
 */
export function cancelCreateRequest(ctx: MemberCtx, id: string): Promise<CreateRequest> {
  const requestId = id.trim();
  const memberId = ctx.viewer.memberId;
  return write(ctx, async (w) => {
    const request = await w.tx.createRequest.findUnique({ where: { id: requestId }, select: { requestedBy: true } });
    const decision = decideCreateRequestCancel(ctx.viewer, request);
    if (decision === 'NOT_FOUND') throw notFound('Create request not found.');
    if (decision === 'FORBIDDEN') throw forbidden('Only the member who asked may cancel a create request; reject it instead.');
    const { count } = await w.tx.createRequest.updateMany({
      where: { id: requestId, status: 'PENDING' },
      data: { status: 'CANCELED', pendingKey: null, decidedAt: w.now, decidedBy: memberId },
    });
    const after = await w.tx.createRequest.findUniqueOrThrow({ where: { id: requestId } });
    if (count === 0) throw conflict(`Your request for "${after.name}" was already ${after.status.toLowerCase()}.`);
    return after;
  });
}
