import fs from 'node:fs';
import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { checkDatabaseUrl, createAdapter, databaseKind, sqliteFilePath } from './src/db/adapter.ts';
import { DEFAULT_DATABASE_URL } from './src/db/defaults.ts';
import { POSTGRES_SCHEMA, SQLITE_SCHEMA } from './src/db/schemas.ts';

// One schema and one migrations folder per database (prisma/ for SQLite, prisma/postgresql/ for PostgreSQL,
// derived from the first), picked by DATABASE_URL like everything else.
// The CLI runs in its WebAssembly mode through the same driver adapter as the gateway: no native engine is
// downloaded, and `prisma migrate deploy` reaches exactly the database the gateway will use.
process.env.DATABASE_URL ??= DEFAULT_DATABASE_URL;
const url = checkDatabaseUrl(process.env.DATABASE_URL);
const kind = databaseKind(url);
if (kind === 'sqlite') fs.mkdirSync(path.dirname(sqliteFilePath(url)), { recursive: true });

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: kind === 'postgresql' ? POSTGRES_SCHEMA : SQLITE_SCHEMA,
  adapter: async () => createAdapter(url),
});
