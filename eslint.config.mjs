import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Imports matching `group` are an error that says which rule of the layers they break. */
const forbid = (message, ...group) => ({ group, message });

const NO_AWS_LAMBDA = forbid('Only lib/http (and handlers/) know API Gateway events: take an ApiRequest or AuthorizerRequest instead.', 'aws-lambda');
const NO_AWS_SDK = forbid('Only lib/store talks to AWS: go through a port (lib/records/port.ts, AuthStore in lib/auth/credentials.ts).', '@aws-sdk/*', '@smithy/*');
const NO_STORE = forbid('Storage is reached through a port (lib/records/port.ts, AuthStore), never the adapter in lib/store.', '**/store/**');
const NO_HTTP = forbid('Only the routes (lib/object-api, lib/auth) and handlers/ know HTTP.', '**/http', '**/http/*');
const NO_OBJECT_API = forbid('The object API calls the core; nothing below it calls the object API.', '**/object-api', '**/object-api/*');
const NO_RUNTIME = forbid('Settings and clients are injected; only handlers/ and lib/runtime wire them (the logger is passed in too).', '**/runtime/config', '**/runtime/container', '**/runtime/container-auth', '**/runtime/demo');

/** What each folder of lib/ must not import (a file matches the first block whose files it is in). */
const LAYERS = [
  {
    files: ['lib/wire/**/*.ts'],
    patterns: [NO_AWS_LAMBDA, NO_AWS_SDK, NO_STORE, NO_HTTP, NO_OBJECT_API, NO_RUNTIME,
      forbid('lib/wire is formats only: no records, models or auth.', '**/records', '**/records/**', '**/models/*', '**/auth/**')],
  },
  { files: ['lib/records/**/*.ts', 'lib/models/**/*.ts'], patterns: [NO_AWS_LAMBDA, NO_AWS_SDK, NO_STORE, NO_HTTP, NO_OBJECT_API, NO_RUNTIME] },
  // Declared field indexes: keys, lookups and the planner, pure over the records port.
  { files: ['lib/indexes/**/*.ts'], patterns: [NO_AWS_LAMBDA, NO_AWS_SDK, NO_STORE, NO_HTTP, NO_OBJECT_API, NO_RUNTIME] },
  {
    files: ['lib/http/**/*.ts'],
    patterns: [NO_AWS_SDK, NO_STORE, NO_OBJECT_API, forbid('lib/http is the edge: it knows no route and no core.', '**/auth/**', '**/records', '**/records/**')],
  },
  {
    files: ['lib/auth/**/*.ts'],
    patterns: [NO_AWS_LAMBDA, NO_AWS_SDK, NO_STORE, NO_OBJECT_API, NO_RUNTIME, forbid('Auth knows no records core.', '**/records', '**/records/**')],
  },
  { files: ['lib/object-api/**/*.ts'], patterns: [NO_AWS_LAMBDA, NO_AWS_SDK, NO_STORE, NO_RUNTIME] },
  // The API's description: built from the registry and the routes' tables, served by a thin handler.
  { files: ['lib/openapi/**/*.ts'], patterns: [NO_AWS_LAMBDA, NO_AWS_SDK, NO_STORE, NO_HTTP] },
  // Metering: plans, limits, the usage ledger and its exports, pure over its port (lib/metering/port.ts).
  { files: ['lib/metering/**/*.ts'], patterns: [NO_AWS_LAMBDA, NO_AWS_SDK, NO_STORE, NO_HTTP, NO_OBJECT_API, NO_RUNTIME] },
  // The change feed and webhooks: pure over ports (PutEvents via EventBusPort); only the sender uses node:http/https.
  { files: ['lib/changes/**/*.ts', 'lib/webhooks/**/*.ts'], patterns: [NO_AWS_LAMBDA, NO_AWS_SDK, NO_STORE, NO_HTTP, NO_OBJECT_API, NO_RUNTIME] },
  // Writes pushed in through a queue: the object routes injected, the dead letters through a port.
  { files: ['lib/queue/**/*.ts'], patterns: [NO_AWS_LAMBDA, NO_AWS_SDK, NO_STORE, NO_OBJECT_API, NO_RUNTIME] },
  { files: ['lib/errors/**/*.ts'], patterns: [NO_AWS_LAMBDA, NO_AWS_SDK, NO_STORE, NO_HTTP, NO_OBJECT_API, NO_RUNTIME] },
  { files: ['lib/store/**/*.ts'], patterns: [NO_AWS_LAMBDA, NO_HTTP, NO_OBJECT_API, NO_RUNTIME] },
  { files: ['lib/runtime/**/*.ts'], patterns: [NO_AWS_LAMBDA] },
  { files: ['handlers/**/*.ts'], patterns: [NO_AWS_SDK, NO_STORE] },
];

export default tseslint.config(
  { ignores: ['node_modules/', '.build/', '.esbuild/', '.serverless/', 'dist/', '.data/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.cjs', 'test/setup/*.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setImmediate: 'readonly', URL: 'readonly', __dirname: 'readonly', __filename: 'readonly', require: 'readonly', module: 'writable' } },
    rules: {
      eqeqeq: ['error', 'always'],
      'no-eval': 'error',
      'no-new-func': 'error',
      'no-implied-eval': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/ban-ts-comment': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
      'no-restricted-properties': ['error',
        { object: 'it', property: 'skip' }, { object: 'it', property: 'only' },
        { object: 'describe', property: 'skip' }, { object: 'describe', property: 'only' },
        { object: 'test', property: 'skip' }, { object: 'test', property: 'only' }],
    },
  },
  // Type-aware rules: a promise nobody awaits or catches (the write path runs reads, id reservations
  // and the Idempotency-Key lookup in parallel) fails lint, not production.
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  // Prettier formats lib/ and handlers/ at 120 columns (npm run format); what it cannot wrap
  // (a long message or pattern) may pass, code may not.
  {
    files: ['lib/**/*.ts', 'handlers/**/*.ts'],
    rules: { 'max-len': ['error', { code: 120, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true, ignoreUrls: true }] },
  },
  // The layers (DESIGN §2; README "Layout"), one block per folder with everything it must not import.
  ...LAYERS.map(({ files, patterns }) => ({ files, rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] } })),
);

