// The summary read (state-summary.ts, state-counts.ts) must say exactly what reading every row says,
// on the histories that are not a clean prefix of the folder; and migrateTenant's one-transaction
// chain (new-tenant.ts) must record exactly the versions it ran, or fall back to file by file.
import { join } from 'node:path';
import { describe, expect, test } from '../support/fixtures';
import { migrate, migrateTenant, status, tenants, version } from '../../src/index';
import { createTenants, writeMigrations, type Files } from '../support/migrations';
import type { TestDatabase } from '../support/db';

const FILES: Files = {
  '20250101000000_init.up.sql': 'CREATE TABLE companies (id serial PRIMARY KEY);',
  'tenant/20250101000100_a.up.sql': 'CREATE TABLE a (id int);',
  'tenant/20250101000200_b.up.sql': 'CREATE TABLE b (id int);',
  'tenant/20250101000300_c.up.sql': 'CREATE TABLE c (id int);',
};

const M = 'migrate_tool.migrations';

/** Every report the read-only commands give, as documents to compare. */
async function reports(url: string, migrationsDir: string) {
  const o = { connection: url, migrationsDir };
  return { status: await status(o), version: await version(o), tenants: await tenants(o) };
}

/** Histories of every kind a summary must notice, next to clean ones. */
async function oddHistories(db: TestDatabase, migrationsDir: string) {
  await createTenants(
    db,
    'company_clean',
    'company_gap',
    'company_dirty',
    'company_edit',
    'company_unknown',
    'company_short',
    'company_none',
  );
  await migrate({ connection: db.url, migrationsDir });
  await createTenants(db, 'company_later');
  await db.query(`
    DELETE FROM ${M} WHERE schema_name = 'company_gap' AND version = '20250101000200';
    UPDATE ${M} SET dirty = true WHERE schema_name = 'company_dirty' AND version = '20250101000300';
    UPDATE ${M} SET checksum = 'edited' WHERE schema_name = 'company_edit' AND version = '20250101000100';
    INSERT INTO ${M} (schema_name, version, name, scope, checksum) VALUES ('company_unknown', '20990101000000', 'newer', 'tenant', 'x');
    DELETE FROM ${M} WHERE schema_name = 'company_short' AND version = '20250101000300';
    DELETE FROM ${M} WHERE schema_name = 'company_none';
    INSERT INTO ${M} (schema_name, version, name, scope, checksum) VALUES ('company_gone', '20250101000100', 'a', 'tenant', 'x');`);
}

describe('the state read as a summary', () => {
  test('status, version and tenants say what a row-by-row read says, with the counts, without them, and without the indexes', async ({
    db,
    dir,
  }) => {
    const migrationsDir = await writeMigrations(dir, FILES);
    await oddHistories(db, migrationsDir);
    const summary = await reports(db.url, migrationsDir);
    expect(summary.tenants.map((t) => `${t.schema} ${t.version} ${t.dirty} ${t.behind}`)).toEqual([
      'company_clean 20250101000300 false 0',
      'company_dirty 20250101000300 true 1',
      'company_edit 20250101000300 false 0',
      'company_gap 20250101000300 false 1',
      'company_later null false 3',
      'company_none null false 3',
      'company_short 20250101000200 false 1',
      'company_unknown 20990101000000 false 0',
    ]);
    // The counts are not used once their trigger is gone: the rows are counted by the server.
    await db.query(`DROP TRIGGER migrations_schema_counts ON ${M}`);
    expect(await reports(db.url, migrationsDir)).toEqual(summary);
    // Without the indexes every row is read, as before.
    await db.query('DROP INDEX migrate_tool.migrations_dirty_idx');
    expect(await reports(db.url, migrationsDir)).toEqual(summary);
  });

  test('up refuses an edited migration found in one schema among clean ones, and an up run by the owner restores counts and indexes', async ({
    db,
    dir,
  }) => {
    const migrationsDir = await writeMigrations(dir, FILES);
    await createTenants(db, 'company_a', 'company_b', 'company_c');
    await migrate({ connection: db.url, migrationsDir });
    await db.query(
      `UPDATE ${M} SET checksum = 'edited' WHERE schema_name = 'company_b' AND version = '20250101000200'`,
    );
    await expect(migrate({ connection: db.url, migrationsDir })).rejects.toMatchObject({ code: 'EDITED_MIGRATION' });
    await db.query(`UPDATE ${M} SET checksum = (SELECT checksum FROM ${M} WHERE schema_name = 'company_a' AND version = '20250101000200') WHERE schema_name = 'company_b'
                    AND version = '20250101000200'`);
    // A table as an earlier release left it: no counts, no indexes.
    await db.query(
      `DROP TABLE migrate_tool.schema_counts; DROP TRIGGER migrations_schema_counts ON ${M}; DROP INDEX migrate_tool.migrations_version_checksum_idx`,
    );
    await migrate({ connection: db.url, migrationsDir });
    const counts = await db.query(`SELECT schema_name, versions, latest FROM migrate_tool.schema_counts ORDER BY 1`);
    const rows = await db.query(
      `SELECT schema_name, count(*)::int AS versions, max(version) AS latest FROM ${M} GROUP BY 1 ORDER BY 1`,
    );
    expect(counts.rows).toEqual(rows.rows);
    const indexes = await db.query(
      `SELECT 1 FROM pg_indexes WHERE schemaname = 'migrate_tool' AND indexname = 'migrations_version_checksum_idx'`,
    );
    expect(indexes.rowCount).toBe(1);
  });

  test('the counts follow every kind of write to the state table', async ({ db, dir }) => {
    const migrationsDir = await writeMigrations(dir, FILES);
    await createTenants(db, 'company_a', 'company_b');
    await migrate({ connection: db.url, migrationsDir });
    await db.query(`
      DELETE FROM ${M} WHERE schema_name = 'company_a' AND version = '20250101000300';
      UPDATE ${M} SET version = '20250101000400' WHERE schema_name = 'company_b' AND version = '20250101000100';
      UPDATE ${M} SET dirty = true WHERE schema_name = 'company_b';
      DELETE FROM ${M} WHERE schema_name = 'public';`);
    const counts = () => db.query(`SELECT schema_name, versions, latest FROM migrate_tool.schema_counts ORDER BY 1`);
    const rows = await db.query(
      `SELECT schema_name, count(*)::int AS versions, max(version) AS latest FROM ${M} GROUP BY 1 ORDER BY 1`,
    );
    expect((await counts()).rows).toEqual(rows.rows);
    await db.query(`TRUNCATE ${M}`);
    expect((await counts()).rowCount).toBe(0);
  });
});

