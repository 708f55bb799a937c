/**
 * Readiness: the database answers and every committed migration has been applied to it, and, when live
 * events travel through Redis (REDIS_URL), Redis answers. (`/health`, the process being up, is Yoga's own
 * endpoint.) The answer names what is missing, never connection details.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from './db/client.ts';
import { databaseKind } from './db/adapter.ts';
import type { EventBus } from './pubsub.ts';
import type { Plugin } from 'graphql-yoga';
import { pathOf } from './observability/operation.ts';

/** The migration folders committed for this database kind. */
function committedMigrations(databaseUrl: string): string[] {
  const dir = databaseKind(databaseUrl) === 'postgresql' ? 'prisma/postgresql/migrations' : 'prisma/migrations';
  const full = path.resolve(dir);
  if (!fs.existsSync(full)) return [];
  return fs.readdirSync(full).filter((name) => fs.statSync(path.join(full, name)).isDirectory());
}

export interface Readiness {
  ready: boolean;
  checks: Record<string, 'ok' | string>;
}

/** `events`: the event bus, checked when it runs over Redis (`checks.redis`). */
export async function checkReadiness(db: Db, databaseUrl: string, events?: Pick<EventBus, 'check'>): Promise<Readiness> {
  const [database, redis] = await Promise.all([checkDatabase(db, databaseUrl), events?.check() ?? null]);
  const checks = redis === null ? database : { ...database, redis };
  return { ready: Object.values(checks).every((value) => value === 'ok'), checks };
}

/**
 * How long the database has to answer the check. A server that is connected but does not answer (frozen, a
 * network that drops packets) held `/ready` as long as it did, where a probe wants an answer: "not answering",
 * as the Redis check says after as long (src/pubsub.ts).
 */
export const DATABASE_CHECK_TIMEOUT_MS = 1_000;

/** `work`'s result, or `late` when it takes longer than `ms` (the work goes on, its result then dropped). */
function within<T>(work: Promise<T>, ms: number, late: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(late), ms).unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

async function checkDatabase(db: Db, databaseUrl: string): Promise<Readiness['checks']> {
  const checks: Readiness['checks'] = {};
  const answer = await within(
    db.$queryRawUnsafe('SELECT 1').then(() => 'ok', () => 'unreachable'),
    DATABASE_CHECK_TIMEOUT_MS,
    'not answering',
  );
  checks.database = answer;
  if (answer !== 'ok') return checks;
  const migrations = db
    .$queryRawUnsafe<{ migration_name: string }[]>('SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL')
    .then(
      (applied) => {
        const names = new Set(applied.map((row) => row.migration_name));
        const missing = committedMigrations(databaseUrl).filter((name) => !names.has(name));
        return missing.length ? `${missing.length} pending: run \`npm run migrate\`` : 'ok';
      },
      () => 'not applied: run `npm run migrate`',
    );
  // The second statement has its own second: the database may stop answering between the two.
  checks.migrations = await within(migrations, DATABASE_CHECK_TIMEOUT_MS, 'not answering');
  if (checks.migrations === 'not answering') checks.database = 'not answering';
  return checks;
}

/**
 * `/ready`: 200 with the checks when the gateway can serve, else 503 naming what is missing. Not Yoga's
 * useReadinessCheck, which tests every request's URL against a URLPattern (a polyfill on Node 20, 3 % of a
 * small request's CPU); the path is compared as it is.
 */
export function useReadiness(check: () => Promise<{ ready: boolean }>): Plugin {
  return {
    onRequest({ request, fetchAPI, endResponse }) {
      if (pathOf(request.url) !== '/ready') return;
      // A check that throws (it should not) is "not ready", without its message.
      return check()
        .catch(() => ({ ready: false }))
        .then((readiness) => {
          endResponse(
            new fetchAPI.Response(JSON.stringify(readiness), {
              status: readiness.ready ? 200 : 503,
              headers: { 'content-type': 'application/json' },
            }),
          );
        });
    },
  };
}
