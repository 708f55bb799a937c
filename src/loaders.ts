/**
 * Per-request batching (dataloader). Contract of every batch function: given N keys it returns N results,
 * in the order of the keys, with null where nothing matched. Each loader costs one SQL statement per page
 * of groups, however many groups the page holds. Loaders are created per request (createLoaders) and never
 * shared across requests or held by long-lived subscriptions, whose data would go stale.
 *
 * Each loader is made on first use: a request that asks for no group data (`{ __typename }`, most
 * mutations, an idle subscription) allocates none.
 */
import DataLoader from 'dataloader';
import { Prisma, type CreateRequest, type Group, type GroupMember, type GroupRule, type JoinRequest, type JoinRequestAnswer, type MembershipQuestion } from './generated/prisma/client.ts';
import type { GroupRole, RequestStatus } from './generated/prisma/enums.ts';
import type { Db } from './db/client.ts';
import { readGroups, readGroupsById, type GroupKey } from './db/group-list.ts';
import { visibleGroupsSql } from './auth/visibility.ts';
import { JOIN_REQUEST_COLUMN_NAMES, joinRequestOf, readVisibleJoinRequests } from './db/join-request-list.ts';
import { readVisibleCreateRequests } from './db/create-request-list.ts';
import { andPositionSql, orderBySql, readingOrder, type PagePosition, type SortKey } from './db/keyset.ts';
import { toDate } from './db/reads.ts';
import { readMemberNames } from './db/member-names.ts';
import { searchKey } from './domain/search.ts';
import { NO_STANDING, STANDING_COLUMNS, standingJoinsSql, standingOf, type ViewerStanding } from './db/viewer-standing.ts';
import type { Viewer } from './auth/viewer.ts';
import type { Context } from './context.ts';

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
  /** Only members whose display name or id contains this (already trimmed; null for all). */
  search: string | null;
  take: number;
  /** Where the page lies, in keyset positions of (joinedAt, id). */
  position: PagePosition;
}

/** One page of a group's join requests, as the joinRequests connection needs it. */
export interface JoinRequestPageKey {
  groupId: string;
  status: RequestStatus | null;
  take: number;
  /** Where the page lies, in keyset positions of (createdAt, id). */
  position: PagePosition;
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

/** Groups per statement of the hand-written batch queries (SQLite allows 500 terms in a compound SELECT). */
const CHUNK = 200;

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * The viewer's membership and pending join request for many groups, in one statement (both are needed
 * together by `viewerCan`, and `viewerRole` / `viewerJoinRequest` ride on the same batch).
 */
async function viewerStandings(db: Db, memberId: string, groupIds: readonly string[]): Promise<ViewerStanding[]> {
  const byGroup = new Map<string, ViewerStanding>();
  for (const ids of chunks(groupIds, 1_000)) {
    const rows = await db.read<Record<string, unknown>>(Prisma.sql`
      SELECT g."id" AS "groupId", ${STANDING_COLUMNS}
      FROM "Group" g ${standingJoinsSql(memberId)}
      WHERE g."id" IN (${Prisma.join(ids)})`);
    for (const row of rows) byGroup.set(row.groupId as string, standingOf(row, row.groupId as string, memberId));
  }
  return groupIds.map((id) => byGroup.get(id) ?? NO_STANDING);
}

/**
 * A page of `take` rows of `table` for each group, oldest first (`time`, then id), at a keyset position
 * (keyset.ts: after and before positions, read from the end for `last`), among the rows meeting `where`:
 * one statement for many groups, a LIMITed branch per group joined by UNION ALL, so each group reads only
 * the rows it shows (an index on `(groupId, …, time, id)` serves every branch, in either direction), however
 * many rows the group has. Prisma's nested `take` read every row of the groups and cut the pages in memory.
 * Each group's rows come in the reading order (keyset.ts, readingOrder); the schema turns backward ones round.
 */
