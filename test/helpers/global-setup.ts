/**
 * Runs once before the suite: prepares an empty, migrated template database (with the real Prisma CLI, as a
 * deploy would) that every test file copies for itself. SQLite: a template file. PostgreSQL
 * (the `postgresql` project): a throwaway server and a template database, dropped with the server after.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { findPostgresBin, startPostgres } from './postgres.ts';

export const PG_TEMPLATE = 'gateway_template';
const TMP_DIR = path.resolve('.tmp/test');

declare module 'vitest' {
  export interface ProvidedContext {
    /** PostgreSQL run: the throwaway server's superuser URL. */
    pgAdminUrl: string;
    /** SQLite run: the migrated template file. */
    sqliteTemplate: string;
  }
}

function migrate(databaseUrl: string) {
  execFileSync(path.resolve('node_modules/.bin/prisma'), ['migrate', 'deploy'], {
    env: { ...process.env, DATABASE_URL: databaseUrl },
    stdio: 'pipe',
  });
}

export default async function setup(project: TestProject) {
  fs.mkdirSync(TMP_DIR, { recursive: true });
  if (project.name === 'postgresql') {
    const bin = findPostgresBin();
    if (!bin) throw new Error('TEST_DATABASE=postgresql but no PostgreSQL server (initdb, pg_ctl) is installed.');
    const server = await startPostgres(bin);
    const admin = new pg.Client({ connectionString: server.url('postgres') });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${PG_TEMPLATE}`);
    await admin.end();
    migrate(server.url(PG_TEMPLATE));
    project.provide('pgAdminUrl', server.url('postgres'));
    return () => server.stop();
  }
  const template = path.join(TMP_DIR, `template-${process.pid}-${Date.now()}.db`);
  project.provide('sqliteTemplate', template);
  fs.rmSync(template, { force: true });
  migrate(`file:${template}`);
  return () => {
    fs.rmSync(template, { force: true });
  };
}
