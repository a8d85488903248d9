// Behind pgbouncer: transaction mode breaks the run lock and session settings, so it is refused
// before anything is touched; session mode works, and concurrent runs still serialise on the lock.
import { afterAll, beforeAll } from 'vitest';
import { describe, expect, test } from '../support/fixtures';
import { envFor, runCli } from '../support/cli';
import { adminUrl } from '../support/db';
import { BASIC, createTenants, writeMigrations } from '../support/migrations';
import { notRun } from '../support/not-run';
import { pgbouncerMissing, startPgbouncer, type Pgbouncer } from '../support/pgbouncer';
import type { TestDatabase } from '../support/db';

const TENANTS = ['company_a', 'company_b', 'company_c'];

async function setup(db: TestDatabase, dir: string, bouncer: Pgbouncer) {
  const root = await writeMigrations(dir, BASIC);
  await createTenants(db, ...TENANTS);
  return { ...envFor(db.url), POSTGRES_HOST: '127.0.0.1', POSTGRES_PORT: String(bouncer.port), MIGRATIONS_DIR: root };
}

describe.skipIf(Boolean(pgbouncerMissing))(notRun('through pgbouncer', pgbouncerMissing), () => {
  describe('pool_mode = transaction', () => {
    let bouncer: Pgbouncer;
    beforeAll(async () => void (bouncer = await startPgbouncer(adminUrl(), 'transaction')));
    afterAll(() => bouncer?.stop());

    test('up is refused with exit 2 before anything is written or locked', async ({ db, dir }) => {
      const env = await setup(db, dir, bouncer);
      const r = await runCli(['up'], { env });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(
        'error: The database connection goes through a pooler in transaction mode (pgbouncer pool_mode=transaction)',
      );
      expect(r.stderr).toContain('fix: connect directly to PostgreSQL');
      expect(r.stderr.trim().split('\n')).toHaveLength(2); // the target line, then one error line
      const touched = await db.query(
        `SELECT to_regnamespace('migrate_tool') IS NOT NULL AS state, to_regclass('public.companies') IS NOT NULL AS companies`,
      );
      expect(touched.rows[0]).toEqual({ state: false, companies: false });
      const locks = await db.query(
        `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      );
      expect(locks.rows[0].n).toBe(0);
    });

    test('force is refused the same way (it takes the run lock too)', async ({ db, dir }) => {
      const env = await setup(db, dir, bouncer);
      const r = await runCli(['force', '20250101000000'], { env });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('pooler in transaction mode');
    });
  });

  describe('pool_mode = session', () => {
    let bouncer: Pgbouncer;
    beforeAll(async () => void (bouncer = await startPgbouncer(adminUrl(), 'session')));
    afterAll(() => bouncer?.stop());

    test('a full up works', async ({ db, dir }) => {
      const env = await setup(db, dir, bouncer);
      const r = await runCli(['up'], { env });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('Migration complete!');
      const rows = await db.query('SELECT count(*)::int AS n FROM migrate_tool.migrations');
      expect(rows.rows[0].n).toBe(1 + 2 * TENANTS.length);
    });

    test('two concurrent runs serialise on the run lock: each migration is applied once per schema', async ({
      db,
      dir,
    }) => {
      const env = await setup(db, dir, bouncer);
      const results = await Promise.all([runCli(['up', '--json'], { env }), runCli(['up', '--json'], { env })]);
      expect(
        results.map((r) => r.code),
        results.map((r) => r.stderr).join('\n'),
      ).toEqual([0, 0]);
      const applied = results.map((r) => (JSON.parse(r.stdout).applied as unknown[]).length).sort();
      expect(applied).toEqual([0, 1 + 2 * TENANTS.length]);
      const rows = await db.query('SELECT count(*)::int AS n FROM migrate_tool.migrations');
      expect(rows.rows[0].n).toBe(1 + 2 * TENANTS.length);
    });
  });
});