async function pagesPerGroup<T extends { groupId: string }>(
  db: Db,
  groupIds: readonly string[],
  page: {
    table: 'GroupMember' | 'JoinRequest';
    columns: Prisma.Sql;
    time: 'joinedAt' | 'createdAt';
    where: Prisma.Sql;
    take: number;
    position: PagePosition;
    rowOf: (row: Record<string, unknown>) => T;
  },
): Promise<Map<string, T[]>> {
  const byGroup = new Map<string, T[]>();
  const table = Prisma.raw(`"${page.table}"`);
  const keys: SortKey<string>[] = [
    { field: page.time, order: 'asc', kind: 'date' },
    { field: 'id', order: 'asc', kind: 'string' },
  ];
  const column = (field: string) => Prisma.raw(`"${field}"`);
  const position = andPositionSql(keys, page.position, column);
  const order = orderBySql(readingOrder(keys, page.position), column);
  for (const ids of chunks(groupIds)) {
    const branches = ids.map(
      (groupId) => Prisma.sql`SELECT * FROM (SELECT ${page.columns} FROM ${table}
        WHERE "groupId" = ${groupId}${page.where}${position} ORDER BY ${order} LIMIT ${page.take}) AS "page"`,
    );
    const rows = await db.read<Record<string, unknown>>(Prisma.sql`${Prisma.join(branches, ' UNION ALL ', '', '')}`);
    for (const row of rows) {
      const item = page.rowOf(row);
      const list = byGroup.get(item.groupId);
      if (list) list.push(item);
      else byGroup.set(item.groupId, [item]);
    }
  }
  // Each branch comes back in its ORDER BY; should the engine interleave branches, a stable sort on the time
  // restores each group's order (rows with the same time keep the database's id order).
  const timeOf = (item: T) => ((item as Record<string, unknown>)[page.time] as Date).getTime();
  const direction = page.position.backward ? -1 : 1;
  for (const list of byGroup.values()) list.sort((a, b) => direction * (timeOf(a) - timeOf(b)));
  return byGroup;
}

/**
 * The members of one role (or all) whose display name or id contains `search` (or all): a condition on
 * "GroupMember" rows, after the group's own. The name is matched in its searchable form (domain/search.ts,
 * as group names are); the id, which is stored as given, lower-cased with LIKE's wildcards escaped (LIKE …
 * ESCAPE reads the same on SQLite and PostgreSQL). Each member's name is found by its key, so a search
 * reads the group's members, not every name of the site.
 */
