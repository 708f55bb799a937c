/**
 * The write path of every mutation: one transaction holding the change and its event-log rows, and the
 * events published only after that transaction has committed (a rolled-back change publishes nothing).
 */
import { Prisma, type GroupEvent } from '../generated/prisma/client.ts';
import type { GroupEventType, GroupPrivacy, GroupRole } from '../generated/prisma/enums.ts';
import type { Tx } from '../db/client.ts';
import type { Context } from '../context.ts';
import type { Loaders } from '../loaders.ts';
import { databaseKind } from '../db/adapter.ts';

/**
 * The PostgreSQL advisory lock (transaction-scoped) held from a transaction's event rows to its commit.
 * Any constant works, as long as nothing else in the database uses it.
 */
const EVENT_LOG_LOCK = 4_783_201_906;

/** Drops the loaders' cached rows of the given groups (page loaders are keyed by arguments: dropped whole). */
function forgetGroups(loaders: Loaders, groupIds: Set<string>) {
  if (groupIds.size === 0) return;
  for (const groupId of groupIds) {
    loaders.group.clear(groupId);
    loaders.viewerPendingJoinRequest.clear(groupId); // and viewerStanding, which it is read from
    loaders.rules.clear(groupId);
    loaders.questions.clear(groupId);
  }
  loaders.visibleGroup.clearAll();
  loaders.memberPage.clearAll();
  loaders.memberCountByRole.clearAll();
  loaders.memberSearchCount.clearAll();
  loaders.joinRequestPage.clearAll();
  loaders.joinRequestCount.clearAll();
}

/** One change to record in the durable log. */
export interface EventInput {
  type: GroupEventType;
  /** The group as the event leaves it: its privacy and whether it shows its member list are kept with the event. */
  group: { id: string; privacy: GroupPrivacy; showMemberList: boolean };
  memberId?: string | null;
  role?: GroupRole | null;
}

/** What a transaction body receives: the transaction client and a way to append to the event log. */
export interface Write {
  tx: Tx;
  /**
   * Records one event (actor = the viewer). The events are written, and their groups' recentActivityAt
   * moved, when the body has finished, in the same transaction and in the order they were recorded.
   */
  record(event: EventInput): void;
  /**
   * The time of this write: its events' `occurredAt` and their groups' new recentActivityAt. A body that
   * returns a group it changed sets its recentActivityAt to this, so the payload shows the state after.
   * Moved forward when the write locks a group (stampAfter): read it after the lock, never before.
   */
  now: Date;
  /** The database is PostgreSQL: for the few statements written per dialect (its advisory locks). */
  postgres: boolean;
}

/**
 * Appends the transaction's events to the log and moves their groups' recentActivityAt (a deleted group has
 * none to move); returns the rows, in log order.
 *
 * Event ids must be assigned in commit order: live subscribers rely on "an event has committed, so every
 * lower id has committed or never will" to fill gaps from the log. SQLite has one writer at a time. On
 * PostgreSQL, ids are handed out as rows are inserted and concurrent transactions commit in any order, so
 * writers of events take turns (an advisory lock) from their event rows to their commit. Writers queue for
 * that lock, so it is held as briefly as one statement and the COMMIT: the lock, the rows and the activity
 * time go in one statement, sent once the body has done everything else. (Taken at the first event, it
 * was held for four round trips, and under the bench's write mix writes took twice as long: bench/README.md,
 * round 10.)
 */
export async function appendEvents(
  tx: Tx,
  postgres: boolean,
  events: readonly EventInput[],
  actorId: string | null,
  occurredAt = new Date(),
): Promise<GroupEvent[]> {
  const touched = [...new Set(events.filter((e) => e.type !== 'GROUP_DELETED').map((e) => e.group.id))];
  const ids: number[] = [];
  // A write with many events (a group of thousands of pending requests opened, closed or deleted) sends them
  // in chunks: one statement may bind at most 32,766 values on SQLite and 65,535 on PostgreSQL.
  for (let start = 0; start < events.length; start += EVENTS_PER_STATEMENT) {
    const chunk = events.slice(start, start + EVENTS_PER_STATEMENT);
    const last = start + EVENTS_PER_STATEMENT >= events.length;
    if (start > 0) await turnOfOthers();
    const rows = await insertEvents(tx, postgres, chunk, actorId, occurredAt, last ? touched : []);
    // Neither database promises RETURNING's order; ids are assigned in insertion order, which is recorded order.
    ids.push(...rows.map((row) => Number(row.id)).sort((a, b) => a - b));
  }
  if (ids.length !== events.length) throw new Error(`the event log took ${ids.length} of ${events.length} events`);
  return events.map((e, i) => ({
    id: ids[i],
    type: e.type,
    groupId: e.group.id,
    groupPrivacy: e.group.privacy,
    memberListShown: e.group.showMemberList,
    memberId: e.memberId ?? null,
    role: e.role ?? null,
    actorId,
    occurredAt,
  }));
}

