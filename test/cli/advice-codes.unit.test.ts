// The engine advises in the library's terms; the CLI turns each code into advice about its own
// flags, commands and variables (src/cli/advice.ts). These read the engine's sources, so that an
// error added later with CLI words in its advice, or with library words the CLI does not
// translate, fails here rather than reaching an operator or an application.
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { CLI_ADVICE, cliAdvice } from '../../src/cli/advice';
import { OperationError, UsageError } from '../../src/index';
import { CLI_WORDS, engineErrorSites } from '../support/error-sites';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const sites = engineErrorSites(ROOT);

/** Advice still written with the CLI's words in the engine: built from per-schema commands (force, baselines). Not done yet. */
const NOT_YET = ['BASELINE_GAP', 'FORCE_WIDENS', 'FORCE_ERASES_APPLIED'];

/** What in an advice is the library's vocabulary: an option of the operations, or a function of src/index.ts. */
const LIBRARY_WORDS =
  /\b(migrationsDir|seedsDir|backupDir|prismaSchema|tenantPattern|lockTimeoutMs|ddlLockTimeoutMs|waitMs|sslMode|force: true)\b|\b\w+\(\)|importFolder\(|the connection's/;

describe('engine error codes and the CLI advice table', () => {
  test('the scan finds the engine errors (the scanner itself works)', () => {
    expect(sites.length).toBeGreaterThan(60);
    expect(sites).toContainEqual(expect.objectContaining({ file: 'src/db/lock.ts', code: 'LOCK_TIMEOUT' }));
  });

  test('no engine advice names a CLI flag, command or variable, except those not done yet', () => {
    const cliish = sites.filter((s) => s.advice && CLI_WORDS.test(s.advice)).map((s) => `${s.code} (${s.file}:${s.line})`);
    expect(cliish.filter((s) => !NOT_YET.some((code) => s.startsWith(`${code} `)))).toEqual([]);
  });

  test('every code whose engine advice speaks in library words has a CLI entry', () => {
    const missing = sites.filter((s) => s.advice && LIBRARY_WORDS.test(s.advice) && !(s.code! in CLI_ADVICE)).map((s) => `${s.code} (${s.file}:${s.line})`);
    expect(missing).toEqual([]);
  });

  test('every entry of the table is a code the engine throws', () => {
    const thrown = new Set(sites.map((s) => s.code));
    expect(Object.keys(CLI_ADVICE).filter((code) => !thrown.has(code))).toEqual([]);
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
    // A code without an entry keeps the engine's advice.
    expect(cliAdvice(op('SOMETHING_ELSE', 'as it is'), {})).toBe('as it is');
  });
});
