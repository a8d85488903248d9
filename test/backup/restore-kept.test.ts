// `restore` over a database that grew after its backup: tenant schemas created since then are not
// in the dump. They keep their tables (pg_restore --clean drops only what the dump holds) and,
// what this file is about, their recorded state, so the next `up` and `status` are clean for them.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inject } from 'vitest';
import { runCli } from '../support/cli';
import { describe, expect, test } from '../support/fixtures';
import type { TestDatabase } from '../support/db';
import { project, snapshot } from '../seed/support';
import { notRun } from '../support/not-run';
import { rewriteSum } from '../../src/migrations/create';
import { pgDumpSkipReason, pgRestore17 } from './support';

const skip = await pgDumpSkipReason(inject('adminUrl'));

async function cli(env: Record<string, string>, ...args: string[]) {
  const r = await runCli(args, { env });
  return r;
}

async function ok(env: Record<string, string>, ...args: string[]) {
  const r = await cli(env, ...args);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
}

/** A migrated, seeded project with company_a; a backup of it; then company_new and company_late created and migrated after it. */
async function grownAfterBackup(dir: string, db: TestDatabase) {
  await db.query('CREATE SCHEMA company_a');
  const p = await project(dir, db);
  await ok(p.env, 'up');
  await ok(p.env, 'seed');
  const file = (JSON.parse((await ok(p.env, 'backup', '--json')).stdout) as { file: string }).file;
  await db.query('CREATE SCHEMA company_new; CREATE SCHEMA company_late');
  await ok(p.env, 'up');
  await db.query(`INSERT INTO company_new.settings (key, value) VALUES ('theme', '"dark"')`);
  const rows = async () =>
    (
      await db.query(
        `SELECT schema_name, version, checksum, applied_at, dirty, forced FROM migrate_tool.migrations
          WHERE schema_name IN ('company_new', 'company_late') ORDER BY 1, 2`,
      )
    ).rows;
  return { ...p, file, rows, recorded: await rows() };
}

const DROPPED = `DELETE FROM public.policy_rules`;
// The tenant table's `REFERENCES public.roles`, in each schema created after the backup.
const FKS = ['company_late.settings.settings_role_id_fkey', 'company_new.settings.settings_role_id_fkey'];
const foreignKeys = (db: TestDatabase) =>
  db.query(
    `SELECT conrelid::regclass::text AS tbl, pg_get_constraintdef(oid) AS def, convalidated FROM pg_constraint
      WHERE contype = 'f' AND connamespace::regnamespace::text LIKE 'company%' ORDER BY 1`,
  );

