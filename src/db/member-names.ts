/**
 * Members' display names. Members live in the site's own member directory (or the identity provider); the
 * gateway knows a member by id only, and keeps one thing more: the display name of the newest token they
 * signed in with (its `name` claim, or JWT_NAME_CLAIM's), so that member lists, join requests, create
 * requests and live events can say who someone is. A member who never signed in with a name (one added by an admin, say) has none.
 *
 * A name is shown wherever the member's id is, to the same viewers: it tells nothing more about which groups
 * anyone is in.
 */
import { Prisma } from '../generated/prisma/client.ts';
import type { Db, Tx } from './client.ts';
import type { Viewer } from '../auth/viewer.ts';
import { searchKey } from '../domain/search.ts';

interface NameToRecord {
  memberId: string;
  name: string;
  /** The token's `iat` (epoch seconds), or when it was verified for a token without one. */
  issuedAt: number;
}

/** Names per statement (5 values each: far below either database's limit of bound values). */
const NAMES_PER_STATEMENT = 500;

/**
 * Writes names, each only over an older one: the newest token's name wins, whichever order the tokens are
 * verified in (a phone's old token verified again after a restart, or on another instance, does not put
 * back the name the member has since changed). An older or same-age token with the same name changes
 * nothing; a newer one with the same name moves only `issuedAt`, and `updatedAt` stays the time the name last
 * changed. SQLite and PostgreSQL read `ON CONFLICT … DO UPDATE … WHERE` alike.
 */
export async function writeMemberNames(db: Db, names: readonly NameToRecord[], now = new Date()): Promise<void> {
  for (let i = 0; i < names.length; i += NAMES_PER_STATEMENT) {
    const rows = names
      .slice(i, i + NAMES_PER_STATEMENT)
      .map((n) => Prisma.sql`(${n.memberId}, ${n.name}, ${searchKey(n.name)}, ${BigInt(n.issuedAt)}, ${now})`);
    await db.$executeRaw(Prisma.sql`
      INSERT INTO "MemberName" ("memberId", "name", "nameSearch", "issuedAt", "updatedAt") VALUES ${Prisma.join(rows)}
      ON CONFLICT ("memberId") DO UPDATE SET
        "name" = excluded."name",
        "nameSearch" = excluded."nameSearch",
        "issuedAt" = excluded."issuedAt",
        "updatedAt" = CASE WHEN "MemberName"."name" = excluded."name" THEN "MemberName"."updatedAt" ELSE excluded."updatedAt" END
      WHERE excluded."issuedAt" > "MemberName"."issuedAt"
        OR (excluded."issuedAt" = "MemberName"."issuedAt" AND excluded."name" <> "MemberName"."name")`);
  }
}

/**
 * Records the names of the tokens this process verifies (context.ts), off the requests' path: a request
 * never waits for the write, so a database lock held elsewhere (another process's write on SQLite, a row
 * lock on PostgreSQL) holds up one background statement, not the sign-ins and reads of the whole site.
 * Names wait in memory for the next turn of the event loop, and go in one statement for all that came
 * meanwhile; one write runs at a time. A write that fails is logged (member ids only, never a name) and
 * dropped: the member's next token records it. `flush()` waits for every name recorded so far (shutdown,
 * tests).
 */
export class MemberNameRecorder {
  readonly #db: Db;
  readonly #warn: (details: Record<string, unknown>, message: string) => void;
  #pending = new Map<string, NameToRecord>();
  /** Names queued or being written, by member: what the database will say in a moment. */
  #unwritten = new Map<string, NameToRecord>();
  #writing: Promise<void> | null = null;

  constructor(db: Db, warn: (details: Record<string, unknown>, message: string) => void) {
    this.#db = db;
    this.#warn = warn;
  }

  /** Queues the viewer's name, if their token carries one (auth/viewer.ts: displayNameOf). */
  record(viewer: Viewer): void {
    if (viewer.memberId === null || viewer.name === null) return;
    const issuedAt = viewer.issuedAt ?? Math.floor(Date.now() / 1000);
    const queued = this.#pending.get(viewer.memberId);
    if (queued && queued.issuedAt > issuedAt) return;
    const entry = { memberId: viewer.memberId, name: viewer.name, issuedAt };
    this.#pending.set(viewer.memberId, entry);
    this.#unwritten.set(viewer.memberId, entry);
    this.#writing ??= this.#writeSoon();
  }

  /**
   * A name this process is about to write, if any. A live event can be published before it is written (on
   * SQLite, a member's first request, a join, commits before the name queued by its sign-in): the event's
   * subscribers read it here (live/audience.ts). An older token's name, which the write will not keep, may
   * show for that moment.
   */
  unwritten(memberId: string): string | null {
    return this.#unwritten.get(memberId)?.name ?? null;
  }

  async #writeSoon(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.#pending.size) {
      const batch = [...this.#pending.values()];
      this.#pending = new Map();
      try {
        await writeMemberNames(this.#db, batch);
      } catch (error) {
        this.#warn({ err: error, memberIds: batch.slice(0, 20).map((n) => n.memberId), count: batch.length }, 'display names not recorded');
      }
      for (const entry of batch) if (this.#unwritten.get(entry.memberId) === entry) this.#unwritten.delete(entry.memberId);
    }
    this.#writing = null;
  }

  /** Resolves once every name queued so far is written (or its failure logged). */
  async flush(): Promise<void> {
    while (this.#writing) await this.#writing;
  }
}

/**
 * Forgets a member's display name (removeSiteMember), keeping only when: the row's name is emptied and its
 * `issuedAt` set to now, so that a token issued before (a second device's, verified later) does not write
 * the name back; one issued after (the member signing in again) does. Reads take an empty name for none.
 */
export async function forgetMemberName(tx: Tx, memberId: string, now: Date): Promise<void> {
  const issuedAt = BigInt(Math.floor(now.getTime() / 1000));
  await tx.memberName.upsert({
    where: { memberId },
    create: { memberId, name: '', nameSearch: '', issuedAt, updatedAt: now },
    update: { name: '', nameSearch: '', issuedAt, updatedAt: now },
  });
}

/** The display names of these members (null for one without), in the order of the ids. */
export async function readMemberNames(db: Db, memberIds: readonly string[]): Promise<(string | null)[]> {
  const names = new Map<string, string>();
  for (let i = 0; i < memberIds.length; i += 1_000) {
    const ids = memberIds.slice(i, i + 1_000);
    const rows = await db.read<{ memberId: string; name: string }>(
      Prisma.sql`SELECT "memberId", "name" FROM "MemberName" WHERE "memberId" IN (${Prisma.join(ids)})`,
    );
    for (const row of rows) if (row.name !== '') names.set(row.memberId, row.name); // '' once forgotten
  }
  return memberIds.map((id) => names.get(id) ?? null);
}