/**
 * Lets the event loop serve other requests between the statements of a large write (use between chunks).
 * A driver answers by resolved promises, and SQLite's synchronously: a transaction of many statements would
 * otherwise run to its end without the loop ever taking a request in (a group opened with 5,000 pending
 * requests held every read for a second). Reads outside the transaction do not wait for it (on SQLite they
 * have their own connection: src/db/adapter.ts), so each waits for one chunk at most.
 */
export const turnOfOthers = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Events per INSERT: at most 8 values each, far below either database's limit of bound values. */
const EVENTS_PER_STATEMENT = 1_000;

/** One INSERT of events, in their order, moving `touched` groups' recentActivityAt with it; returns their ids. */
async function insertEvents(
  tx: Tx,
  postgres: boolean,
  events: readonly EventInput[],
  actorId: string | null,
  occurredAt: Date,
  touched: readonly string[],
): Promise<{ id: number | bigint }[]> {
  if (postgres) {
    // Parameters in a SELECT list have no column to take their type from, hence the casts. The ordinal keeps
    // the rows' insertion order, and so their ids, in the order they were recorded. The advisory lock is
    // the transaction's once taken: a later chunk takes it again at no cost.
    const rows = events.map(
      (e, i) =>
        Prisma.sql`(${i}::int, ${e.type}::"GroupEventType", ${e.group.id}::text, ${e.group.privacy}::"GroupPrivacy", ${e.group.showMemberList}::boolean, ${e.memberId ?? null}::text, ${e.role ?? null}::"GroupRole")`,
    );
    const touch = touched.length
      ? Prisma.sql`, "touched" AS (UPDATE "Group" SET "recentActivityAt" = ${occurredAt}::timestamp(3) WHERE "id" IN (${Prisma.join(touched)}))`
      : Prisma.empty;
    return tx.$queryRaw`
      WITH "turn" AS (SELECT pg_advisory_xact_lock(${EVENT_LOG_LOCK}::bigint)),
      "added" AS (
        INSERT INTO "GroupEvent" ("type", "groupId", "groupPrivacy", "memberListShown", "memberId", "role", "actorId", "occurredAt")
        SELECT "v"."type", "v"."groupId", "v"."groupPrivacy", "v"."memberListShown", "v"."memberId", "v"."role", ${actorId}::text, ${occurredAt}::timestamp(3)
        FROM "turn", (VALUES ${Prisma.join(rows)}) AS "v" ("ordinal", "type", "groupId", "groupPrivacy", "memberListShown", "memberId", "role")
        ORDER BY "v"."ordinal"
        RETURNING "id"
      )${touch}
      SELECT "id" FROM "added"`;
  }
  // The Date parameters are stored as Prisma stores a model's DateTime (the driver adapter converts both).
  const rows = events.map((e) => Prisma.sql`(${e.type}, ${e.group.id}, ${e.group.privacy}, ${e.group.showMemberList}, ${e.memberId ?? null}, ${e.role ?? null}, ${actorId}, ${occurredAt})`);
  const ids = await tx.$queryRaw<{ id: number | bigint }[]>`
    INSERT INTO "GroupEvent" ("type", "groupId", "groupPrivacy", "memberListShown", "memberId", "role", "actorId", "occurredAt")
    VALUES ${Prisma.join(rows)} RETURNING "id"`;
  if (touched.length) await tx.$executeRaw`UPDATE "Group" SET "recentActivityAt" = ${occurredAt} WHERE "id" IN (${Prisma.join(touched)})`;
  return ids;
}

/**
 * Runs `body` in one transaction. Every event it records is committed with the change and published to live
 * subscribers after the commit, in log order. Afterwards the request's loaders forget what they cached about
 * the changed groups: the shield rules read the group and the viewer's role before the change, and the
 * mutation's own payload (e.g. `membership { group { membersCount viewerRole } }`) must show the state after.
 */
export async function write<T>(
  ctx: Pick<Context, 'db' | 'events' | 'viewer' | 'loaders' | 'config'>,
  body: (w: Write) => Promise<T>,
  /** The group whose row lock the body takes first (lockGroup), if it writes to one: see inTurn. */
  group: string | null = null,
): Promise<T> {
  let recorded: GroupEvent[] = [];
  const postgres = databaseKind(ctx.config.databaseUrl) === 'postgresql';
  const attempt = () =>
    ctx.db.$transaction(
      async (tx) => {
        recorded = []; // those of an attempt that was aborted were never committed
        const events: EventInput[] = [];
        // A copy of what the log needs, as it was when recorded.
        const record = (e: EventInput) => void events.push({ type: e.type, group: { id: e.group.id, privacy: e.group.privacy, showMemberList: e.group.showMemberList }, memberId: e.memberId, role: e.role });
        const w: Write = { tx, record, now: new Date(), postgres };
        const value = await body(w);
        if (events.length) recorded = await appendEvents(tx, postgres, events, ctx.viewer.memberId, w.now);
        return value;
      },
      { maxWait: 10_000, timeout: 20_000 },
    );
  const result = group !== null && postgres ? await inTurn(group, () => retryingWriteConflicts(attempt)) : await retryingWriteConflicts(attempt);
  forgetGroups(ctx.loaders, new Set(recorded.map((event) => event.groupId)));
  for (const event of recorded) ctx.events.publish('groupEvent', event);
  return result;
}