describe.skipIf(Boolean(skip))(notRun('restore keeps the schemas created after the backup', skip), () => {
  test('names them, keeps their data and recorded state; up, status --exit-code and a later tenant migration are clean for them', async ({
    db,
    dir,
  }) => {
    const p = await grownAfterBackup(dir, db);
    expect(p.recorded).toHaveLength(2);
    const newData = await snapshot(db);
    const keys = (await foreignKeys(db)).rows;
    await db.query(DROPPED);

    const r = await cli(p.env, 'restore', p.file, '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.kept).toEqual({ schemas: ['company_late', 'company_new'], rows: 2, foreignKeys: FKS });
    expect(r.stderr).toContain(
      'kept 2 schemas not in the backup, with their data and recorded state: company_late, company_new',
    );
    expect(r.stderr).not.toContain('drop them before the next `up`');

    // Their rows, exactly as they were (time, checksum, flags); public's rows deleted after the backup are back.
    expect(await p.rows()).toEqual(p.recorded);
    expect((await snapshot(db))['company_new.settings']).toBe(newData['company_new.settings']);
    expect((await db.query('SELECT count(*)::int AS n FROM public.policy_rules')).rows[0].n).toBeGreaterThan(0);
    // Their foreign keys into the restored public.roles are there again, as they were, and checked.
    expect((await foreignKeys(db)).rows).toEqual(keys);
    expect(keys).toHaveLength(3);

    // The next steps: up has nothing to do, status is clean, version's tenants line has nothing behind.
    expect((await ok(p.env, 'up')).stdout.trim()).toBe('no change');
    await ok(p.env, 'status', '--exit-code');
    const version = JSON.parse((await ok(p.env, 'version', '--json')).stdout);
    expect(version.tenants).toMatchObject({ count: 3, behind: [], dirty: [] });

    // A tenant migration written after the restore reaches every schema, the kept ones too.
    await writeFile(join(p.migrations, 'tenant', '20250101000200_notes.up.sql'), 'CREATE TABLE notes (id int);\n');
    await writeFile(join(p.migrations, 'tenant', '20250101000200_notes.down.sql'), 'DROP TABLE notes;\n');
    await rewriteSum(p.migrations);
    const up = await ok(p.env, 'up', '--json');
    const applied = (JSON.parse(up.stdout).applied as Array<{ schema: string }>).map((a) => a.schema).sort();
    expect(applied).toEqual(['company_a', 'company_late', 'company_new']);
    await ok(p.env, 'status', '--exit-code');
  });

  test('the counts the summary reads agree with the rows after the write-back', async ({ db, dir }) => {
    const p = await grownAfterBackup(dir, db);
    await ok(p.env, 'restore', p.file);
    const counts = await db.query(
      `SELECT c.schema_name, c.versions, c.latest FROM migrate_tool.schema_counts c ORDER BY 1`,
    );
    const fromRows = await db.query(
      `SELECT schema_name, count(*)::int AS versions, max(version) AS latest FROM migrate_tool.migrations GROUP BY 1 ORDER BY 1`,
    );
    expect(counts.rows).toEqual(fromRows.rows);
  });

  test('through the SQL script (a pg_restore newer than the server) the kept state commits with the restore', async ({
    db,
    dir,
  }) => {
    const p = await grownAfterBackup(dir, db);
    const w = await pgRestore17(dir);
    const r = await cli({ ...p.env, PATH: `${w.bin}:${process.env.PATH}` }, 'restore', p.file, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      method: 'script',
      kept: { schemas: ['company_late', 'company_new'], rows: 2, foreignKeys: FKS },
    });
    expect(await p.rows()).toEqual(p.recorded);
    await ok(p.env, 'status', '--exit-code');
  });

  test("a restore that fails keeps everything as it was, the kept schemas' state included", async ({ db, dir }) => {
    const p = await grownAfterBackup(dir, db);
    await db.query(DROPPED);
    const before = await snapshot(db);
    const w = await pgRestore17(dir, { script: '$i SELECT 1/0;' });
    const r = await cli({ ...p.env, PATH: `${w.bin}:${process.env.PATH}` }, 'restore', p.file);
    expect(r.code).toBe(1);
    expect(await snapshot(db)).toEqual(before);
    expect(await p.rows()).toEqual(p.recorded);
  });

  test('a kept row that references a row the backup lacks fails the restore, whole, naming the key', async ({
    db,
    dir,
  }) => {
    const p = await grownAfterBackup(dir, db);
    await db.query(`INSERT INTO public.roles (name) VALUES ('after_backup');
      INSERT INTO company_new.settings (key, value, role_id) SELECT 'role', '1', id FROM public.roles WHERE name = 'after_backup'`);
    const before = await snapshot(db);
    const r = await cli(p.env, 'restore', p.file);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('violates foreign key constraint "settings_role_id_fkey"');
    expect(r.stderr).toContain('the database is as it was (one transaction)');
    expect(r.stderr).toMatch(/fix: .*company_new/);
    expect(await snapshot(db)).toEqual(before);
    expect(await p.rows()).toEqual(p.recorded);
  });

  test('--dry-run names the schemas a restore would keep, and changes nothing', async ({ db, dir }) => {
    const p = await grownAfterBackup(dir, db);
    await db.query(DROPPED);
    const before = await snapshot(db);
    const r = await ok(p.env, 'restore', p.file, '--dry-run');
    expect(r.stdout).toContain(
      'would keep 2 schemas not in the backup, with their data and recorded state: company_late, company_new',
    );
    expect(await snapshot(db)).toEqual(before);
  });
});

describe.skipIf(Boolean(skip))(notRun('restore over objects newer than the backup', skip), () => {
  test('a table added after the backup to a schema the backup holds fails the restore, whole, saying what to do', async ({
    db,
    dir,
  }) => {
    const p = await grownAfterBackup(dir, db);
    await db.query('CREATE TABLE company_a.added_later (id int)');
    const before = await snapshot(db);
    const r = await cli(p.env, 'restore', p.file);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot drop schema company_a because other objects depend on it');
    expect(r.stderr).toContain('fix: objects created after the backup depend on what it recreates');
    expect(r.stderr).toContain('undo the migrations made after the backup with `migrate-tool down` first');
    expect(await snapshot(db)).toEqual(before);
  });
});
