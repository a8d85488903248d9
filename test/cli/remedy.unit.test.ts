// A remedy is data (src/remedy.ts): the library words it with its options and functions, the CLI
// with its flags, commands and variables (src/cli/advice.ts). The compiler keeps both switches
// complete; these check the words of every kind, and that the CLI says what it said when it read
// the engine's sentences back.
import { describe, expect, test } from 'vitest';
import { cliFailure, cliRemedy, describeError } from '../../src/cli/advice';
import { OperationError, UsageError, type Remedy } from '../../src/index';
import { dirtyRemedy } from '../../src/migrations/plan';
import { libraryWords, operation, option, remedy } from '../../src/remedy';

/** One remedy of each kind, with its words in the library and at the CLI (a Record, so a new kind must be added here). */
const EACH_KIND: Record<Remedy['kind'], { remedy: Remedy; library: string; cli: string }> = {
  text: { remedy: { kind: 'text', text: 'as it is' }, library: 'as it is', cli: 'as it is' },
  option: { remedy: option('lockTimeoutMs'), library: 'lockTimeoutMs', cli: '--lock-timeout' },
  operation: { remedy: operation('rewriteSum'), library: 'rewriteSum()', cli: '`migrate-tool hash`' },
  force: {
    remedy: dirtyRemedy('company_b', '20250101000200', '20250101000100'),
    library:
      "check what it left in company_b, repair it by hand, then call force(options, '<version>', { tenant: 'company_b' }) (20250101000200 if its change is in place, 20250101000100 if not)",
    cli: 'check what it left in company_b, repair it by hand, then run `migrate-tool force <version> --tenant company_b` (20250101000200 if its change is in place, 20250101000100 if not)',
  },
  forceEach: {
    remedy: { kind: 'forceEach', version: '20250101000000', dirty: ['company_b', 'public'], forgetApplied: true },
    library:
      "recover each dirty schema on its own, with force(options, '20250101000000', ...): { tenant: 'company_b' }, public: { all: true, dryRun: true }, then without dryRun; to rewrite every schema's history anyway, pass all: true, forgetApplied: true",
    cli: "recover each dirty schema on its own: `migrate-tool force 20250101000000 --tenant company_b`, public: `migrate-tool force 20250101000000 --all --dry-run`, then without --dry-run; to rewrite every schema's history anyway, add --all --forget-applied",
  },
  steps: {
    remedy: remedy`wait for it to finish, or raise ${option('lockTimeoutMs')}`,
    library: 'wait for it to finish, or raise lockTimeoutMs',
    cli: 'wait for it to finish, or raise --lock-timeout',
  },
};