describe('migrateTenant on a new schema', () => {
  test('runs the chain in one transaction, recording exactly the versions it ran', async ({ db, dir }) => {
    const migrationsDir = await writeMigrations(dir, FILES);
    await createTenants(db, 'company_a');
    await migrate({ connection: db.url, migrationsDir });
    await createTenants(db, 'company_new');
    const r = await migrateTenant({ connection: db.url, migrationsDir }, 'company_new');
    expect(r.result?.done.map((d) => d.version)).toEqual(['20250101000100', '20250101000200', '20250101000300']);
    const rows = await db.query<{ version: string; tx: string }>(
      `SELECT version, xmin::text AS tx FROM ${M} WHERE schema_name = 'company_new' ORDER BY version`,
    );
    expect(rows.rows.map((x) => x.version)).toEqual(['20250101000100', '20250101000200', '20250101000300']);
    // One transaction wrote them all.
    expect(new Set(rows.rows.map((x) => x.tx)).size).toBe(1);
    const tables = await db.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'company_new' ORDER BY 1`,
    );
    expect(tables.rows.map((t) => t.table_name)).toEqual(['a', 'b', 'c']);
  });

  test('a failing file: the chain is rolled back and run file by file, which names the file and line and keeps the files before it', async ({
    db,
    dir,
  }) => {
    const migrationsDir = await writeMigrations(dir, {
      ...FILES,
      'tenant/20250101000300_c.up.sql': 'CREATE TABLE c (id int);\nSELECT no_such_column FROM c;',
    });
    await createTenants(db, 'company_new');
    const r = await migrateTenant({ connection: db.url, migrationsDir }, 'company_new');
    expect(r.result?.done.map((d) => d.version)).toEqual(['20250101000100', '20250101000200']);
    expect(r.result?.failed).toMatchObject([
      { schema: 'company_new', version: '20250101000300', file: 'tenant/20250101000300_c.up.sql', line: 2 },
    ]);
    const rows = await db.query(`SELECT version FROM ${M} WHERE schema_name = 'company_new' ORDER BY version`);
    expect(rows.rows.map((x) => x.version)).toEqual(['20250101000100', '20250101000200']);
    const c = await db.query(
      `SELECT 1 FROM information_schema.tables WHERE table_schema = 'company_new' AND table_name = 'c'`,
    );
    expect(c.rowCount).toBe(0);
  });

  test('an older release names the versions its folder lacks, found in other schemas, as migrate does', async ({
    db,
    dir,
  }) => {
    const migrationsDir = await writeMigrations(dir, FILES);
    await createTenants(db, 'company_a');
    await migrate({ connection: db.url, migrationsDir });
    const older = await writeMigrations(
      join(dir, 'older'),
      Object.fromEntries(Object.entries(FILES).filter(([f]) => !f.includes('000300'))),
    );
    await createTenants(db, 'company_new');
    const r = await migrateTenant({ connection: db.url, migrationsDir: older }, 'company_new');
    expect(r.unknownVersions).toEqual(['20250101000300']);
    expect(r.result?.done.map((d) => d.version)).toEqual(['20250101000100', '20250101000200']);
  });
});
