/**
 * Who receives a live event. Decided per event at delivery time, with fresh data (a subscription's context
 * lives as long as the subscription, so its request loaders would be stale): the group's current row and the
 * memberships of the subscribers are read once per event and shared by every subscriber checking it, batched
 * by a loader that lives only while that event is being delivered.
 */
import DataLoader from 'dataloader';
import { Prisma, type Group, type GroupEvent, type GroupMember } from '../generated/prisma/client.ts';
import type { Db } from '../db/client.ts';
import type { Viewer } from '../auth/viewer.ts';
import {
  canReceiveEvent,
  deletedGroupFacts,
  isAboutViewer,
  MEMBERSHIP_START_EVENTS,
  ROLE_AFTER,
  roleAfter,
  roleForEvent,
  type GroupFacts,
  type ViewerRole,
} from '../auth/policy.ts';
import { receivableEventsSql } from '../auth/visibility.ts';
import { NO_STANDING, STANDING_COLUMNS, standingJoinsSql, standingOf, type ViewerStanding } from '../db/viewer-standing.ts';
import { SubscriptionSlots } from './subscription-slots.ts';
import { readMemberNames } from '../db/member-names.ts';
import { EventIds } from './event-ids.ts';

/**
 * A log event on its way to one subscriber. `actorDecided`: its `actorId` already follows canSeeEventActor for
 * that subscriber (a replay's rows, decided in their statement); else the resolver decides it. `pageNames`:
 * the display names of the members of the replay page it came in, read once for the page when first asked.
 */
export type LogEvent = GroupEvent & { actorDecided?: true; pageNames?: () => Promise<Map<string, string | null>> };

/** Events read from the log at a time (replay, and filling what the bus did not bring). */
export const LOG_PAGE = 500;

/**
 * The span of log ids one replay statement covers, at least. With its tables analyzed, PostgreSQL reads a
 * page in id order and stops at LOG_PAGE, whatever the span. Without statistics of "Group" (a small table
 * autovacuum had not analyzed yet) it joined every event of the span by hash and kept the first LOG_PAGE
 * (33 ms a page at the start of 50,000 events a member receives, 7 ms near their end): a replay without
 * windows then cost the square of its length (bench/README.md, rounds 23 and 24). Reading the log in windows
 * (nextReplayWindow) bounds a page's cost by its own span whatever the plan, and a stretch of events the
 * viewer may not receive costs a statement per doubling of the window, not one per page.
 */
export const REPLAY_WINDOW = 20_000;

/**
 * The next replay window: after a full page, twice the span of ids that page took (at least REPLAY_WINDOW);
 * after a window that held less than a page (all of it read), twice that window.
 */
export function nextReplayWindow(window: number, page: { full: boolean; span: number }): number {
  return page.full ? Math.max(REPLAY_WINDOW, 2 * page.span) : 2 * window;
}

/** A subscriber's membership of the event's group: their role, and since when (null: not a member). */
interface Standing {
  role: GroupMember['role'];
  since: Date | null;
}

interface EventLookups {
  groupId: string;
  group: Promise<Group | null>;
  /** The membership of each subscriber in the group (null: not a member). */
  membership: DataLoader<string, Standing | null>;
  /** Once the group is gone (its memberships with it): each member's membership then, from the log. */
  formerRole?: DataLoader<string, Standing | null>;
  /** Once the group is gone: its facts as it was deleted. */
  deleted?: Promise<GroupFacts>;
  /** Each subscriber's whole standing in the group (membership, pending request, sole admin), when asked. */
  standing?: DataLoader<string, ViewerStanding>;
}

/** Log events that change a membership (their types, for the log read of a deleted group's members). */
const MEMBERSHIP_EVENT_TYPES = Object.keys(ROLE_AFTER) as GroupEvent['type'][];

/**
 * Subscribers whose standing in a group one statement reads. A group with thousands of subscribers online
 * would otherwise put thousands of ids in one `IN (…)`: past SQLite's limit on bound parameters (the event
 * then reached nobody), and slow to plan anywhere. DataLoader splits the batch.
 */
