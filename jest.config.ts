/** @jest-config-loader esbuild-register */
import type { Config } from 'jest';

/**
 * TypeScript is compiled file by file by SWC, without type checking: `npm test` runs `tsc --noEmit` first, once,
 * instead of every worker checking each file again (docs/testing.md has the measurements). The options are
 * tsconfig.json's as SWC spells them: ES2022 with define semantics for class fields, CommonJS with ES-module interop.
 */
const swc = {
  jsc: {
    parser: { syntax: 'typescript' },
    target: 'es2022',
    transform: { useDefineForClassFields: true },
  },
  module: { type: 'commonjs' },
};

const config: Config = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest', swc] },
  roots: ['<rootDir>/lib', '<rootDir>/tools', '<rootDir>/gateway', '<rootDir>/subgraphs', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  globalSetup: '<rootDir>/tools/testing/global-setup.ts',
  globalTeardown: '<rootDir>/tools/testing/global-teardown.ts',
  testTimeout: 30_000,
  maxWorkers: 2,
};

export default config;
