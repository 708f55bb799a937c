import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Typed documents from the checked-in schema (graphql-codegen's client preset): operations written with
 * `graphql(...)` in examples/ and test/ get their result and variable types in examples/gql/ and test/gql/.
 * `npm run codegen` writes both; `npm test` and `npm run typecheck` run it first.
 */
const clientPreset = {
  preset: 'client' as const,
  config: { scalars: { DateTime: 'string' }, useTypeImports: true, enumsAsTypes: true },
};

const config: CodegenConfig = {
  schema: 'schema.graphql',
  // ESM imports with extensions, as this package's NodeNext resolution requires
  importExtension: '.ts',
  generates: {
    'examples/gql/': { ...clientPreset, documents: ['examples/**/*.ts', '!examples/gql/**'] },
    'test/gql/': { ...clientPreset, documents: ['test/**/*.ts', '!test/gql/**'] },
  },
};

export default config;
