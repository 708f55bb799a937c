/** /health and /ready, as a load balancer or orchestrator calls them. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from './helpers/gateway.ts';

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
