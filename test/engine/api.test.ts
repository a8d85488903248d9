// The engine as a library: what an application calls, with results returned instead of exits.
import { describe, expect, test } from '../support/fixtures';
import { migrate, migrateTenant, rollback, status, type Event } from '../../src/index';
import { BASIC, createTenants, writeMigrations } from '../support/migrations';
import { withRowsOnlyRole } from '../support/roles';

describe('library API', () => {
  test('migrate returns per-schema results and reports progress through events', async ({ db, dir }) => {
    const migrationsDir = await writeMigrations(dir, BASIC);
    await createTenants(db, 'company_a', 'company_b', 'company_c');
    const events: Event[] = [];
    const { result } = await migrate({ connection: db.url, migrationsDir, onEvent: (e) => events.push(e) });
    expect(result?.failed).toEqual([]);
    expect(result?.done.map((d) => `${d.schema}@${d.version}`).sort()).toEqual([
      'company_a@20250101000100',
      'company_a@20250101000200',
      'company_b@20250101000100',
      'company_b@20250101000200',
      'company_c@20250101000100',
      'company_c@20250101000200',
      'public@20250101000000',
    ]);
    expect(events.filter((e) => e.type === 'migration:start').map((e) => (e as { version: string }).version)).toEqual([
      '20250101000000',
      '20250101000100',
      '20250101000200',
    ]);
    expect(events.filter((e) => e.type === 'progress').at(-1)).toEqual({ type: 'progress', done: 3, total: 3 });
  });

  test('a tenant schema created later is caught up by the next migrate, and by migrateTenant alone', async ({
    db,
    dir,
  }) => {
    const migrationsDir = await writeMigrations(dir, BASIC);
    await createTenants(db, 'company_a', 'company_b', 'company_c');
    await migrate({ connection: db.url, migrationsDir });

    await createTenants(db, 'company_d');
    const before = await status({ connection: db.url, migrationsDir });
    expect(before.tenants).toMatchObject({ count: 4, behind: ['company_d'] });
    const next = await migrate({ connection: db.url, migrationsDir });
    expect(next.result?.done.map((d) => d.schema)).toEqual(['company_d', 'company_d']);

    // What an application calls right after creating a company: only that schema, only tenant migrations.
    await createTenants(db, 'company_e');
    const one = await migrateTenant({ connection: db.url, migrationsDir }, 'company_e');
    expect(one.result?.done.map((d) => `${d.schema}@${d.version}`)).toEqual([
      'company_e@20250101000100',
      'company_e@20250101000200',
    ]);
    const cols = await db.query(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = 'company_e' AND table_name = 'employees'`,
    );
    expect(cols.rowCount).toBe(3);
  });

  test('migrateTenant refuses a schema that does not exist, before touching anything', async ({ db, dir }) => {
    const migrationsDir = await writeMigrations(dir, BASIC);
    await expect(migrateTenant({ connection: db.url, migrationsDir }, 'company_zz')).rejects.toMatchObject({
      exitCode: 2,
    });
  });

  test('a dropped tenant schema leaves no state behind: created again, it starts from nothing', async ({ db, dir }) => {
    const migrationsDir = await writeMigrations(dir, BASIC);
    await createTenants(db, 'company_a');
    await migrate({ connection: db.url, migrationsDir });
    await db.query('DROP SCHEMA company_a CASCADE');
    await migrate({ connection: db.url, migrationsDir });
    await createTenants(db, 'company_a');
    const again = await migrate({ connection: db.url, migrationsDir });
    expect(again.result?.done.map((d) => d.version)).toEqual(['20250101000100', '20250101000200']);
  });

  test("a role granted only the state table's rows can run up once the table exists: a run creates nothing it finds", async ({
    db,
    dir,
  }) => {
    const migrationsDir = await writeMigrations(dir, BASIC);
    await migrate({ connection: db.url, migrationsDir });
    await withRowsOnlyRole(db, async (url) => {
      const again = await migrate({ connection: url, migrationsDir });
      expect(again.result).toMatchObject({ done: [], failed: [] });
    });
  });

  test('rollback with a tenant limit touches only that schema', async ({ db, dir }) => {
    const migrationsDir = await writeMigrations(dir, BASIC);
    await createTenants(db, 'company_a', 'company_b');
    await migrate({ connection: db.url, migrationsDir });
    const r = await rollback({ connection: db.url, migrationsDir }, { tenant: 'company_b', steps: 2 });
    expect(r.result?.done.map((d) => `${d.schema}@${d.version}`)).toEqual([
      'company_b@20250101000200',
      'company_b@20250101000100',
    ]);
    const s = await status({ connection: db.url, migrationsDir });
    expect(s.tenants.behind).toEqual(['company_b']);
    expect(s.migrations[0]).toMatchObject({ scope: 'global', applied: true });
  });
});
