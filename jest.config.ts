/** @jest-config-loader ts-node */
/** @jest-config-loader-options {"transpileOnly": true} */
import type { Config } from 'jest';

/**
 * ESM-only packages (NestJS 12, jose 6, ...) are compiled to CommonJS for Jest; Node itself loads
 * them with require(esm), which Node 20.19+ has unflagged.
 */
const ESM_ONLY = ['@nestjs', 'jose', 'eventsource-parser', 'uid', 'file-type', 'load-esm', 'strtok3', 'token-types', '@tokenizer', '@borewit', 'uint8array-extras', '@sec-ant', '@standard-schema', '@apidevtools'];

/**
 * Three tiers, told apart by suffix, each a Jest project:
 * `unit` = `*.spec.ts` (pure), `int` = `*.int.spec.ts` (real Redis / stores / emulators),
 * `e2e` = `*.e2e.spec.ts` (both apps as processes over HTTP). One run covers all three
 * (`npm test`, which builds `dist/` first because e2e tests spawn the built apps);
 * `npm run test:unit|test:int|test:e2e` runs one (they set `TEST_TIER`), and a path or option
 * after `--` narrows it further (`npm run test:int -- libs/eventstore --maxWorkers=1`). SWC compiles tests with the same `.swcrc` as the build (path aliases included).
 */
const shared: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/tools'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { swcrc: true }],
    '^.+\\.js$': ['@swc/jest', { swcrc: false, jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY.join('|')})/)`],
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 60_000,
};

const tiers = [
  { ...shared, displayName: 'unit', testMatch: ['**/*.spec.ts'], testPathIgnorePatterns: ['/node_modules/', '\\.(int|e2e)\\.spec\\.ts$'] },
  { ...shared, displayName: 'int', testMatch: ['**/*.int.spec.ts'] },
  { ...shared, displayName: 'e2e', testMatch: ['**/*.e2e.spec.ts'] },
];

// Chosen by an environment variable rather than `--selectProjects`, whose list would swallow
// the paths given after it on the command line.
const tier = process.env.TEST_TIER;
if (tier !== undefined && !tiers.some((t) => t.displayName === tier)) throw new Error(`TEST_TIER must be unit, int or e2e, not ${tier}`);

const config: Config = {
  projects: tier === undefined ? tiers : tiers.filter((t) => t.displayName === tier),
  testTimeout: 60_000,
  maxWorkers: 2,
};

export default config;