const LOOKUP_BATCH = 500;

/** Subscribers whose whole standing one statement reads: a SELECT each, joined by UNION ALL (SQLite takes 500). */
const STANDING_BATCH = 200;

/**
 * Shares each event's lookups between all subscribers of this process for as long as it is delivered, and
 * the log reads that fill what the bus did not bring. Also holds the count of each viewer's subscriptions.
 */
export class Audience {
  private readonly lookups = new Map<number, EventLookups>();
  /** The display name of each live event's member, by event id, while it is delivered. */
  private readonly names = new Map<number, Promise<string | null>>();
  private readonly gaps = new Map<string, Promise<GroupEvent[]>>();
  /** Live subscriptions held per viewer on this instance (MAX_SUBSCRIPTIONS_PER_VIEWER). */
  readonly slots = new SubscriptionSlots();
  /** The opaque ids clients see for the log's events. */
  readonly ids: EventIds;

  constructor(
    private readonly db: Db,
    secret: string,
    /** Names this process is about to write (db/member-names.ts: MemberNameRecorder.unwritten). */
    private readonly unwrittenName: (memberId: string) => string | null = () => null,
  ) {
    this.ids = new EventIds(secret);
  }

  /**
   * The log's events with `after < id < before` (before null: up to now), of one group or of all, in log
   * order, at most LOG_PAGE of them. Ids are assigned in commit order, so once the event `before` has
   * committed, no event below it can still appear: such a range reads the same for every subscriber that
   * saw the same jump in ids, and is read once for all of them.
   */
  readLog(groupId: string | null, after: number, before: number | null): Promise<GroupEvent[]> {
    const read = () =>
      this.db.groupEvent.findMany({
        where: { id: { gt: after, ...(before !== null ? { lt: before } : {}) }, ...(groupId !== null ? { groupId } : {}) },
        orderBy: { id: 'asc' },
        take: LOG_PAGE,
      });
    if (before === null) return read();
    const key = `${groupId ?? '*'}:${after}:${before}`;
    let found = this.gaps.get(key);
    if (!found) {
      found = read();
      this.gaps.set(key, found);
      const forget = () => setTimeout(() => this.gaps.delete(key), 1_000).unref();
      found.then(forget, () => this.gaps.delete(key));
    }
    return found;
  }

  /**
   * A replay (`after`): the log's events with `after < id <= upTo`, of one group or of all, that the viewer
   * may receive, in log order, at most LOG_PAGE of them. The policy filters them inside the statement
   * (visibility.ts: receivableEventsSql), on the data as it is now. Checking each event here instead took a
   * lookup per event: a replay's duration then told how many events had happened out of the viewer's sight.
   */
  async readReplay(viewer: Viewer, groupId: string | null, after: number, upTo: number): Promise<LogEvent[]> {
    const ofGroup = groupId !== null ? Prisma.sql` AND e."groupId" = ${groupId}` : Prisma.empty;
    const rows = await this.db.read<LogEvent>(receivableEventsSql(viewer, Prisma.sql`e."id" > ${after} AND e."id" <= ${upTo}${ofGroup}`, LOG_PAGE));
    // The same statement decided who acted on each (canSeeEventActor): no lookup per event to name them.
    // Their members' display names are read for the whole page, once, and only if the subscriber asks.
    let names: Promise<Map<string, string | null>> | undefined;
    const pageNames = () => {
      if (!names) {
        const memberIds = [...new Set(rows.flatMap((row) => (row.memberId === null ? [] : [row.memberId])))];
        names = readMemberNames(this.db, memberIds).then((found) => new Map(memberIds.map((id, i) => [id, found[i]!])));
      }
      return names;
    };
    for (const row of rows) {
      row.actorDecided = true;
      row.pageNames = pageNames;
    }
    this.ids.encodePage(rows);
    return rows;
  }

