// The engine advises in the library's terms; the CLI turns each code into advice about its own
// flags, commands and variables (src/cli/advice.ts). These read the engine's sources, so that an
// error added later with CLI words in its advice, or with library words the CLI does not
// translate, fails here rather than reaching an operator or an application.
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { CLI_ADVICE, cliAdvice, cliFailure, cliWords } from '../../src/cli/advice';
import { dirtyAdvice } from '../../src/migrations/plan';
import { OperationError, UsageError } from '../../src/index';
import { CLI_WORDS, engineErrorSites } from '../support/error-sites';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const sites = engineErrorSites(ROOT);

/** Advice still written with the CLI's words in the engine (none today; a code listed here is a known debt). */
const NOT_YET: string[] = [];

/** What in an advice is the library's vocabulary: an option of the operations, or a function of src/index.ts. */
const LIBRARY_WORDS =
  /\b(migrationsDir|seedsDir|backupDir|prismaSchema|tenantPattern|lockTimeoutMs|ddlLockTimeoutMs|waitMs|sslMode|forgetApplied|force: true|all: true)\b|\b\w+\(\)|\w+\(options|importFolder\(|the connection's/;

describe('engine error codes and the CLI advice table', () => {
  test('the scan finds the engine errors (the scanner itself works)', () => {
    expect(sites.length).toBeGreaterThan(60);
    expect(sites).toContainEqual(expect.objectContaining({ file: 'src/db/lock.ts', code: 'LOCK_TIMEOUT' }));
  });

  test('no engine advice names a CLI flag, command or variable, except those not done yet', () => {
    const cliish = sites.filter((s) => s.advice && CLI_WORDS.test(s.advice)).map((s) => `${s.code} (${s.file}:${s.line})`);
    expect(cliish.filter((s) => !NOT_YET.some((code) => s.startsWith(`${code} `)))).toEqual([]);
  });

  test('no engine message names a CLI flag or variable, except the known ones', () => {
    // Known debt: these messages name the CLI's variable or command beside the value; their advice is in library terms.
    const known = ['BACKUP_DIR_NOT_WRITABLE', 'SSL_UNSUPPORTED', 'UNKNOWN_VERSION', 'UNKNOWN_TARGET', 'BAD_CANARY'];
    const cliish = sites.filter((s) => CLI_WORDS.test(s.message)).map((s) => s.code);
    expect(cliish.filter((code) => !known.includes(code!))).toEqual([]);
  });

  test('every code whose engine advice speaks in library words has a CLI entry', () => {
    const missing = sites.filter((s) => s.advice && LIBRARY_WORDS.test(s.advice) && !(s.code! in CLI_ADVICE)).map((s) => `${s.code} (${s.file}:${s.line})`);
    expect(missing).toEqual([]);
  });

  test('every entry of the table is a code the engine throws', () => {
    const thrown = new Set(sites.map((s) => s.code));
    expect(Object.keys(CLI_ADVICE).filter((code) => !thrown.has(code))).toEqual([]);
  });

  test("a code the CLI words without reading the engine's advice comes from one place in the engine", () => {
    // Otherwise one fixed text would replace the advice of errors that share the code and mean something else.
    const fixed = Object.keys(CLI_ADVICE).filter((code) => {
      const a = cliAdvice(new OperationError('m', code, 'first advice'), {});
      const b = cliAdvice(new OperationError('m', code, 'second advice'), {});
      return a === b;
    });
    const shared = fixed.filter((code) => new Set(sites.filter((s) => s.code === code).map((s) => `${s.file}:${s.line}`)).size > 1);
    expect(shared).toEqual([]);
  });

  test('force and baselines: the CLI builds its commands per schema from the facts of the error', () => {
    const widens = new UsageError('m', 'library words', 'FORCE_WIDENS', { target: '20250101000000', dirty: ['company_b', 'public'], forgetApplied: true });
    expect(cliAdvice(widens, {})).toBe(
      "recover each dirty schema on its own: `migrate-tool force 20250101000000 --tenant company_b`, public: `migrate-tool force 20250101000000 --all --dry-run`, then without --dry-run; to rewrite every schema's history anyway, add --all --forget-applied",
    );
    expect(cliAdvice(new UsageError('m', 'library words', 'BASELINE_GAP', { schema: 'company_a' }), {})).toBe(
      'record them first: `migrate-tool up --tenant company_a` records them without running SQL',
    );
  });

  test('the CLI says what it said before the engine spoke library terms', () => {
    const op = (code: string, advice: string) => new OperationError('m', code, advice);
    expect(cliAdvice(op('LOCK_TIMEOUT', 'wait for it to finish, or raise lockTimeoutMs'), {})).toBe('wait for it to finish, or raise --lock-timeout');
    expect(cliAdvice(op('LOCK_LOST', 're-run migrate(): what finished is recorded'), {})).toBe('re-run `migrate-tool up`: what finished is recorded');
    expect(cliAdvice(op('BACKUP_DIR', 'set backupDir to a folder this user can write'), {})).toBe('set BACKUP_DIR to a folder this user can write');
    expect(cliAdvice(new UsageError('m', 'set migrationsDir, or create its first migration with createMigration()', 'NO_MIGRATIONS_DIR'), {})).toBe(
      'set MIGRATIONS_DIR or pass --dir, or run `migrate-tool create NAME`',
    );
    expect(cliAdvice(op('NOTHING_IMPORTED', "run importFolder('dbmate', SRC, migrationsDir) first, with the folder that built this database"), {})).toBe(
      'run `migrate-tool import dbmate SRC` first, with the folder that built this database',
    );
    const url = { host: 'db', port: 5432, user: 'u', database: 'maindb', fromUrl: true };
    expect(cliAdvice(op('AUTH_FAILED', "check the connection's user and password"), { connection: url })).toBe("check DATABASE_URL's user and password");
    expect(cliAdvice(op('DATABASE_NOT_FOUND', "create it (createdb maindb) or fix the connection's database"), {})).toBe(
      'create it (createdb maindb) or fix POSTGRES_DB_PROD',
    );
    // A dirty schema: up's refusal, and the advice in a run's results, name force per schema.
    const dirty = dirtyAdvice('company_b', '20250101000200', '20250101000100');
    expect(dirty).not.toMatch(CLI_WORDS);
    expect(cliAdvice(op('DIRTY', dirty), {})).toBe(
      'check what it left in company_b, repair it by hand, then run `migrate-tool force <version> --tenant company_b` (20250101000200 if its change is in place, 20250101000100 if not)',
    );
    expect(cliWords(dirtyAdvice('public', '2', '1'))).toBe(
      'check what it left in public, repair it by hand, then run `migrate-tool force <version>` (2 if its change is in place, 1 if not)',
    );
    // In a run's results: up's refusal of a dirty tenant carries the advice in its error; a failure that left one dirty, in advice.
    const refused = { schema: 'company_b', version: '3', error: `Schema company_b is dirty at version 3; fix: ${dirtyAdvice('company_b', '3', '2')}` };
    expect(cliFailure(refused).error).toContain('then run `migrate-tool force <version> --tenant company_b` (3 if');
    expect(cliFailure({ ...refused, error: 'function migrate() does not exist', advice: dirty }).error).toBe('function migrate() does not exist');
    expect(cliFailure({ ...refused, advice: dirty }).advice).toContain('`migrate-tool force <version> --tenant company_b`');
    // A code without an entry keeps the engine's advice.
    expect(cliAdvice(op('SOMETHING_ELSE', 'as it is'), {})).toBe('as it is');
  });
});
