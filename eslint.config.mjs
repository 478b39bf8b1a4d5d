// Flat config. Module boundaries are enforced with Nx project tags, one layer per tag; a layer
// imports only the layers below it (and itself):
//   type:domain ← type:port (the event store port, @cmk/eventstore/port) ← type:application ←
//   type:adapter (event store, read models, key providers, runtime) ← type:use-case (secrets,
//   re-encryption) ← type:app and type:tool.
// type:testing (libs/testing and each lib's testing/ entry point, e.g. @cmk/eventstore/testing)
// is for specs, benches, e2e helpers and tools only: product code importing it fails lint.
// The rule reads the Nx project graph, which `npm run lint` computes first (see package.json).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import nx from '@nx/eslint-plugin';

const PRODUCT = ['type:domain', 'type:port', 'type:application', 'type:adapter', 'type:use-case'];

const LAYERS = [
  { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:domain'] },
  { sourceTag: 'type:port', onlyDependOnLibsWithTags: ['type:domain', 'type:port'] },
  { sourceTag: 'type:application', onlyDependOnLibsWithTags: ['type:domain', 'type:port', 'type:application'] },
  { sourceTag: 'type:adapter', onlyDependOnLibsWithTags: ['type:domain', 'type:port', 'type:application', 'type:adapter'] },
  { sourceTag: 'type:use-case', onlyDependOnLibsWithTags: PRODUCT },
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: PRODUCT },
  { sourceTag: 'type:tool', onlyDependOnLibsWithTags: [...PRODUCT, 'type:tool', 'type:testing'] },
  { sourceTag: 'type:testing', onlyDependOnLibsWithTags: [...PRODUCT, 'type:tool', 'type:testing'] },
];

const BOUNDARY_OPTIONS = {
  allow: [],
  // A lib's testing entry point builds on the lib, and the lib's specs use the entry point.
  ignoredCircularDependencies: [
    ['domain', 'domain-testing'],
    ['eventstore', 'eventstore-testing'],
    ['read-models', 'read-models-testing'],
    ['key-providers', 'key-providers-testing'],
  ],
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.nx/**', '**/*.js', '**/*.mjs', '**/*.cjs', 'libs/api-client/src/generated/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/ban-ts-comment': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
      '@nx/enforce-module-boundaries': ['error', { ...BOUNDARY_OPTIONS, depConstraints: LAYERS }],
    },
  },
  {
    // Specs, benchmarks and the api's e2e helpers may use the testing entry points, and their
    // integration and e2e tiers start the emulators in tools/ (the real SDKs and clients talk to
    // them). Domain specs stay pure.
    files: ['**/*.spec.ts', 'apps/*/test/**/*.ts', '**/bench/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          ...BOUNDARY_OPTIONS,
          depConstraints: [
            { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:domain', 'type:testing'] },
            { sourceTag: '*', onlyDependOnLibsWithTags: ['*'] },
          ],
        },
      ],
    },
  },
  {
    // Tools and tests print to the terminal on purpose.
    files: ['tools/**/*.ts', '**/*.spec.ts'],
    rules: { 'no-console': 'off' },
  },
);