  /**
   * `live`: the event has just been committed. Every change to a group appends an event, so the lookups of
   * that group's earlier events (kept for a second) may now be stale: they are dropped, and a replay read
   * right after a change (a group made secret, deleted) decides on fresh data.
   */
  private lookupsFor(event: GroupEvent, live: boolean): EventLookups {
    let found = this.lookups.get(event.id);
    if (!found) {
      const groupId = event.groupId;
      if (live) for (const [id, other] of this.lookups) if (other.groupId === groupId && id < event.id) this.lookups.delete(id);
      found = {
        groupId,
        group: this.db.group.findUnique({ where: { id: groupId } }),
        // A hand-written read of the two columns the decision needs (db/reads.ts): through Prisma's query
        // compiler, reading whole rows, these lookups were a sixth of the fan-out's allocations.
        membership: new DataLoader(
          async (memberIds) => {
            const rows = await this.db.read<Pick<GroupMember, 'memberId' | 'role' | 'joinedAt'>>(Prisma.sql`
              SELECT "memberId", "role", "joinedAt" FROM "GroupMember" WHERE "groupId" = ${groupId} AND "memberId" IN (${Prisma.join(memberIds)})`);
            const standingOf = new Map(rows.map((row) => [row.memberId, { role: row.role, since: row.joinedAt }]));
            return memberIds.map((id) => standingOf.get(id) ?? null);
          },
          { maxBatchSize: LOOKUP_BATCH },
        ),
      };
      this.lookups.set(event.id, found);
      // Subscribers check an event within the same few ticks; afterwards its lookups would be stale.
      setTimeout(() => this.lookups.delete(event.id), 1_000).unref();
    }
    return found;
  }

  /**
   * Each member's role when the group was deleted: their latest membership event in the log (no membership
   * event can follow a deletion); since the latest event that began that membership (MEMBERSHIP_START_EVENTS).
   */
  private formerRoleOf(groupId: string, lookups: EventLookups): DataLoader<string, Standing | null> {
    lookups.formerRole ??= new DataLoader(
      async (memberIds) => {
        const rows = await this.db.groupEvent.findMany({
          where: { groupId, memberId: { in: [...memberIds] }, type: { in: MEMBERSHIP_EVENT_TYPES } },
          orderBy: { id: 'desc' },
        });
        const latestOf = new Map<string, GroupEvent>();
        const startOf = new Map<string, Date>();
        for (const row of rows) {
          if (row.memberId === null) continue; // newest first:
          if (!latestOf.has(row.memberId)) latestOf.set(row.memberId, row);
          if (!startOf.has(row.memberId) && MEMBERSHIP_START_EVENTS.includes(row.type)) startOf.set(row.memberId, row.occurredAt);
        }
        return memberIds.map((id) => {
          const role = latestOf.has(id) ? (roleAfter(latestOf.get(id)!) ?? null) : null;
          return role === null ? null : { role, since: startOf.get(id) ?? null };
        });
      },
      { maxBatchSize: LOOKUP_BATCH },
    );
    return lookups.formerRole;
  }

  /**
   * The group of `event` as the policy judges it for `viewer`, read when the event is delivered: its facts
   * and the viewer's role now; once it is deleted (its memberships gone with it), its settings then
   * (DeletedGroup) and the viewer's role then, from the log. The reads are shared by every subscriber of this
   * process checking the same event, and the memberships batched.
   */
  async standing(viewer: Viewer, event: GroupEvent, live = false): Promise<{ facts: GroupFacts; role: ViewerRole }> {
    const lookups = this.lookupsFor(event, live);
    const [group, now] = await Promise.all([
      lookups.group,
      viewer.memberId === null ? null : lookups.membership.load(viewer.memberId),
    ]);
    // The role the event is judged by: none for a private- or secret-days event before the membership began.
    const judged = (standing: Standing | null) => roleForEvent(standing?.role ?? null, standing?.since ?? null, event);
    if (group !== null) return { facts: group, role: judged(now) };
    lookups.deleted ??= this.db.deletedGroup.findUnique({ where: { id: event.groupId } }).then(deletedGroupFacts);
    const [facts, then] = await Promise.all([
      lookups.deleted,
      viewer.memberId === null || viewer.isGroupsManager ? null : this.formerRoleOf(event.groupId, lookups).load(viewer.memberId),
    ]);
    return { facts, role: judged(then) };
  }