function memberConditionSql(role: GroupRole | null, search: string | null): Prisma.Sql {
  const byRole = role ? Prisma.sql` AND "GroupMember"."role" = ${role}` : Prisma.empty;
  if (search === null) return byRole;
  const idPattern = `%${search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return Prisma.sql`${byRole} AND (LOWER("GroupMember"."memberId") LIKE ${idPattern} ESCAPE '\\'
    OR EXISTS (SELECT 1 FROM "MemberName" n WHERE n."memberId" = "GroupMember"."memberId" AND n."nameSearch" LIKE ${`%${searchKey(search)}%`}))`;
}

/** A page of `take` members of each group (of one role, or all; matching a search, or all), oldest first, at a keyset position. */
function memberPages(db: Db, groupIds: readonly string[], role: GroupRole | null, search: string | null, take: number, position: PagePosition) {
  return pagesPerGroup<GroupMember>(db, groupIds, {
    table: 'GroupMember',
    columns: Prisma.sql`"id", "groupId", "memberId", "role", "joinedAt"`,
    time: 'joinedAt',
    where: memberConditionSql(role, search),
    take,
    position,
    rowOf: (row) => ({
      id: row.id as string,
      groupId: row.groupId as string,
      memberId: row.memberId as string,
      role: row.role as GroupRole,
      joinedAt: toDate(row.joinedAt),
    }),
  });
}

const toInt = (value: unknown) => Number(value);
const toBool = (value: unknown) => value === true || value === 1 || value === 1n;

/**
 * Rows of `table` counted per group and value of `column` (a join request's status, a member's role), for
 * the groups of `keys`: one statement, through the index that starts with the group.
 */
async function countsBy(db: Db, table: 'JoinRequest' | 'GroupMember', column: 'status' | 'role', keys: readonly { groupId: string }[]) {
  const counts: { groupId: string; value: string; count: number }[] = [];
  for (const ids of chunks([...new Set(keys.map((k) => k.groupId))], 1_000)) {
    const rows = await db.read<Record<string, unknown>>(Prisma.sql`
      SELECT "groupId", ${Prisma.raw(`"${column}"`)} AS "value", COUNT(*) AS "count" FROM ${Prisma.raw(`"${table}"`)}
      WHERE "groupId" IN (${Prisma.join(ids)}) GROUP BY "groupId", ${Prisma.raw(`"${column}"`)}`);
    for (const row of rows) counts.push({ groupId: row.groupId as string, value: row.value as string, count: toInt(row.count) });
  }
  return counts;
}

const JOIN_REQUEST_COLUMNS = Prisma.raw(JOIN_REQUEST_COLUMN_NAMES.map((column) => `"${column}"`).join(', '));

/** A page of `take` join requests of each group (of one status, or all), oldest first, at a keyset position. */
function joinRequestPages(
  db: Db,
  groupIds: readonly string[],
  status: RequestStatus | null,
  take: number,
  position: PagePosition,
) {
  return pagesPerGroup<JoinRequest>(db, groupIds, {
    table: 'JoinRequest',
    columns: JOIN_REQUEST_COLUMNS,
    time: 'createdAt',
    where: status ? Prisma.sql` AND "status" = ${status}` : Prisma.empty,
    take,
    position,
    rowOf: joinRequestOf,
  });
}

/** The answers of many join requests, each list in the questions' order: one statement. */
async function joinRequestAnswers(db: Db, requestIds: readonly string[]): Promise<JoinRequestAnswer[][]> {
  const rows: JoinRequestAnswer[] = [];
  for (const ids of chunks(requestIds, 1_000)) {
    const found = await db.read<Record<string, unknown>>(Prisma.sql`
      SELECT "id", "joinRequestId", "questionId", "question", "text", "position" FROM "JoinRequestAnswer"
      WHERE "joinRequestId" IN (${Prisma.join(ids)}) ORDER BY "joinRequestId" ASC, "position" ASC`);
    for (const row of found) {
      rows.push({
        id: row.id as string,
        joinRequestId: row.joinRequestId as string,
        questionId: row.questionId as string,
        question: row.question as string,
        text: row.text as string,
        position: toInt(row.position),
      });
    }
  }
  return groupedByKey(requestIds, rows, (answer) => answer.joinRequestId);
}

/** A group's rules and membership questions, each list in its set order. */
export interface GroupContent {
  rules: GroupRule[];
  questions: MembershipQuestion[];
}

/** Rules and questions of many groups in one statement (a page shows both, before joining). */
async function groupContents(db: Db, groupIds: readonly string[]): Promise<GroupContent[]> {
  const byGroup = new Map<string, GroupContent>();
  for (const id of groupIds) byGroup.set(id, { rules: [], questions: [] });
  for (const ids of chunks(groupIds, 1_000)) {
    const list = Prisma.join(ids);
    const rows = await db.read<Record<string, unknown>>(Prisma.sql`
      SELECT 'rule' AS "kind", "id", "groupId", "position", "title", "description", NULL AS "text", NULL AS "required"
        FROM "GroupRule" WHERE "groupId" IN (${list})
      UNION ALL
      SELECT 'question' AS "kind", "id", "groupId", "position", NULL AS "title", NULL AS "description", "text", "required"
        FROM "MembershipQuestion" WHERE "groupId" IN (${list})
      ORDER BY "position" ASC`);
    for (const row of rows) {
      const content = byGroup.get(row.groupId as string);
      if (!content) continue;
      // Each row spelled out, not spread from shared fields: see contextOf in src/context.ts.
      const id = row.id as string;
      const groupId = row.groupId as string;
      const position = toInt(row.position);
      if (row.kind === 'rule') {
        content.rules.push({ id, groupId, position, title: row.title as string, description: row.description as string });
      } else {
        content.questions.push({ id, groupId, position, text: row.text as string, required: toBool(row.required) });
      }
    }
  }
  return groupIds.map((id) => byGroup.get(id)!);
}

/**
 * The viewer's standing in one group, read elsewhere for many viewers at once: a live event's subscribers
 * (live/audience.ts, Audience.standingNow).
 */
export interface SharedStanding {
  groupId: string;
  load(): Promise<ViewerStanding>;
}

/** Everything a request may batch, each loader made when first used. */
class RequestLoaders {
  private readonly db: Db;
  private readonly memberId: string | null;
  private readonly name: string | null;
  private readonly shared: SharedStanding | null;
  private readonly viewer: Viewer;
  constructor(db: Db, viewer: Viewer, shared: SharedStanding | null = null) {
    this.db = db;
    this.viewer = viewer;
    this.memberId = viewer.memberId;
    this.name = viewer.name;
    this.shared = shared;
  }

  #group?: DataLoader<string, Group | null>;
  /** Group rows by id, unfiltered: callers apply the policy. */
  get group() {
    const db = this.db;
    return (this.#group ??= new DataLoader<string, Group | null>(async (ids) => {
      const rows: Group[] = [];
      for (const some of chunks(ids, 1_000)) rows.push(...(await readGroupsById(db, some)));
      return byKey(ids, rows, (g) => g.id);
    }));
  }

  #visibleGroup?: DataLoader<GroupKey, { group: Group; standing: ViewerStanding | null } | null, string>;
  /**
   * The groups the viewer may see, by id or by slug (`group(id:)`, `groupBySlug`), with the viewer's standing
   * in each: all a request names (aliases) in one statement, filtered by the visibility policy in its SQL.
   */
  get visibleGroup() {
    const { db, viewer } = this;
    return (this.#visibleGroup ??= new DataLoader(async (keys) => readGroups(db, keys, visibleGroupsSql(viewer), viewer.memberId), {
      cacheKeyFn: (key) => ('id' in key ? `id:${key.id}` : `slug:${key.slug}`),
    }));
  }

  #visibleRequest?: DataLoader<string, JoinRequest | CreateRequest | null>;
  /**
   * The join and create requests the viewer may read, by id (`node(id:)`, `nodes(ids:)`): every id a request
   * names in one statement per kind, filtered by the visibility policy in its SQL. A join request's group and
   * the viewer's standing in it come with it, for its fields (`group`, `decidedBy`).
   */
  get visibleRequest() {
    const { db, viewer } = this;
    return (this.#visibleRequest ??= new DataLoader<string, JoinRequest | CreateRequest | null>(async (ids) => {
      const [joins, creates] = await Promise.all([readVisibleJoinRequests(db, viewer, ids), readVisibleCreateRequests(db, viewer, ids)]);
      for (const { group, standing } of joins) {
        this.group.prime(group.id, group);
        if (standing) this.viewerStanding.prime(group.id, standing);
      }
      return byKey<JoinRequest | CreateRequest, string>(ids, [...joins.map((join) => join.request), ...creates], (request) => request.id);
    }));
  }

  #viewerStanding?: DataLoader<string, ViewerStanding>;
  /** The viewer's membership and pending join request in each group (anonymous viewers cost nothing). */
  get viewerStanding() {
    const { db, memberId, shared } = this;
    return (this.#viewerStanding ??= new DataLoader<string, ViewerStanding>(async (groupIds) => {
      if (memberId === null) return groupIds.map(() => NO_STANDING);
      if (shared === null || !groupIds.includes(shared.groupId)) return viewerStandings(db, memberId, groupIds);
      const others = groupIds.filter((id) => id !== shared.groupId);
      const [own, rest] = await Promise.all([shared.load(), others.length > 0 ? viewerStandings(db, memberId, others) : []]);
      let next = 0;
      return groupIds.map((id) => (id === shared.groupId ? own : rest[next++]));
    }));
  }

  #viewerPendingJoinRequest?: DerivedLoader<ViewerStanding, JoinRequest | null>;
  /** The viewer's own pending join request in each group, from viewerStanding. */
  get viewerPendingJoinRequest() {
    return (this.#viewerPendingJoinRequest ??= new DerivedLoader(() => this.viewerStanding, (s) => s.pendingJoinRequest));
  }

  #memberPage?: DataLoader<MemberPageKey, GroupMember[], string>;
  /**
   * Pages of members for many groups at once: one statement for all groups sharing the same page
   * arguments (the common case: `members(first: 5)` on every group of a list).
   */
  get memberPage() {
    const db = this.db;
    return (this.#memberPage ??= new DataLoader<MemberPageKey, GroupMember[], string>(
      async (keys) => {
        const results = new Map<MemberPageKey, GroupMember[]>();
        await Promise.all(
          byShape(keys).map(async (sameShape) => {
            const { role, search, take, position } = sameShape[0];
            const byGroup = await memberPages(db, [...new Set(sameShape.map((k) => k.groupId))], role, search, take, position);
            for (const key of sameShape) results.set(key, byGroup.get(key.groupId) ?? []);
          }),
        );
        return keys.map((key) => results.get(key) ?? []);
      },
      { cacheKeyFn: (key) => JSON.stringify(key) },
    ));
  }

  #joinRequestPage?: DataLoader<JoinRequestPageKey, JoinRequest[], string>;
  /**
   * Pages of join requests for many groups at once, like memberPage: one statement per distinct page
   * shape, whatever the number of groups.
   */
  get joinRequestPage() {
    const db = this.db;
    return (this.#joinRequestPage ??= new DataLoader<JoinRequestPageKey, JoinRequest[], string>(
      async (keys) => {
        const results = new Map<JoinRequestPageKey, JoinRequest[]>();
        await Promise.all(
          byShape(keys).map(async (sameShape) => {
            const { status, take, position } = sameShape[0];
            const byGroup = await joinRequestPages(db, [...new Set(sameShape.map((k) => k.groupId))], status, take, position);
            for (const key of sameShape) results.set(key, byGroup.get(key.groupId) ?? []);
          }),
        );
        return keys.map((key) => results.get(key) ?? []);
      },
      { cacheKeyFn: (key) => JSON.stringify(key) },
    ));
  }

  #memberName?: DataLoader<string, string | null>;
  /**
   * Members' display names (by member id), for every member list, join request and create request of a page.
   * The viewer's own is their token's, the newest there is (what is stored may still be being written:
   * db/member-names.ts records names in the background).
   */
  get memberName() {
    const { db, memberId, name } = this;
    return (this.#memberName ??= new DataLoader<string, string | null>(async (ids) => {
      if (name === null || !ids.includes(memberId!)) return readMemberNames(db, ids);
      const others = ids.filter((id) => id !== memberId);
      const stored = others.length ? await readMemberNames(db, others) : [];
      const byId = new Map(others.map((id, i) => [id, stored[i]!]));
      return ids.map((id) => (id === memberId ? name : (byId.get(id) ?? null)));
    }));
  }

  #joinRequestAnswers?: DataLoader<string, JoinRequestAnswer[]>;
  /** The answers given with each join request (by request id), in the questions' order. */
  get joinRequestAnswers() {
    const db = this.db;
    return (this.#joinRequestAnswers ??= new DataLoader<string, JoinRequestAnswer[]>((ids) => joinRequestAnswers(db, ids)));
  }

  #joinRequestCount?: DataLoader<{ groupId: string; status: RequestStatus | null }, number, string>;
  /** Count of join requests (of one status, or all) per group. */
  get joinRequestCount() {
    const db = this.db;
    return (this.#joinRequestCount ??= new DataLoader<{ groupId: string; status: RequestStatus | null }, number, string>(
      async (keys) => {
        const rows = await countsBy(db, 'JoinRequest', 'status', keys);
        return keys.map((key) =>
          rows
            .filter((row) => row.groupId === key.groupId && (key.status === null || row.value === key.status))
            .reduce((sum, row) => sum + row.count, 0),
        );
      },
      { cacheKeyFn: (key) => `${key.groupId}:${key.status}` },
    ));
  }

  #memberCountByRole?: DataLoader<{ groupId: string; role: GroupRole }, number, string>;
  /** Count of members holding a role, per group (the unfiltered count is Group.membersCount). */
  get memberCountByRole() {
    const db = this.db;
    return (this.#memberCountByRole ??= new DataLoader<{ groupId: string; role: GroupRole }, number, string>(
      async (keys) => {
        const rows = await countsBy(db, 'GroupMember', 'role', keys);
        return keys.map((key) => rows.find((row) => row.groupId === key.groupId && row.value === key.role)?.count ?? 0);
      },
      { cacheKeyFn: (key) => `${key.groupId}:${key.role}` },
    ));
  }

  #memberSearchCount?: DataLoader<{ groupId: string; role: GroupRole | null; search: string }, number, string>;
  /** Count of the members a search finds (of one role, or all), per group: one statement per search. */
  get memberSearchCount() {
    const db = this.db;
    return (this.#memberSearchCount ??= new DataLoader<{ groupId: string; role: GroupRole | null; search: string }, number, string>(
      async (keys) => {
        const counts = new Map<string, number>();
        await Promise.all(
          byShape(keys).map(async (sameShape) => {
            const { role, search } = sameShape[0];
            for (const ids of chunks([...new Set(sameShape.map((k) => k.groupId))], 1_000)) {
              const rows = await db.read<Record<string, unknown>>(Prisma.sql`
                SELECT "groupId", COUNT(*) AS "count" FROM "GroupMember"
                WHERE "groupId" IN (${Prisma.join(ids)})${memberConditionSql(role, search)} GROUP BY "groupId"`);
              for (const row of rows) counts.set(JSON.stringify([row.groupId, role, search]), toInt(row.count));
            }
          }),
        );
        return keys.map((key) => counts.get(JSON.stringify([key.groupId, key.role, key.search])) ?? 0);
      },
      { cacheKeyFn: (key) => JSON.stringify([key.groupId, key.role, key.search]) },
    ));
  }

  #content?: DataLoader<string, GroupContent>;
  /** Rules and membership questions of each group, in their set order: one statement for both. */
  get content() {
    const db = this.db;
    return (this.#content ??= new DataLoader<string, GroupContent>((groupIds) => groupContents(db, groupIds)));
  }

  #rules?: DerivedLoader<GroupContent, GroupRule[]>;
  /** Rules of each group, in their set order (read with the questions, see content). */
  get rules() {
    return (this.#rules ??= new DerivedLoader(() => this.content, (c) => c.rules));
  }

  #questions?: DerivedLoader<GroupContent, MembershipQuestion[]>;
  /** Membership questions of each group, in their set order (read with the rules, see content). */
  get questions() {
    return (this.#questions ??= new DerivedLoader(() => this.content, (c) => c.questions));
  }
}

/**
 * A loader answered from another one (viewerPendingJoinRequest from viewerStanding,
 * rules and questions from content): loads batch into the source's statement, and forgetting a group here
 * forgets it there too, so a write's `clear(groupId)` makes the next read fresh.
 */
class DerivedLoader<S, V> extends DataLoader<string, V> {
  private readonly source: () => DataLoader<string, S>;
  constructor(source: () => DataLoader<string, S>, pick: (value: S) => V) {
    super(async (keys) => (await source().loadMany(keys)).map((s) => (s instanceof Error ? s : pick(s))));
    this.source = source;
  }
  override clear(key: string): this {
    this.source().clear(key);
    return super.clear(key);
  }
  override clearAll(): this {
    this.source().clearAll();
    return super.clearAll();
  }
}

/** A request's loaders; `shared`: the viewer's standing in one group, read for many viewers at once. */
export function createLoaders(db: Db, viewer: Viewer, shared: SharedStanding | null = null) {
  return new RequestLoaders(db, viewer, shared);
}

export type Loaders = ReturnType<typeof createLoaders>;

/**
 * The viewer's role in a group, through the request's batched loader (the viewer's standing: membership and
 * pending request, read together for a whole page of groups).
 */
export async function viewerRole(ctx: Context, groupId: string) {
  return (await ctx.loaders.viewerStanding.load(groupId)).membership?.role ?? null;
}
