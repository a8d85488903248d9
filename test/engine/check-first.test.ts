// A refusal that exits 2 says "nothing was touched": it must be decided on a read, before the
// state table is created or the rows of dropped schemas are pruned.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from '../support/fixtures';
import { force, migrate, migrateTenant, rollback } from '../../src/index';
import { rewriteSum } from '../../src/migrations/create';
import { BASIC, createTenants, writeMigrations } from '../support/migrations';
import type { TestDatabase } from '../support/db';

async function stateSchemaExists(db: TestDatabase): Promise<boolean> {
  return (await db.query(`SELECT 1 FROM pg_namespace WHERE nspname = 'migrate_tool'`)).rowCount === 1;
}

describe('refusals touch nothing', () => {
  test('migrateTenant of a schema that does not exist, on an empty database, creates no state schema', async ({
    db,
    dir,
  }) => {
    const migrationsDir = await writeMigrations(dir, BASIC);
    await expect(migrateTenant({ connection: db.url, migrationsDir }, 'company_zzz')).rejects.toMatchObject({
      exitCode: 2,
    });
    expect(await stateSchemaExists(db)).toBe(false);
  });

  test('rollback limited to a schema that does not exist, on an empty database, creates no state schema', async ({
    db,
    dir,
  }) => {
    const migrationsDir = await writeMigrations(dir, BASIC);
    await expect(rollback({ connection: db.url, migrationsDir }, { tenant: 'company_zzz' })).rejects.toMatchObject({
      exitCode: 2,
    });
    expect(await stateSchemaExists(db)).toBe(false);
  });

  test('force limited to a schema that does not exist, on an empty database, creates no state schema', async ({
    db,
    dir,
  }) => {
    const migrationsDir = await writeMigrations(dir, BASIC);
    await expect(force({ connection: db.url, migrationsDir }, '0', { tenant: 'company_zzz' })).rejects.toMatchObject({
      exitCode: 2,
    });
    expect(await stateSchemaExists(db)).toBe(false);
  });

  test('an up refused for an edited migration keeps the rows of a dropped schema: pruning waits for a run that goes ahead', async ({
    db,
    dir,
  }) => {
    const migrationsDir = await writeMigrations(dir, BASIC);
    await createTenants(db, 'company_a', 'company_b');
    await migrate({ connection: db.url, migrationsDir });
    await db.query('DROP SCHEMA company_b CASCADE');
    await writeFile(
      join(migrationsDir, 'tenant/20250101000200_employee_email.up.sql'),
      'ALTER TABLE employees ADD COLUMN email varchar(200);',
    );
    await rewriteSum(migrationsDir);
    await expect(migrate({ connection: db.url, migrationsDir })).rejects.toMatchObject({
      exitCode: 2,
      code: 'EDITED_MIGRATION',
    });
    const rows = await db.query(`SELECT version FROM migrate_tool.migrations WHERE schema_name = 'company_b'`);
    expect(rows.rowCount).toBe(2);
  });
});