  /**
   * The group of a live `event` as it is now, and the viewer's role in it now (null: not a member), for the
   * event's `group` field: the reads that decided the delivery, shared by every subscriber of this process
   * (the group once, the memberships batched), not two statements per subscriber.
   */
  async groupNow(viewer: Viewer, event: GroupEvent): Promise<{ group: Group | null; role: GroupMember['role'] | null }> {
    const lookups = this.lookupsFor(event, false);
    const group = await lookups.group;
    if (group === null || viewer.memberId === null) return { group, role: null };
    return { group, role: (await lookups.membership.load(viewer.memberId))?.role ?? null };
  }

  /**
   * The viewer's standing now in the group of a live `event`, for the viewer's own fields under the event's
   * `group` (`viewerRole`, `viewerCan`, `viewerJoinRequest`): read for every subscriber of this process that
   * asks, in one statement per STANDING_BATCH of them, not one each.
   */
  standingNow(viewer: Viewer, event: GroupEvent): Promise<ViewerStanding> {
    if (viewer.memberId === null) return Promise.resolve(NO_STANDING);
    const lookups = this.lookupsFor(event, false);
    const groupId = event.groupId;
    lookups.standing ??= new DataLoader(
      async (memberIds) => {
        // The subscribers' ids as rows, joined to the group as the request loaders join one viewer (the CAST
        // gives PostgreSQL the parameters' type).
        const members = Prisma.join(memberIds.map((id) => Prisma.sql`SELECT CAST(${id} AS TEXT) AS "memberId"`), ' UNION ALL ');
        const rows = await this.db.read<Record<string, unknown>>(Prisma.sql`
          SELECT m."memberId" AS "subscriber", ${STANDING_COLUMNS}
          FROM "Group" g CROSS JOIN (${members}) m ${standingJoinsSql(Prisma.sql`m."memberId"`)}
          WHERE g."id" = ${groupId}`);
        const standingOfMember = new Map(rows.map((row) => [row.subscriber as string, standingOf(row, groupId, row.subscriber as string)]));
        return memberIds.map((id) => standingOfMember.get(id) ?? NO_STANDING);
      },
      { maxBatchSize: STANDING_BATCH },
    );
    return lookups.standing.load(viewer.memberId);
  }

  /**
   * The display name of the member `event` is about (db/member-names.ts), or null: for a replay, read with its
   * page; for a live event, once for every subscriber of this process (one statement per event, not per
   * subscriber), and only when one of them asks.
   */
  async memberName(event: LogEvent): Promise<string | null> {
    const memberId = event.memberId;
    if (memberId === null) return null;
    if (event.pageNames) return (await event.pageNames()).get(memberId) ?? null;
    const unwritten = this.unwrittenName(memberId);
    if (unwritten !== null) return unwritten;
    let name = this.names.get(event.id);
    if (!name) {
      name = readMemberNames(this.db, [memberId]).then(([found]) => found ?? null);
      this.names.set(event.id, name);
      // Subscribers ask within the same few ticks, as for the lookups above.
      setTimeout(() => this.names.delete(event.id), 1_000).unref();
    }
    return name;
  }

  /** Decides whether `viewer` receives `event` (policy: canReceiveEvent), with data read when it is delivered. */
  async allows(viewer: Viewer, event: GroupEvent, live = false): Promise<boolean> {
    if (isAboutViewer(viewer, event)) return true; // no lookups needed
    const { facts, role } = await this.standing(viewer, event, live);
    return canReceiveEvent(viewer, event, facts, role);
  }
}
