// After a failed run, "re-run" is advised only where a re-run can succeed as it is. A migration that
// creates what the schema already holds (its record lost, e.g. by a restore of an earlier release)
// fails the same way on every run: the advice says what to do instead, and doing it works.
import pg from 'pg';
import { migrate } from '../../src/index';
import { afterFailures } from '../../src/cli/failure-advice';
import { describe, expect, test } from '../support/fixtures';
import { envFor, runCli } from '../support/cli';
import { BASIC, createTenants, writeMigrations } from '../support/migrations';

describe('advice after a failed run', () => {
  test('a schema whose record was lost: no "re-run", but how to record what it holds; following it makes up and status clean', async ({
    db,
    dir,
  }) => {
    const root = await writeMigrations(dir, BASIC);
    await createTenants(db, 'company_a', 'company_b');
    const env = { ...envFor(db.url), MIGRATIONS_DIR: root };
    expect((await runCli(['up'], { env })).code).toBe(0);
    // What an earlier release's restore left: the tables, without their rows in the state.
    await db.query(`DELETE FROM migrate_tool.migrations WHERE schema_name = 'company_b'`);

    const r = await runCli(['up'], { env });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('company_b at 20250101000100:');
    expect(r.stdout).toContain('relation "employees" already exists');
    expect(r.stdout).not.toContain('re-run to retry');
    expect(r.stdout).toContain(
      '1 migration(s) not run because of it; a re-run fails the same way until the cause above is fixed',
    );
    expect(r.stdout).toContain(
      'fix: company_b already has what 20250101000100 creates, but 20250101000100 is not recorded there (made by hand, or its record was lost)',
    );
    expect(r.stdout).toContain('`migrate-tool force <that version> --tenant company_b` (try --dry-run first)');
    const json = JSON.parse((await runCli(['up', '--json'], { env })).stdout);
    expect(json.failed).toEqual([expect.objectContaining({ schema: 'company_b', sqlstate: '42P07' })]);
    expect(json.failed[0].transient).toBeUndefined();

    // The advice, followed: force records what the schema holds; up and status are clean.
    const forced = await runCli(['force', '20250101000200', '--tenant', 'company_b'], { env });
    expect(forced.code, forced.stderr).toBe(0);
    expect((await runCli(['up'], { env })).stdout.trim()).toBe('no change');
    expect((await runCli(['status', '--exit-code'], { env })).code).toBe(0);
  });

  test('a lock not obtained in time is transient: "re-run" is said, and a re-run succeeds once the lock is free', async ({
    db,
    dir,
  }) => {
    const migrationsDir = await writeMigrations(dir, BASIC);
    await createTenants(db, 'company_a');
    await migrate({ connection: db.url, migrationsDir }, { steps: 2 });
    const app = new pg.Client({ connectionString: db.url });
    await app.connect();
    try {
      await app.query('BEGIN; LOCK TABLE company_a.employees IN ACCESS SHARE MODE');
      // The blocker check off (it would wait for the lock instead): what is tested is lock_timeout's failure.
      const { result } = await migrate({
        connection: db.url,
        migrationsDir,
        ddlLockTimeoutMs: 100,
        lockRetries: 0,
        blockerTimeoutMs: 0,
      });
      expect(result!.failed).toEqual([
        expect.objectContaining({ schema: 'company_a', sqlstate: '55P03', transient: true }),
      ]);
      expect(afterFailures(result!.failed)).toBe('re-run to retry exactly what is missing');
      await app.query('COMMIT');
    } finally {
      await app.end();
    }
    const again = await migrate({ connection: db.url, migrationsDir });
    expect(again.result!.failed).toEqual([]);
    expect(again.result!.done.map((d) => d.version)).toEqual(['20250101000200']);
  });

  test('one failure that a re-run cannot fix among transient ones: no bare "re-run"', () => {
    const lock = { schema: 'company_a', version: '1', error: 'lock', transient: true as const };
    const exists = { schema: 'company_b', version: '1', error: 'exists', sqlstate: '42P07' };
    expect(afterFailures([lock])).toBe('re-run to retry exactly what is missing');
    expect(afterFailures([lock, exists])).toMatch(/^a re-run fails the same way until the cause above is fixed/);
  });
});
