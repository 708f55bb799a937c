/**
 * Deciding create requests (Groups Managers only; the shield rule checks that). Each call is all or
 * nothing: one unknown or already decided request fails the whole call and changes nothing. And withdrawing
 * one's own (cancelCreateRequest). Filing them is requestGroupCreation (groups.ts). Create requests write no
 * events: the log is of groups, and a request has none until it is approved (GROUP_CREATED, then).
 */
import { Prisma, type CreateRequest } from '../generated/prisma/client.ts';
import type { Context, MemberCtx } from '../context.ts';
import { decideCreateRequestCancel } from '../auth/policy.ts';
import { conflict, forbidden, notFound } from '../errors.ts';
import { insertGroups, withSlugRetry } from './groups.ts';
import { write, type Write } from './transaction.ts';
import { LIMITS, idList, optionalText } from './validate.ts';

/**
 * Moves pending requests to `status` (each with its rejection reason, if any): all or nothing. The requests
 * are read first, so that an unknown or already decided one is reported by its id, the first in the order
 * given. The status condition in the UPDATE, not that read, decides a race: of two concurrent decisions
 * exactly one matches the PENDING rows, and the other is CONFLICT. A statement for all the requests at each
 * step (an update per distinct reason), not one per request.
 */
async function claim(
  w: Write,
  decisions: readonly { id: string; rejectionReason?: string | null }[],
  status: 'APPROVED' | 'REJECTED',
  deciderId: string | null,
): Promise<CreateRequest[]> {
  const ids = decisions.map(({ id }) => id);
  const found = new Map((await w.tx.createRequest.findMany({ where: { id: { in: ids } } })).map((request) => [request.id, request]));
  for (const id of ids) {
    const request = found.get(id);
    if (!request) throw notFound(`Create request ${id} not found.`, { id });
    if (request.status !== 'PENDING') throw conflict(`Create request ${id} was already ${request.status.toLowerCase()}.`, { id });
  }
  const byReason = new Map<string | null, string[]>();
  for (const { id, rejectionReason } of decisions) byReason.set(rejectionReason ?? null, [...(byReason.get(rejectionReason ?? null) ?? []), id]);
  for (const [rejectionReason, batch] of byReason) {
    const { count } = await w.tx.createRequest.updateMany({
      where: { id: { in: batch }, status: 'PENDING' },
      data: { status, rejectionReason, pendingKey: null, decidedAt: w.now, decidedBy: deciderId },
    });
    if (count !== batch.length) throw conflict('A create request was already decided; try again.');
  }
  return ids.map((id) => found.get(id)!);
}

/** The requests, read back in the order given. */
async function readBack(w: Write, ids: readonly string[]): Promise<CreateRequest[]> {
  const rows = new Map((await w.tx.createRequest.findMany({ where: { id: { in: [...ids] } } })).map((request) => [request.id, request]));
  return ids.map((id) => rows.get(id)!);
}

/**
 * Approves pending create requests: each becomes a group with its requester as first admin, and is linked to
 * it. A constant number of statements whatever the number of requests (test/statement-count.test.ts).
 */
export function approveCreateRequests(ctx: Context, ids: readonly string[]): Promise<CreateRequest[]> {
  const unique = idList('ids', ids, LIMITS.requestIds);
  return withSlugRetry(() =>
    write(ctx, async (w) => {
      const requests = await claim(w, unique.map((id) => ({ id })), 'APPROVED', ctx.viewer.memberId);
      const groups = await insertGroups(
        w,
        requests.map((request) => ({
          fields: {
            name: request.name,
            description: request.description,
            privacy: request.privacy,
            coverImageUrl: request.coverImageUrl,
            membersCanApprove: request.membersCanApprove,
            membersCanInvite: request.membersCanInvite,
            showMemberList: request.showMemberList,
          },
          adminId: request.requestedBy,
        })),
      );
      // Each request gets a different group: Prisma's updateMany sets one value for all rows, so this one
      // UPDATE is written by hand (the same SQL on SQLite and PostgreSQL).
      const links = requests.map((request, i) => Prisma.sql`WHEN ${request.id} THEN ${groups[i].id}`);
      await w.tx.$executeRaw`UPDATE "CreateRequest" SET "groupId" = CASE "id" ${Prisma.join(links, ' ')} END WHERE "id" IN (${Prisma.join(unique)})`;
      return readBack(w, unique);
    }),
  );
}

/** Rejects pending create requests, each with an optional reason shown to its requester. */
export function rejectCreateRequests(ctx: Context, rejections: readonly { id: string; reason?: string | null }[]) {
  const ids = idList('rejections', rejections.map((r) => r.id), LIMITS.requestIds);
  const reasons = new Map(rejections.map((r) => [r.id.trim(), optionalText('The reason', r.reason, LIMITS.reason)]));
  return write(ctx, async (w) => {
    await claim(w, ids.map((id) => ({ id, rejectionReason: reasons.get(id) ?? null })), 'REJECTED', ctx.viewer.memberId);
    return readBack(w, ids);
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