/**
 * Sets the write's time once it holds a group's row lock: the clock read now (not when the transaction
 * began, which may have been long before, waiting for the lock), and always after the group's latest
 * activity (`recentActivityAt`, the time of its last event, read under the lock): at least 1 ms after it.
 *
 * So within one group, times follow the log's order, strictly, from one write to the next, whichever
 * instance (and clock) wrote them. "Was this event before the viewer's membership began?" compares a
 * membership's `joinedAt` with an event's `occurredAt` (policy.ts: roleForEvent, and its SQL), and both
 * are a write's time. Taken when the transaction began, writes that queued for the lock committed in
 * another order than their times (by up to 0.7 s): a newcomer then missed events from after they joined,
 * received some from before, or never saw the group deleted. Two writes in one millisecond would compare
 * equal: a newcomer would have been shown the event committed just before their own.
 */
export function stampAfter(w: Write, lastActivity: unknown): void {
  const last = lastActivity instanceof Date ? lastActivity.getTime() : lastActivity == null ? NaN : new Date(lastActivity as string | number).getTime();
  const clock = Date.now();
  // Never further ahead of this clock than MAX_STAMP_AHEAD_MS: a group whose time was far in the future (bad
  // data, an instance whose clock was off by hours) would otherwise carry every later write of it there, and
  // a write over several groups (removeSiteMember) the others too.
  const after = Number.isNaN(last) ? -Infinity : Math.min(last + 1, clock + MAX_STAMP_AHEAD_MS);
  w.now = new Date(Math.max(clock, w.now.getTime(), after));
}

/**
 * How far ahead of the local clock stampAfter may set a write's time: well beyond the skew between the clocks
 * of instances kept by NTP (milliseconds), so that order holds against it, and no further.
 */
export const MAX_STAMP_AHEAD_MS = 5_000;

/** The last write to each group started in this process, settled or not (inTurn). */
const groupTurns = new Map<string, Promise<void>>();

/**
 * Runs the writes to one group one after another in this process, each starting once the one before has
 * finished (PostgreSQL). They would wait anyway, for the group's row lock, and each while holding one of the
 * pool's connections: a burst of writes to one popular group took the whole pool, and reads of every other
 * group waited behind it (an audit saw 6 ms become 300 ms, and seconds behind a slow writer). Waiting here
 * holds no connection. (SQLite writes already take turns, on its one write connection.) Other instances'
 * writes still meet at the row lock. Written by hand: a promise chain per key is a few lines, where a
 * keyed-mutex library would be a dependency for them.
 */
function inTurn<T>(group: string, run: () => Promise<T>): Promise<T> {
  const before = groupTurns.get(group) ?? Promise.resolve();
  const result = before.then(run);
  const settled = result.then(
    () => undefined,
    () => undefined,
  );
  groupTurns.set(group, settled);
  void settled.then(() => {
    if (groupTurns.get(group) === settled) groupTurns.delete(group);
  });
  return result;
}

/** Times a transaction is run in all when the database ends it as a deadlock or a write conflict. */
const CONFLICT_ATTEMPTS = 3;

/**
 * Runs `attempt` again, from the start, when the database aborted it as a deadlock or a serialization
 * failure (PostgreSQL's 40P01 and 40001, which the driver adapter reports as a TransactionWriteConflict). PostgreSQL picks one of two
 * transactions that wait on each other (say, two writes that meet on the same new slugs in opposite
 * orders) and aborts it; nothing of it was written, and run again it goes through. The client then sees
 * neither the deadlock nor an internal error. A body is only statements of its transaction and records of
 * events, so running it again repeats nothing outside the database.
 */
export async function retryingWriteConflicts<T>(attempt: () => Promise<T>): Promise<T> {
  for (let run = 1; ; run++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isWriteConflict(error) || run >= CONFLICT_ATTEMPTS) throw error;
    }
  }
}

/**
 * True for Prisma's "Transaction failed due to a write conflict or a deadlock": P2034 from a model query;
 * from a raw statement (the group's lock, the event rows), P2010 carrying the driver adapter's error of
 * that kind.
 */
export function isWriteConflict(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, meta } = error as { code?: string; meta?: { driverAdapterError?: { cause?: { kind?: string } } } };
  return code === 'P2034' || (code === 'P2010' && meta?.driverAdapterError?.cause?.kind === 'TransactionWriteConflict');
}
