import fs from 'node:fs';
import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { createAdapter, databaseKind, sqliteFilePath } from './src/db/adapter.ts';
import { DEFAULT_DATABASE_URL } from './src/db/defaults.ts';

// The CLI runs in its WebAssembly mode through the same driver adapter as the gateway: no native engine is
// downloaded, and `prisma migrate deploy` reaches exactly the database the gateway will use.
process.env.DATABASE_URL ??= DEFAULT_DATABASE_URL;
const url = process.env.DATABASE_URL;
if (databaseKind(url) === 'sqlite') fs.mkdirSync(path.dirname(sqliteFilePath(url)), { recursive: true });

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: 'prisma/schema.prisma',
  adapter: async () => createAdapter(url),
});
