/**
 * Writes prisma/postgresql/schema.prisma from prisma/schema.prisma, the one source of truth for the models.
 * Prisma wants one provider per schema file (and per generated client), so the PostgreSQL file is derived:
 * the same models, provider "postgresql", its client generated into src/generated/prisma-pg. `--check`
 * fails when the derived file is stale (a test runs it too).
 */
import fs from 'node:fs';
import { derivePostgresSchema, POSTGRES_SCHEMA } from '../src/db/schemas.ts';

const derived = derivePostgresSchema(fs.readFileSync('prisma/schema.prisma', 'utf8'));
if (process.argv.includes('--check')) {
  if (!fs.existsSync(POSTGRES_SCHEMA) || fs.readFileSync(POSTGRES_SCHEMA, 'utf8') !== derived) {
    console.error(`${POSTGRES_SCHEMA} is stale: run \`npm run schema:postgres\` and commit it.`);
    process.exit(1);
  }
} else {
  fs.mkdirSync('prisma/postgresql', { recursive: true });
  fs.writeFileSync(POSTGRES_SCHEMA, derived);
  console.log(`${POSTGRES_SCHEMA} written.`);
}
