// Lint: typescript-eslint's recommended rules, plus the import rules that keep the plan of the
// code (docs/design.md): the CLI reaches the engine only through src/index.ts, and no room of the
// engine imports the CLI or the public API above it.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const engineRooms = ['migrations', 'tenants', 'diff', 'seed', 'backup', 'lint', 'roundtrip', 'db', 'config', 'util'];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', performance: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', Buffer: 'readonly', TextDecoder: 'readonly', TextEncoder: 'readonly', structuredClone: 'readonly', WebAssembly: 'readonly', queueMicrotask: 'readonly', setImmediate: 'readonly', fetch: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-console': 'off',
      'max-len': ['error', { code: 160, ignoreUrls: true, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true }],
    },
  },
  {
    files: ['src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: `^\\.\\./(\\.\\./)?(${engineRooms.join('|')}|errors)(/|$)`, message: 'the CLI uses the engine only through src/index.ts' }] }],
    },
  },
  {
    files: [`src/{${engineRooms.join(',')}}/**/*.ts`, 'src/errors.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(\\.\\./)+(cli|index)(/|$)', message: 'the engine never imports the CLI or the public API above it' }] }],
    },
  },
);
