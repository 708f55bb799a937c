import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // graphql 16 ships both ESM (.mjs, picked by Vite) and CJS (picked by Node for the libraries Vite leaves
    // external). Two copies make "Cannot use GraphQLScalarType from another module or realm"; use Node's.
    alias: { graphql: fileURLToPath(new URL('node_modules/graphql/index.js', import.meta.url)) },
  },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each file gets its own database copy; files run in parallel workers.
    pool: 'forks',
  },
});
