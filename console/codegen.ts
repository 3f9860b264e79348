import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * The console's typed operations: GraphQL Code Generator's client preset over the supergraph the gateway serves.
 * Every `graphql(...)` call in src/ is checked against schema/supergraph.graphql, and its result and variables get
 * TypeScript types in src/gql/. A schema change that breaks an operation fails this (and `npm test` runs it).
 */
const config: CodegenConfig = {
  schema: '../schema/supergraph.graphql',
  documents: ['src/**/*.tsx', 'src/**/*.ts', '!src/gql/**'],
  ignoreNoDocuments: false,
  generates: {
    'src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        // operations as strings: the app needs no GraphQL parser at runtime, only fetch
        documentMode: 'string',
        enumsAsTypes: true,
        useTypeImports: true,
        scalars: { DateTime: 'string', JSON: 'unknown' },
      },
    },
  },
};

export default config;
