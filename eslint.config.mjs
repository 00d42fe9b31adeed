// @ts-check
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** What deterministic workflow code and pure domain logic may not reach: I/O, Node, the database. */
const boundary = {
  paths: builtinModules.map((name) => ({ name, message: 'Workflows and the domain are pure: no Node built-ins.' })),
  patterns: [
    { group: ['node:*'], message: 'Workflows and the domain are pure: no Node built-ins (pass values or a clock in).' },
    {
      group: ['**/src/db', '**/src/db/*', '**/db/*', '../db', '**/src/services/*', '**/services/*', '**/src/http/*', '**/http/*'],
      message:
        'Workflows and the domain import nothing from src/db, src/services or src/http: move the type into workflows/messages.ts or src/domain.',
    },
  ],
};

export default tseslint.config(
  { ignores: ['dist/**', 'coverage/**', 'node_modules/**', '.data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // A forgotten `await` on an activity, a Temporal call or a query is a real bug.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    // JSON from our own API, read by tests, benchmarks and the CLI's printers.
    files: ['test/**/*.ts', 'scripts/**/*.ts', 'src/cli/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // One SQL operation per module, under src/db: services, routes and activities call those.
    files: ['src/**/*.ts', 'activities/**/*.ts', 'workflows/**/*.ts'],
    ignores: ['src/db/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "TaggedTemplateExpression[tag.name=/^(sql|tx)$/], TaggedTemplateExpression[tag.property.name='sql']",
          message: 'SQL lives in src/db (one operation per module); call it from here.',
        },
      ],
    },
  },
  {
    files: ['workflows/**/*.ts', 'src/domain/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', boundary] },
  },
  {
    // The workflow bundle gets activities' types only; their code runs in the worker.
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/activities', '**/activities/*'],
              allowTypeImports: true,
              message: 'Workflows import activities type-only and call them through proxyActivities.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: {
      globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly', console: 'readonly' },
    },
  },
);
