// The engine never records a no-transaction migration as applied over an invalid index: when
// every retry of a CREATE INDEX CONCURRENTLY times out, the schema stays dirty and the failure
// names the index it left and how to drop it.
import pg from 'pg';
import { describe, expect, test } from '../support/fixtures';
import { migrate, status } from '../../src/index';
import { createTenants, writeMigrations, type Files } from '../support/migrations';

const FILES: Files = {
  '20250101000000_init.up.sql': 'CREATE TABLE companies (id serial PRIMARY KEY);',
  'tenant/20250101000100_appointments.up.sql':
    'CREATE TABLE appointments (id serial PRIMARY KEY, starts_at timestamptz NOT NULL);',
  'tenant/20250101000200_starts_at_index.up.sql':
    '-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS "appointments_starts_at_idx" ON "appointments" ("starts_at");\n',
};

describe('a CREATE INDEX CONCURRENTLY that keeps timing out', () => {
  test('fails the schema, leaves it dirty and names the invalid index, instead of recording it as applied', async ({
    db,
    dir,
  }) => {
    const migrationsDir = await writeMigrations(dir, FILES);
    await createTenants(db, 'company_a', 'company_b');
    const options = { connection: db.url, migrationsDir, ddlLockTimeoutMs: 300, lockRetries: 1 };
    await migrate(options, { steps: 2 });

    // A REPEATABLE READ snapshot held for the whole run: every attempt of the index build waits on it.
    const app = new pg.Client({ connectionString: db.url });
    await app.connect();
    try {
      await app.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      await app.query('SELECT count(*) FROM public.companies');
      const { result } = await migrate(options);
      expect(result!.done).toEqual([]);
      expect(result!.failed.map((f) => f.schema).sort()).toEqual(['company_a', 'company_b']);
      for (const f of result!.failed) {
        expect(f.error).toContain('canceling statement due to lock timeout');
        expect(f.error).toContain(
          `it left invalid index ${f.schema}.appointments_starts_at_idx (not usable, so 20250101000200 is not recorded as applied)`,
        );
        // What to do, as data and in the library's words (the CLI words it with its commands).
        expect(f.error).not.toContain('fix:');
        expect(f.advice).toBe(
          `run DROP INDEX CONCURRENTLY IF EXISTS "${f.schema}"."appointments_starts_at_idx"; then force(options, '20250101000100', { tenant: '${f.schema}' }) and re-run migrate()`,
        );
        expect(f.remedy).toMatchObject({ kind: 'steps' });
      }
    } finally {
      await app.end();
    }
    const report = await status(options);
    expect(report.tenants.dirty).toEqual(['company_a', 'company_b']);
    expect(report.invalidIndexes).toEqual([
      'company_a.appointments_starts_at_idx',
      'company_b.appointments_starts_at_idx',
    ]);
    // Only the last attempt's index is left: the retry dropped the first one before building again.
    const count = await db.query(
      `SELECT count(*)::int AS n FROM pg_class WHERE relname LIKE 'appointments_starts_at_idx%'`,
    );
    expect(count.rows[0].n).toBe(2);
  });
});
