import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.cache/', '.data/', 'coverage/', 'dist/', '**/__generated__/', 'console/dist/', 'console/src/gql/', 'eslint.config.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Apollo's plugin hooks are declared async; many of ours have nothing to await
      '@typescript-eslint/require-await': 'off',
      'no-console': 'error',
    },
  },
  {
    // the LIFF member page's browser script: plain JS served as it is, not part of the TypeScript project
    files: ['subgraphs/line/src/member-page/assets/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: 'script',
      globals: { window: 'readonly', document: 'readonly', location: 'readonly', fetch: 'readonly', URLSearchParams: 'readonly', DOMParser: 'readonly', liff: 'readonly' },
    },
  },
  {
    // the gateway's GraphiQL start script, served as it is next to GraphiQL's and React's UMD builds
    files: ['gateway/src/ide-assets/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: 'script',
      globals: { document: 'readonly', location: 'readonly', URL: 'readonly', React: 'readonly', ReactDOM: 'readonly', GraphiQL: 'readonly' },
    },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
      // jest's asymmetric matchers (expect.any, expect.stringMatching) are typed `any`
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
);
