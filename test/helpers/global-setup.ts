/**
 * Runs once before the suite: applies the committed migrations (with the real Prisma CLI, as a deploy
 * would) to a template SQLite database that every test file then copies for itself.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { TMP_DIR, templateDb } from './paths.ts';

export default function setup() {
  fs.mkdirSync(TMP_DIR, { recursive: true });
  const template = templateDb();
  process.env.GATEWAY_TEMPLATE_DB = template;
  fs.rmSync(template, { force: true });
  execFileSync(path.resolve('node_modules/.bin/prisma'), ['migrate', 'deploy'], {
    env: { ...process.env, DATABASE_URL: `file:${template}` },
    stdio: 'pipe',
  });
  return () => {
    fs.rmSync(template, { force: true });
  };
}
