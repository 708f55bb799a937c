import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { findPostgresBin } from './test/helpers/postgres.ts';

// The same test files run twice: on SQLite (the embedded default) and on PostgreSQL (the production
// database) when a PostgreSQL server is installed; each run's global setup prepares its database.
const postgres = findPostgresBin();
if (!postgres && !process.env.VITEST_WORKER_ID) {
  console.log('PostgreSQL run skipped: no PostgreSQL server (initdb, pg_ctl) found; install Debian\'s postgresql to run it.');
}

export default defineConfig({
  resolve: {
    // graphql 16 ships both ESM (.mjs, picked by Vite) and CJS (picked by Node for the libraries Vite leaves
    // external). Two copies make "Cannot use GraphQLScalarType from another module or realm"; use Node's.
    alias: { graphql: fileURLToPath(new URL('node_modules/graphql/index.js', import.meta.url)) },
  },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each file gets its own database; files run in parallel worker processes.
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'sqlite',
          include: ['test/**/*.test.ts'],
          globalSetup: ['test/helpers/global-setup.ts'],
          env: { TEST_DATABASE: 'sqlite' },
        },
      },
      ...(postgres
        ? [
            {
              extends: true as const,
              test: {
                name: 'postgresql',
                // Tests of things that do not touch a database run once, in the SQLite run.
                include: ['test/**/*.test.ts'],
                exclude: ['test/policy.test.ts', 'test/slugs.test.ts', 'test/contract.test.ts', 'test/token-script.test.ts', 'test/shield-patch.test.ts', 'test/promise-helpers-patch.test.ts', 'test/document-cache.test.ts'],
                globalSetup: ['test/helpers/global-setup.ts'],
                env: { TEST_DATABASE: 'postgresql' },
              },
            },
          ]
        : []),
    ],
  },
});
