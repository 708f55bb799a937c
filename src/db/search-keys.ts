/**
 * Brings the stored search keys up to the current searchKey (domain/search.ts): Group.nameSearch (search and
 * the NAME sort), MemberName.nameSearch (member search) and pending CreateRequest.pendingKey (one request
 * per name). A data migration in TypeScript, because the keys are Unicode normalisation that SQLite's SQL
 * cannot compute; the gateway runs it when it starts, once per SEARCH_KEY_VERSION, and records it in
 * DataMigration. A database that held no keys when its SQL migration ran was marked done there.
 *
 * Safe beside writes and beside other instances doing the same at the same time: each key is computed from
 * the row's own name and written only where the name is still the one it was computed from, so a rename
 * meanwhile wins, and each batch commits on its own, so the work can stop and start again anywhere. Rows whose key is
 * already right (every plain-ASCII name) are read and left alone.
 */
import type { Prisma } from '../generated/prisma/client.ts';
import type { Db } from './client.ts';
import { searchKey, SEARCH_KEY_VERSION } from '../domain/search.ts';
import { createRequestKey } from '../domain/groups.ts';
import { isUniqueViolation } from '../errors.ts';

/** Rows read per statement. */
const BATCH = 1_000;
/** How long after a failed run (the database out of reach at start-up) it is tried again. */
const RETRY_MS = 30_000;

/** How many stored keys a run changed, by where they live. */
export interface SearchKeysChanged {
  groups: number;
  memberNames: number;
  createRequests: number;
}

/** Whether this database's keys are the current searchKey's. */
export async function searchKeysCurrent(db: Db): Promise<boolean> {
  return (await db.dataMigration.count({ where: { name: SEARCH_KEY_VERSION } })) > 0;
}

/** Recomputes the keys if they are not current, and records that they are: null when there was nothing to do. */
export async function refreshSearchKeys(db: Db): Promise<SearchKeysChanged | null> {
  if (await searchKeysCurrent(db)) return null;
  const changed = { groups: await refreshGroups(db), memberNames: await refreshMemberNames(db), createRequests: await refreshCreateRequests(db) };
  await db.$executeRaw`INSERT INTO "DataMigration" ("name") VALUES (${SEARCH_KEY_VERSION}) ON CONFLICT ("name") DO NOTHING`;
  return changed;
}

interface Log {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

/**
 * Runs refreshSearchKeys at start-up: `done` settles when the first try has, so a gateway that can reach its
 * database starts with current keys. A database out of reach does not keep the gateway from starting (it is
 * not ready meanwhile, /ready says so): the run is tried again every RETRY_MS until it succeeds or `stop()`.
 */
export function refreshSearchKeysAtStart(db: Db, log: Log): { done: Promise<void>; stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const attempt = async (): Promise<void> => {
    try {
      const changed = await refreshSearchKeys(db);
      if (changed) log.info({ dataMigration: SEARCH_KEY_VERSION, changed }, 'search keys brought up to date');
    } catch (error) {
      if (stopped) return;
      log.warn({ dataMigration: SEARCH_KEY_VERSION, err: error }, `search keys could not be brought up to date; trying again in ${RETRY_MS / 1000} s`);
      timer = setTimeout(() => void attempt(), RETRY_MS).unref();
    }
  };
  return {
    done: attempt(),
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/**
 * Visits every row `read` gives, a batch at a time in key order, and returns how many rows were changed:
 * `change` gives the statements that change a batch's rows, run in one transaction (one commit for the
 * batch, not one per row).
 */
async function eachBatch<T>(
  db: Db,
  read: (after: string) => Promise<T[]>,
  key: (row: T) => string,
  change: (rows: T[]) => Promise<number>,
): Promise<number> {
  let changed = 0;
  for (let after = ''; ; ) {
    const rows = await read(after);
    changed += await change(rows);
    if (rows.length < BATCH) return changed;
    after = key(rows[rows.length - 1]);
  }
}

/** Runs Prisma's statements in one transaction (none: nothing), and adds up the rows they changed. */
async function countChanged(db: Db, statements: Prisma.PrismaPromise<{ count: number }>[]): Promise<number> {
  if (!statements.length) return 0;
  return (await db.$transaction(statements)).reduce((sum, result) => sum + result.count, 0);
}

function refreshGroups(db: Db): Promise<number> {
  return eachBatch(
    db,
    (after) => db.group.findMany({ where: { id: { gt: after } }, orderBy: { id: 'asc' }, take: BATCH, select: { id: true, name: true, nameSearch: true } }),
    (row) => row.id,
    (rows) =>
      countChanged(
        db,
        rows
          .filter((row) => searchKey(row.name) !== row.nameSearch)
          .map((row) => db.group.updateMany({ where: { id: row.id, name: row.name }, data: { nameSearch: searchKey(row.name) } })),
      ),
  );
}

function refreshMemberNames(db: Db): Promise<number> {
  return eachBatch(
    db,
    (after) => db.memberName.findMany({ where: { memberId: { gt: after } }, orderBy: { memberId: 'asc' }, take: BATCH, select: { memberId: true, name: true, nameSearch: true } }),
    (row) => row.memberId,
    (rows) =>
      countChanged(
        db,
        rows
          .filter((row) => searchKey(row.name) !== row.nameSearch)
          .map((row) => db.memberName.updateMany({ where: { memberId: row.memberId, name: row.name }, data: { nameSearch: searchKey(row.name) } })),
      ),
  );
}

/**
 * Pending create requests' keys. Two requests of one member whose names were different and are now the same
 * (`Café` and `Cafe`) cannot both keep a key: the first to take it keeps it, the other is left with none, as
 * requests filed before keys existed were, and still counts as a duplicate (requestGroupCreation reads those).
 */
function refreshCreateRequests(db: Db): Promise<number> {
  return eachBatch(
    db,
    (after) =>
      db.createRequest.findMany({
        where: { id: { gt: after }, status: 'PENDING', pendingKey: { not: null } },
        orderBy: { id: 'asc' },
        take: BATCH,
        select: { id: true, name: true, requestedBy: true, pendingKey: true },
      }),
    (row) => row.id,
    async (rows) => {
      // One statement per row, each its own commit: a key taken is a unique violation, which would undo
      // a whole transaction's work on PostgreSQL. Pending create requests are few.
      let changed = 0;
      for (const row of rows) {
        const key = createRequestKey(row.requestedBy, row.name);
        if (key === row.pendingKey) continue;
        const where = { id: row.id, status: 'PENDING' as const, pendingKey: row.pendingKey };
        try {
          changed += (await db.createRequest.updateMany({ where, data: { pendingKey: key } })).count;
        } catch (error) {
          if (!isUniqueViolation(error)) throw error;
          changed += (await db.createRequest.updateMany({ where, data: { pendingKey: null } })).count;
        }
      }
      return changed;
    },
  );
}
