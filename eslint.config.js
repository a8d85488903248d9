// Lint: typescript-eslint's recommended rules, plus the import rules that keep the plan of the
// code (docs/design.md): the CLI reaches the engine only through src/index.ts (the public API) and
// src/internal.ts (what only the CLI needs), no room of the engine imports the CLI or those entries,
// the public API does not lean on the internal entry, and the engine's rooms import only downwards:
// bottom (config, db, util, errors) <- tenants <- migrations <- the feature rooms.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const bottom = ['config', 'db', 'util'];
const features = ['diff', 'seed', 'backup', 'lint', 'roundtrip', 'import', 'adopt', 'fleet', 'drift', 'plan'];
const engineRooms = ['migrations', 'tenants', ...features, ...bottom];
/** Feature rooms that use another one, and why (docs/design.md). */
const featureUses = { adopt: ['import'], diff: ['backup'] }; // adopt maps a history to the files `import` wrote, by their header; diff --baseline runs pg_dump through backup's client-tool runner

/** What each room must not import, above it or beside it; the CLI and the public API for all of them. */
const forbidden = [
  {
    files: [...bottom.map((r) => `src/${r}/**/*.ts`), 'src/errors.ts', 'src/remedy.ts'],
    rooms: ['tenants', 'migrations', ...features],
  },
  { files: ['src/tenants/**/*.ts'], rooms: ['migrations', ...features] },
  { files: ['src/migrations/**/*.ts'], rooms: features },
  ...features.map((r) => ({
    files: [`src/${r}/**/*.ts`],
    rooms: features.filter((f) => f !== r && !(featureUses[r] ?? []).includes(f)),
  })),
];

/** db/ owns the transactions (db/transaction.ts): a transaction statement written anywhere else is refused. */
const TRANSACTION_TEXT = '/^\\s*(BEGIN|COMMIT|ROLLBACK|START TRANSACTION|SAVEPOINT|RELEASE)\\b/i';
const transactionText = [
  {
    selector: `Literal[value=${TRANSACTION_TEXT}]`,
    message: 'transaction statements are written in src/db/transaction.ts: use its helpers',
  },
  {
    selector: `TemplateElement[value.raw=${TRANSACTION_TEXT}]`,
    message: 'transaction statements are written in src/db/transaction.ts: use its helpers',
  },
];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        performance: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        Buffer: 'readonly',
        TextDecoder: 'readonly',
        TextEncoder: 'readonly',
        structuredClone: 'readonly',
        WebAssembly: 'readonly',
        queueMicrotask: 'readonly',
        setImmediate: 'readonly',
        fetch: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-console': 'off',
      'max-len': [
        'error',
        { code: 160, ignoreUrls: true, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true },
      ],
    },
  },
  {
    files: ['src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^\\.\\./(\\.\\./)?(${engineRooms.join('|')}|errors|remedy)(/|$)`,
              message: 'the CLI uses the engine only through src/index.ts or src/internal.ts',
            },
          ],
        },
      ],
      // A lazy import() is an import too: src/index.ts loads heavy modules lazily itself.
      'no-restricted-syntax': [
        'error',
        {
          selector: `ImportExpression[source.value=/^\\.\\.\\/(\\.\\.\\/)?(${engineRooms.join('|')}|errors|remedy)(\\/|$)/]`,
          message: 'the CLI uses the engine only through src/index.ts or src/internal.ts',
        },
      ],
    },
  },
  {
    // main.ts hands the process (argv, environment, working directory, streams, signals) to run.ts as an Invocation.
    files: ['src/cli/**/*.ts'],
    ignores: ['src/cli/main.ts'],
    rules: {
      'no-restricted-globals': [
        'error',
        {
          name: 'process',
          message: 'the CLI reads the process only in main.ts: take it from the Invocation or the CommandContext',
        },
      ],
    },
  },
  {
    // The two entries only re-export the engine; the published one never reaches the unpublished one.
    files: ['src/index.ts', 'src/internal.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^\\./(cli|internal)(/|$)',
              message: 'src/index.ts is the published API: it re-exports the engine, never the CLI or src/internal.ts',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    // The CLI sends no SQL (it reaches the engine through src/index.ts) and prints words like "Rollback complete!".
    ignores: ['src/db/**', 'src/cli/**'],
    rules: { 'no-restricted-syntax': ['error', ...transactionText] },
  },
  ...forbidden.map(({ files, rooms }) => ({
    files,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+(cli|index|internal)(/|$)',
              message: 'the engine never imports the CLI, or the public or internal entry above it',
            },
            {
              regex: `^(\\.\\./)+(${rooms.join('|')})(/|$)`,
              message: 'a room imports only the rooms below it (docs/design.md: the plan of the code)',
            },
          ],
        },
      ],
    },
  })),
  {
    // The example application is plain CommonJS, as a small service's entry point often is.
    files: ['examples/**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', __dirname: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
