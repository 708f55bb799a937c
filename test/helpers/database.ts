/**
 * A fresh, migrated database for one test file, on whichever database the run targets: a copy of the
 * SQLite template file, or a PostgreSQL database cloned from the template database (`CREATE DATABASE …
 * TEMPLATE`, which takes milliseconds). `drop()` removes it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { TMP_DIR, templateDb } from './paths.ts';

export const TEST_DATABASE = process.env.TEST_DATABASE === 'postgresql' ? 'postgresql' : 'sqlite';
const PG_TEMPLATE = 'gateway_template';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

async function adminQuery(sql: string) {
  const client = new pg.Client({ connectionString: inject('pgAdminUrl') });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(): Promise<TestDatabase> {
  if (TEST_DATABASE === 'postgresql') {
    const name = `test_${randomUUID().replace(/-/g, '')}`;
    // CREATE DATABASE … TEMPLATE fails while another session is connected to the template: retry briefly.
    for (let attempt = 0; ; attempt++) {
      try {
        await adminQuery(`CREATE DATABASE ${name} TEMPLATE ${PG_TEMPLATE}`);
        break;
      } catch (error) {
        if (attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    const url = new URL(inject('pgAdminUrl'));
    url.pathname = `/${name}`;
    return { url: url.toString(), drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
  }
  const file = path.join(TMP_DIR, `db-${randomUUID()}.db`);
  fs.copyFileSync(templateDb(), file);
  return {
    url: `file:${file}`,
    drop: async () => {
      for (const suffix of ['', '-wal', '-shm', '-journal']) fs.rmSync(file + suffix, { force: true });
    },
  };
}
