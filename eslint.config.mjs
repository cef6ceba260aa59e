// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.data/**', 'coverage/**'] },
  js.configs.recommended,
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
  },
  ...tseslint.configs.recommended,
  {
    // Type-aware rules: a promise nobody awaits or catches loses its error (and, in a request or an activity, its
    // ordering); a promise where a plain value is expected (an if, an event handler) is always truthy or unhandled.
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'inline-type-imports' },
      ],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-console': 'off',
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no I/O, clocks or randomness outside the SDK. Nor
    // tuning knobs: what shapes a workflow's commands lives in src/workflows (constants.ts: a change needs a new
    // patched() id), so outside it a workflow reads only messages, ids and the other shared definitions named here.
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '../*',
                '!../shared',
                '../shared/*',
                '!../shared/billing-lists',
                '!../shared/counters',
                '!../shared/ids',
                '!../shared/messages',
                '!../shared/preview',
                '!../shared/priorities',
                'pg',
                'stripe',
                'intercom-client',
                'koa',
                'node:*',
              ],
              allowTypeImports: true,
              message: 'workflow code imports only src/workflows, the shared definitions allowed here, and types',
            },
          ],
        },
      ],
    },
  },
  {
    // Routers come from src/api/router.ts (case-sensitive): a default @koa/router once let `/INSTALLS/…` past the
    // admin guard (issue 16).
    files: ['src/**/*.ts'],
    ignores: ['src/api/router.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Router']",
          message: 'create routers with createRouter() from src/api/router.ts (case-sensitive routing)',
        },
      ],
    },
  },
  prettier,
);
