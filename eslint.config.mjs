import js from '@eslint/js';
import importX from 'eslint-plugin-import-x';
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

// Workflows must stay deterministic: no Node built-ins, no service libraries, no worker-side code.
const forbiddenInWorkflows = [
  ...builtinModules.flatMap((name) => [name, `node:${name}`]),
  'openai',
  'twitter-api-v2',
  'convex',
  'convex/*',
  'telegram',
  'telegram/*',
  'pino',
  '@temporalio/worker',
  '@temporalio/client',
  '@temporalio/activity',
];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.temporal/', '.cache/', 'convex/_generated/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's describe/test return promises that the runner itself awaits.
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'test', 'it', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      'import-x/no-cycle': 'error',
      'no-console': 'off',
    },
  },
  {
    // Only adapters know a service's library; everything else talks to the ports. The Telegram simulator borrows
    // GramJS's TL schema to speak MTProto, as the other simulators write their services' JSON; the Convex functions'
    // own test calls them by reference.
    files: ['src/**/*.ts', 'scripts/**/*.ts', 'test/**/*.ts'],
    ignores: ['src/adapters/**', 'src/sandbox/telegram/**', 'test/unit/convex-functions.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['openai', 'twitter-api-v2', 'convex', 'telegram'],
          patterns: [{ group: ['convex/*', 'telegram/*'], message: 'Only src/adapters imports service libraries.' }],
        },
      ],
    },
  },
  {
    // The CLI loads a command group's file only when it is asked for (see src/cli/main.ts).
    files: ['src/cli/main.ts'],
    rules: { '@typescript-eslint/no-require-imports': ['error', { allow: ['^\\./[a-z-]+$'] }] },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: forbiddenInWorkflows.filter((name) => !name.endsWith('/*')),
          patterns: [
            { group: forbiddenInWorkflows.filter((name) => name.endsWith('/*')), message: 'Not in workflow code.' },
            // The domain (types, the failure vocabulary, the duration type) is deterministic and shared by every layer;
            // anything else from outside is not. Workflows type their activities against ./activity-types.
            {
              group: ['../*', '!../domain'],
              message: 'Workflows import only deterministic code under src/workflows and src/domain.',
            },
          ],
        },
      ],
    },
  },
  {
    // The worker preloads these modules once and shares them between every workflow (src/workers/workflow-bundle.ts):
    // state at module level would leak from one workflow into another and break replay.
    files: ['src/workflows/**/*.ts', 'src/domain/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "Program > VariableDeclaration[kind!='const']",
          message: 'No module-level let or var in workflow code: modules are shared by every workflow.',
        },
        {
          selector:
            'Program > VariableDeclaration > VariableDeclarator > NewExpression[callee.name=/^(Map|Set|WeakMap|WeakSet|Array)$/]',
          message: 'No module-level collection in workflow code: modules are shared by every workflow.',
        },
        {
          selector:
            'Program > ExportNamedDeclaration > VariableDeclaration > VariableDeclarator > NewExpression[callee.name=/^(Map|Set|WeakMap|WeakSet|Array)$/]',
          message: 'No module-level collection in workflow code: modules are shared by every workflow.',
        },
        {
          selector: "Program > ExportNamedDeclaration > VariableDeclaration[kind!='const']",
          message: 'No module-level let or var in workflow code: modules are shared by every workflow.',
        },
      ],
    },
  },
  {
    files: ['**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // dependency-cruiser's rules (npm run lint): CommonJS, as it reads them.
    files: ['**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: { module: 'writable' } },
  },
  {
    // The installed command's launcher: plain CommonJS outside the TypeScript project.
    files: ['bin/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: 'commonjs',
      globals: { require: 'readonly', __dirname: 'readonly' },
    },
    rules: { ...tseslint.configs.disableTypeChecked.rules, '@typescript-eslint/no-require-imports': 'off' },
  },
);
