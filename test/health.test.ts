/** /health and /ready, as a load balancer or orchestrator calls them. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from './helpers/gateway.ts';
import { checkReadiness, DATABASE_CHECK_TIMEOUT_MS } from '../src/health.ts';
import type { Db } from '../src/db/client.ts';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway();
});
afterAll(() => gw.close());

describe('health endpoints', () => {
  it('/health answers 200 while the process is up', async () => {
    expect((await gw.fetch('/health')).status).toBe(200);
  });

  it('/ready answers 200 when the database is reachable and migrated', async () => {
    const response = await gw.fetch('/ready');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ready: true, checks: { database: 'ok', migrations: 'ok' } });
  });

  it('says "not answering" within a second for a database that is connected but does not answer', async () => {
    // A frozen server: the statement is sent and never answered. Before, the check waited as long.
    const frozen = { $queryRawUnsafe: () => new Promise(() => undefined) } as unknown as Db;
    const started = Date.now();
    expect(await checkReadiness(frozen, 'file:./unused.db')).toEqual({ ready: false, checks: { database: 'not answering' } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(DATABASE_CHECK_TIMEOUT_MS - 50);
    expect(Date.now() - started).toBeLessThan(DATABASE_CHECK_TIMEOUT_MS + 1_000);
    // It answers the first statement, then stops answering (between the two).
    let statements = 0;
    const stopping = { $queryRawUnsafe: () => (statements++ === 0 ? Promise.resolve([]) : new Promise(() => undefined)) } as unknown as Db;
    const late = Date.now();
    expect(await checkReadiness(stopping, 'file:./unused.db')).toEqual({ ready: false, checks: { database: 'not answering', migrations: 'not answering' } });
    expect(Date.now() - late).toBeLessThan(DATABASE_CHECK_TIMEOUT_MS + 1_000);
    const refusing = { $queryRawUnsafe: () => Promise.reject(new Error('connection refused')) } as unknown as Db;
    expect(await checkReadiness(refusing, 'file:./unused.db')).toEqual({ ready: false, checks: { database: 'unreachable' } });
  });

  it('/ready answers 503 and names what is missing when a migration is not applied', async () => {
    const db = gw.app.services.db;
    const [row] = await db.$queryRawUnsafe<{ migration_name: string }[]>('SELECT migration_name FROM _prisma_migrations');
    await db.$executeRawUnsafe(`UPDATE _prisma_migrations SET finished_at = NULL WHERE migration_name = '${row.migration_name}'`);
    try {
      const response = await gw.fetch('/ready');
      expect(response.status).toBe(503);
      expect((await response.json()).checks.migrations).toMatch(/1 pending/);
    } finally {
      await db.$executeRawUnsafe(`UPDATE _prisma_migrations SET finished_at = started_at WHERE migration_name = '${row.migration_name}'`);
    }
  });
});
