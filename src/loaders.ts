/**
 * Per-request batching (dataloader). Contract of every batch function: given N keys it returns N results,
 * in the order of the keys, with null where nothing matched. Each loader costs one SQL statement per page
 * of groups, however many groups the page holds. Loaders are created per request (createLoaders) and never
 * shared across requests or held by long-lived subscriptions, whose data would go stale.
 */
import DataLoader from 'dataloader';
import type { Group, GroupMember, JoinRequest, JoinRequestAnswer } from './generated/prisma/client.ts';
import type { GroupRole, RequestStatus } from './generated/prisma/enums.ts';
import type { Db } from './db/client.ts';
import type { Viewer } from './auth/viewer.ts';

function byKey<T, K>(keys: readonly K[], rows: T[], keyOf: (row: T) => K): (T | null)[] {
  const map = new Map<K, T>();
  for (const row of rows) map.set(keyOf(row), row);
  return keys.map((key) => map.get(key) ?? null);
}

function groupedByKey<T, K>(keys: readonly K[], rows: T[], keyOf: (row: T) => K): T[][] {
  const map = new Map<K, T[]>();
  for (const row of rows) {
    const list = map.get(keyOf(row));
    if (list) list.push(row);
    else map.set(keyOf(row), [row]);
  }
  return keys.map((key) => map.get(key) ?? []);
}

/** One page of a group's members, as the members connection needs it. */
export interface MemberPageKey {
  groupId: string;
  role: GroupRole | null;
  take: number;
  /** Keyset position (joinedAt, id) to start after, or null for the first page. */
  after: { joinedAt: Date; id: string } | null;
}

/** One page of a group's join requests, as the joinRequests connection needs it. */
export interface JoinRequestPageKey {
  groupId: string;
  status: RequestStatus | null;
  take: number;
  /** Keyset position (createdAt, id) to start after, or null for the first page. */
  after: { createdAt: Date; id: string } | null;
}

/** Splits keys into runs that share everything but the group, so each run is one statement. */
function byShape<K extends { groupId: string }>(keys: readonly K[]): K[][] {
  const shapes = new Map<string, K[]>();
  for (const key of keys) {
    const { groupId: _groupId, ...shape } = key;
    const id = JSON.stringify(shape);
    shapes.set(id, [...(shapes.get(id) ?? []), key]);
  }
  return [...shapes.values()];
}