describe('remedies in the library words and in the CLI words', () => {
  test.each(Object.entries(EACH_KIND))('%s', (kind, { remedy: r, library, cli }) => {
    expect(r.kind).toBe(kind);
    expect(libraryWords(r)).toBe(library);
    expect(cliRemedy(r)).toBe(cli);
  });

  test('an error keeps the library words as its advice, and a plain advice is a remedy of kind text', () => {
    const e = new OperationError('m', 'LOCK_TIMEOUT', EACH_KIND.steps.remedy);
    expect(e.advice).toBe('wait for it to finish, or raise lockTimeoutMs');
    expect(e.remedy).toEqual(EACH_KIND.steps.remedy);
    const plain = new UsageError('m', 'run it again');
    expect(plain.remedy).toEqual({ kind: 'text', text: 'run it again' });
    expect(describeError(plain, {})).toBe('run it again');
    expect(new UsageError('m').advice).toBeUndefined();
  });

  test('options and operations name the variables, flags and commands that set and run them', () => {
    const words = (r: Remedy) => [libraryWords(r), cliRemedy(r)];
    expect(
      words(remedy`set ${option('migrationsDir')}, or pass ${option('force')} to seed without that check`),
    ).toEqual([
      'set migrationsDir, or pass force: true to seed without that check',
      'set MIGRATIONS_DIR (or --dir), or pass --force to seed without that check',
    ]);
    expect(words(remedy`run ${operation('importFolder', { tool: 'dbmate' })} first`)).toEqual([
      "run importFolder('dbmate', SRC, migrationsDir) first",
      'run `migrate-tool import dbmate SRC` first',
    ]);
    expect(words(remedy`record them first: ${operation('migrate', { schema: 'company_a' })} records them`)).toEqual([
      "record them first: migrate(options, { tenant: 'company_a' }) records them",
      'record them first: `migrate-tool up --tenant company_a` records them',
    ]);
    expect(words(operation('migrate', { schema: 'public' }))).toEqual(['migrate(options)', '`migrate-tool up`']);
    expect(words(remedy`run ${operation('force', { version: 'VERSION' })}, then ${operation('migrate')}`)).toEqual([
      "run force(options, 'VERSION'), then migrate()",
      'run `migrate-tool force VERSION`, then `migrate-tool up`',
    ]);
    expect(words(remedy`add ${option('forgetApplied')}`)).toEqual(['add forgetApplied: true', 'add --forget-applied']);
    expect(
      words(
        remedy`set ${option('backupDir')}, ${option('seedsDir')}, ${option('prismaSchema')}, ${option('ddlLockTimeoutMs')}`,
      ),
    ).toEqual([
      'set backupDir, seedsDir, prismaSchema, ddlLockTimeoutMs',
      'set BACKUP_DIR, SEEDS_DIR, PRISMA_SCHEMA, --ddl-lock-timeout',
    ]);
    const commands = [
      'rollback',
      'generateBaseline',
      'createMigration',
      'backup',
      'restore',
      'seed',
      'adopt',
      'status',
      'tenants',
    ] as const;
    expect(commands.map((o) => cliRemedy(operation(o)))).toEqual([
      '`migrate-tool down`',
      '`migrate-tool diff --baseline NAME`',
      '`migrate-tool create NAME`',
      '`migrate-tool backup`',
      '`migrate-tool restore`',
      '`migrate-tool seed`',
      '`migrate-tool adopt`',
      '`migrate-tool status`',
      '`migrate-tool tenants`',
    ]);
  });

  test("the connection's database is the variable the operator set", () => {
    const e = new OperationError(
      'm',
      'DATABASE_NOT_FOUND',
      remedy`create it (createdb maindb) or fix ${option('database')}`,
    );
    expect(e.advice).toBe("create it (createdb maindb) or fix the connection's database");
    expect(describeError(e, {})).toBe('create it (createdb maindb) or fix POSTGRES_DB_PROD');
    const url = { host: 'db', port: 5432, user: 'u', database: 'maindb', fromUrl: true };
    expect(describeError(e, { connection: url })).toBe(
      'create it (createdb maindb) or fix the database name in DATABASE_URL',
    );
    // A code whose words depend on the context keeps its entry.
    expect(
      describeError(new OperationError('m', 'AUTH_FAILED', "check the connection's user and password"), {
        connection: url,
      }),
    ).toBe("check DATABASE_URL's user and password");
  });

  test("a run's failure: its remedy in the CLI's words, the error as it is", () => {
    const dirty = {
      schema: 'company_b',
      version: '3',
      error: 'function migrate() does not exist',
      dirty: true as const,
      remedy: dirtyRemedy('company_b', '3', '2'),
    };
    const f = cliFailure({ ...dirty, advice: libraryWords(dirty.remedy) });
    expect(f.error).toBe('function migrate() does not exist');
    expect(f.advice).toBe(
      'check what it left in company_b, repair it by hand, then run `migrate-tool force <version> --tenant company_b` (3 if its change is in place, 2 if not)',
    );
    expect(f).not.toHaveProperty('remedy');
    // With the invalid indexes it left, the statements that drop them.
    expect(
      cliRemedy({ kind: 'force', schema: 'public', version: '2', previous: '1', drop: 'DROP INDEX public.i' }),
    ).toBe(
      'check what it left in public, repair it by hand (DROP INDEX public.i), then run `migrate-tool force <version>` (2 if its change is in place, 1 if not)',
    );
    // A plain advice (no remedy) stays as it is.
    expect(cliFailure({ schema: 's', version: '1', error: 'e', advice: 'as it is' }).advice).toBe('as it is');
  });
});
