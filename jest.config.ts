/** @jest-config-loader ts-node */
/** @jest-config-loader-options {"transpileOnly": true} */
import type { Config } from 'jest';

/**
 * ESM-only packages (NestJS 12, jose 6, ...) are compiled to CommonJS for Jest; Node itself loads
 * them with require(esm), which Node 20.19+ has unflagged.
 */
const ESM_ONLY = ['@nestjs', 'jose', 'eventsource-parser', 'uid', 'file-type', 'load-esm', 'strtok3', 'token-types', '@tokenizer', '@borewit', 'uint8array-extras', '@sec-ant', '@standard-schema'];

/**
 * One Jest run covers the three tiers, told apart by suffix:
 * `*.spec.ts` (pure), `*.int.spec.ts` (real Redis / stores / emulators), `*.e2e.spec.ts`
 * (both apps as processes over HTTP). `npm test` builds `dist/` first because e2e tests spawn
 * the built apps. SWC compiles tests with the same `.swcrc` as the build (path aliases included).
 */
const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/tools'],
  testMatch: ['**/*.spec.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { swcrc: true }],
    '^.+\\.js$': ['@swc/jest', { swcrc: false, jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY.join('|')})/)`],
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 60_000,
  maxWorkers: 2,
};

export default config;