export function createLoaders(db: Db, viewer: Viewer) {
  const memberId = viewer.memberId;
  return {
    /** Group rows by id, unfiltered: callers apply the policy. */
    group: new DataLoader<string, Group | null>(async (ids) =>
      byKey(ids, await db.group.findMany({ where: { id: { in: [...ids] } } }), (g) => g.id),
    ),

    /** The viewer's membership in each group (null when not a member; anonymous viewers cost nothing). */
    viewerMembership: new DataLoader<string, GroupMember | null>(async (groupIds) => {
      if (memberId === null) return groupIds.map(() => null);
      const rows = await db.groupMember.findMany({ where: { memberId, groupId: { in: [...groupIds] } } });
      return byKey(groupIds, rows, (m) => m.groupId);
    }),

    /** The viewer's own pending join request in each group. */
    viewerPendingJoinRequest: new DataLoader<string, JoinRequest | null>(async (groupIds) => {
      if (memberId === null) return groupIds.map(() => null);
      const rows = await db.joinRequest.findMany({
        where: { memberId, status: 'PENDING', groupId: { in: [...groupIds] } },
      });
      return byKey(groupIds, rows, (r) => r.groupId);
    }),

    /**
     * Pages of members for many groups at once: one statement for all groups sharing the same page
     * arguments (the common case: `members(first: 5)` on every group of a list).
     */
    memberPage: new DataLoader<MemberPageKey, GroupMember[], string>(
      async (keys) => {
        const groups = new Map<string, MemberPageKey[]>();
        for (const key of keys) {
          const shape = JSON.stringify([key.role, key.take, key.after]);
          groups.set(shape, [...(groups.get(shape) ?? []), key]);
        }
        const results = new Map<MemberPageKey, GroupMember[]>();
        await Promise.all(
          [...groups.values()].map(async (sameShape) => {
            const { role, take, after } = sameShape[0];
            const rows = await db.group.findMany({
              where: { id: { in: sameShape.map((k) => k.groupId) } },
              select: {
                id: true,
                members: {
                  where: {
                    ...(role ? { role } : {}),
                    ...(after
                      ? { OR: [{ joinedAt: { gt: after.joinedAt } }, { joinedAt: after.joinedAt, id: { gt: after.id } }] }
                      : {}),
                  },
                  orderBy: [{ joinedAt: 'asc' }, { id: 'asc' }],
                  take,
                },
              },
            });
            const byGroup = new Map(rows.map((row) => [row.id, row.members]));
            for (const key of sameShape) results.set(key, byGroup.get(key.groupId) ?? []);
          }),
        );
        return keys.map((key) => results.get(key) ?? []);
      },
      { cacheKeyFn: (key) => JSON.stringify(key) },
    ),

    /**
     * Pages of join requests (with their answers) for many groups at once, like memberPage: one statement
     * per distinct page shape, whatever the number of groups.
     */
    joinRequestPage: new DataLoader<JoinRequestPageKey, (JoinRequest & { answers: JoinRequestAnswer[] })[], string>(
      async (keys) => {
        const results = new Map<JoinRequestPageKey, (JoinRequest & { answers: JoinRequestAnswer[] })[]>();
        await Promise.all(
          byShape(keys).map(async (sameShape) => {
            const { status, take, after } = sameShape[0];
            const rows = await db.group.findMany({
              where: { id: { in: sameShape.map((k) => k.groupId) } },
              select: {
                id: true,
                joinRequests: {
                  where: {
                    ...(status ? { status } : {}),
                    ...(after
                      ? { OR: [{ createdAt: { gt: after.createdAt } }, { createdAt: after.createdAt, id: { gt: after.id } }] }
                      : {}),
                  },
                  orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
                  take,
                  include: { answers: { orderBy: { position: 'asc' } } },
                },
              },
            });
            const byGroup = new Map(rows.map((row) => [row.id, row.joinRequests]));
            for (const key of sameShape) results.set(key, byGroup.get(key.groupId) ?? []);
          }),
        );
        return keys.map((key) => results.get(key) ?? []);
      },
      { cacheKeyFn: (key) => JSON.stringify(key) },
    ),

    /** Count of join requests (of one status, or all) per group. */
    joinRequestCount: new DataLoader<{ groupId: string; status: RequestStatus | null }, number, string>(
      async (keys) => {
        const rows = await db.joinRequest.groupBy({
          by: ['groupId', 'status'],
          where: { groupId: { in: [...new Set(keys.map((k) => k.groupId))] } },
          _count: { _all: true },
        });
        return keys.map((key) =>
          rows
            .filter((row) => row.groupId === key.groupId && (key.status === null || row.status === key.status))
            .reduce((sum, row) => sum + row._count._all, 0),
        );
      },
      { cacheKeyFn: (key) => `${key.groupId}:${key.status}` },
    ),

    /** Count of members holding a role, per group (the unfiltered count is Group.membersCount). */
    memberCountByRole: new DataLoader<{ groupId: string; role: GroupRole }, number, string>(
      async (keys) => {
        const rows = await db.groupMember.groupBy({
          by: ['groupId', 'role'],
          where: { groupId: { in: [...new Set(keys.map((k) => k.groupId))] } },
          _count: { _all: true },
        });
        return keys.map(
          (key) => rows.find((row) => row.groupId === key.groupId && row.role === key.role)?._count._all ?? 0,
        );
      },
      { cacheKeyFn: (key) => `${key.groupId}:${key.role}` },
    ),

    /** Rules and questions of each group, in their set order. */
    rules: new DataLoader<string, Awaited<ReturnType<Db['groupRule']['findMany']>>>(async (groupIds) =>
      groupedByKey(
        groupIds,
        await db.groupRule.findMany({ where: { groupId: { in: [...groupIds] } }, orderBy: { position: 'asc' } }),
        (r) => r.groupId,
      ),
    ),
    questions: new DataLoader<string, Awaited<ReturnType<Db['membershipQuestion']['findMany']>>>(async (groupIds) =>
      groupedByKey(
        groupIds,
        await db.membershipQuestion.findMany({
          where: { groupId: { in: [...groupIds] } },
          orderBy: { position: 'asc' },
        }),
        (q) => q.groupId,
      ),
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
