import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Typed client code from the checked-in schema: `npm run codegen` writes examples/gql/ (graphql-codegen's
 * client preset) for the operations written with `graphql(...)` in examples/.
 */
const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['examples/**/*.ts', '!examples/gql/**'],
  ignoreNoDocuments: false,
  // ESM imports with extensions, as this package's NodeNext resolution requires
  importExtension: '.ts',
  generates: {
    'examples/gql/': {
      preset: 'client',
      config: { scalars: { DateTime: 'string' }, useTypeImports: true, enumsAsTypes: true },
    },
  },
};

export default config;
