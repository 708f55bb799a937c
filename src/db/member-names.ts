/**
 * Members' display names. Members live in the site's own member directory (or the identity provider); the
 * gateway knows a member by id only, and keeps one thing more: the display name of the token they last
 * signed in with (its `name` claim), so that member lists, join requests and create requests can say who
 * someone is. A member who never signed in with a name (one added by an admin, say) has none.
 *
 * Recorded when a token is first verified in this process (context.ts), which is once per token, not per
 * request. A name is shown wherever the member's id is, to the same viewers: it tells nothing more about
 * which groups anyone is in.
 */
import { Prisma } from '../generated/prisma/client.ts';
import type { Db } from './client.ts';
import type { Viewer } from '../auth/viewer.ts';
import { searchKey } from '../domain/search.ts';

/**
 * Records the viewer's display name. One statement, which changes nothing when the stored name is already
 * this one (SQLite and PostgreSQL read `ON CONFLICT … DO UPDATE … WHERE` alike). Anonymous viewers and
 * tokens without a usable name (auth/viewer.ts: displayNameOf) leave the stored name as it is.
 */
export async function recordMemberName(db: Db, viewer: Viewer): Promise<void> {
  if (viewer.memberId === null || viewer.name === null) return;
  await db.$executeRaw(Prisma.sql`
    INSERT INTO "MemberName" ("memberId", "name", "nameSearch") VALUES (${viewer.memberId}, ${viewer.name}, ${searchKey(viewer.name)})
    ON CONFLICT ("memberId") DO UPDATE SET "name" = excluded."name", "nameSearch" = excluded."nameSearch", "updatedAt" = CURRENT_TIMESTAMP
    WHERE "MemberName"."name" <> excluded."name"`);
}

/** The display names of these members (null for one without), in the order of the ids. */
export async function readMemberNames(db: Db, memberIds: readonly string[]): Promise<(string | null)[]> {
  const names = new Map<string, string>();
  for (let i = 0; i < memberIds.length; i += 1_000) {
    const ids = memberIds.slice(i, i + 1_000);
    const rows = await db.read<{ memberId: string; name: string }>(
      Prisma.sql`SELECT "memberId", "name" FROM "MemberName" WHERE "memberId" IN (${Prisma.join(ids)})`,
    );
    for (const row of rows) names.set(row.memberId, row.name);
  }
  return memberIds.map((id) => names.get(id) ?? null);
}
