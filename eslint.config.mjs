// Flat config. Module boundaries are enforced with Nx project tags:
// the pure domain imports nothing but itself; infrastructure never imports apps or tools.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import nx from '@nx/eslint-plugin';

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
      '@nx/enforce-module-boundaries': [
        'error',
        {
          allow: [],
          depConstraints: [
            { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:domain'] },
            { sourceTag: 'type:application', onlyDependOnLibsWithTags: ['type:domain', 'type:application', 'type:infra', 'type:testing'] },
            { sourceTag: 'type:infra', onlyDependOnLibsWithTags: ['type:domain', 'type:application', 'type:infra', 'type:testing'] },
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:domain', 'type:infra', 'type:testing', 'type:tool'] },
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:domain', 'type:application', 'type:infra', 'type:testing', 'type:tool'] },
            { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:domain', 'type:application', 'type:infra', 'type:testing', 'type:tool'] },
          ],
        },
      ],
    },
  },
  {
    // Integration and e2e specs of a library may start the emulators in tools/ (the real SDKs
    // and clients talk to them); production code of a library never may.
    files: ['**/*.int.spec.ts', '**/*.e2e.spec.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          allow: ['@cmk/eventstore/testing'],
          depConstraints: [
            { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:domain'] },
            { sourceTag: '*', onlyDependOnLibsWithTags: ['type:domain', 'type:application', 'type:infra', 'type:testing', 'type:tool'] },
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
