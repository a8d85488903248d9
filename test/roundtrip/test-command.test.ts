// `test` end to end: the sample passes, generated downs pass, and a broken down is caught and named.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { collect, envFor, ROOT, spawnCli } from '../support/cli';
import { withAdmin } from '../support/db';
import { writeMigrations } from '../support/migrations';
import { describe, expect, test } from '../support/fixtures';
import { cliWithLateServer } from '../support/late-server';
import { addToModel, cli, sampleMigrations, schemaCopy } from '../diff/support';

describe('test', () => {
  test('passes on the sample migrations, step by step and whole, in two tenant schemas', async ({ db, dir }) => {
    await sampleMigrations(dir);
    const r = await cli(['test'], { url: db.url, dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('ok    20251210215900_init_tenant: up, down: back to the schema before it');
    expect(r.stdout).toContain('ok    down all: every schema back to the empty start');
    expect(r.stdout).toContain('ok    up all again: same schema as the first up all');
    expect(r.stdout).toContain('Round trip passed: 3 migrations, in public and 2 tenant schemas');
    // It works in its own scratch database: the target is left as it was.
    const { rows } = await db.query(
      `SELECT count(*)::int AS n FROM pg_namespace WHERE nspname LIKE 'company%' OR nspname = 'migrate_tool'`,
    );
    expect(rows[0].n).toBe(0);
  });

  test('the down files that diff generates pass', async ({ db, dir }) => {
    await sampleMigrations(dir);
    const schema = await schemaCopy(dir, (t) =>
      addToModel(addToModel(t, 'Employee', '  bio String?\n  @@index([name])'), 'Role', '  level Int @default(0)'),
    );
    const d = await cli(['diff', 'more_fields'], { url: db.url, dir, schema });
    expect(d.code, d.stderr).toBe(0);
    const r = await cli(['test', '--json'], { url: db.url, dir });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({
      ok: true,
      migrations: 5,
      schemas: ['public', 'company_roundtrip_a', 'company_roundtrip_b'],
    });
  });

  test('a down that does not undo its up fails, naming the migration, its file and the difference', async ({
    db,
    dir,
  }) => {
    const migrations = await sampleMigrations(dir);
    const downFile = join(migrations, 'tenant/20251210215900_init_tenant.down.sql');
    const text = await readFile(downFile, 'utf8');
    await writeFile(downFile, text.replace('DROP TABLE "services";', ''));
    expect((await cli(['hash'], { url: db.url, dir })).code).toBe(0);
    const r = await cli(['test'], { url: db.url, dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAILED: 20251210215900_init_tenant: its down does not undo its up');
    expect(r.stdout).toContain('file: migrations/tenant/20251210215900_init_tenant.down.sql');
    expect(r.stdout).toContain(
      'company_roundtrip_a, company_roundtrip_b: + table services (should not be there; 4 columns, 1 constraint, 1 index)',
    );
    // Steps after the first bad one are not run.
    expect(r.stdout).not.toContain('20251210220000_appointments_starts_at_index');
  });

  test('a down that changes something else than it should is shown as a changed object', async ({ db, dir }) => {
    await writeMigrations(dir, {
      '20250101000000_init.up.sql': 'CREATE TABLE companies (id serial PRIMARY KEY, name text);',
      '20250101000000_init.down.sql': 'DROP TABLE companies;',
      '20250101000100_name_required.up.sql': 'ALTER TABLE companies ALTER COLUMN name SET NOT NULL;',
      '20250101000100_name_required.down.sql': "ALTER TABLE companies ALTER COLUMN name SET DEFAULT 'x';",
    });
    const r = await cli(['test', '--json'], { url: db.url, dir });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.failure).toMatchObject({
      check: 'down',
      migration: { version: '20250101000100', name: 'name_required' },
    });
    expect(report.failure.differences).toEqual([
      { schema: 'public', key: 'column companies.name', expected: 'text', actual: "text not null default 'x'::text" },
    ]);
  });

  test('a migration without a down file fails and is named', async ({ db, dir }) => {
    await writeMigrations(dir, { '20250101000000_init.up.sql': 'CREATE TABLE companies (id int);' });
    const r = await cli(['test'], { url: db.url, dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('20250101000000_init.up.sql has no .down.sql');
  });

  test('--from V round-trips only the migrations after V, building up to V once without down files', async ({
    db,
    dir,
  }) => {
    // A history brought in from Prisma Migrate: no down files; then one migration made here.
    await writeMigrations(dir, {
      '20240101000000_init.up.sql': 'CREATE TABLE companies (id serial PRIMARY KEY, name text NOT NULL);',
      'tenant/20240102000000_employees.up.sql':
        'CREATE TABLE employees (id serial PRIMARY KEY, company_id int NOT NULL REFERENCES public.companies (id));',
      'tenant/20250101000000_employee_email.up.sql': 'ALTER TABLE employees ADD COLUMN email text;',
      'tenant/20250101000000_employee_email.down.sql': 'ALTER TABLE employees DROP COLUMN email;',
    });
    const all = await cli(['test'], { url: db.url, dir });
    expect(all.code).toBe(1);
    expect(all.stdout).toContain('20240101000000_init.up.sql has no .down.sql');

    const r = await cli(['test', '--from', '20240102000000'], { url: db.url, dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('ok    20250101000000_employee_email: up, down: back to the schema before it');
    expect(r.stdout).not.toContain('20240102000000_employees:');
    expect(r.stdout).toContain(
      'Round trip passed: 1 migration after the first 2 (applied once), in public and 2 tenant schemas',
    );
    const json = await cli(['-action=test', '-from=20240102000000', '--json'], { url: db.url, dir });
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, migrations: 1, base: 2 });
  });

  test('--from with a version the folder lacks exits 2 and says what to give', async ({ db, dir }) => {
    await writeMigrations(dir, { '20250101000000_init.up.sql': 'CREATE TABLE companies (id int);' });
    const r = await cli(['test', '--from', '20240101000000'], { url: db.url, dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('test --from 20240101000000: no migration has that version');
  });

  test('--from V still catches a down after V that does not undo its up', async ({ db, dir }) => {
    await writeMigrations(dir, {
      '20240101000000_init.up.sql': 'CREATE TABLE companies (id int);',
      '20250101000000_more.up.sql': 'CREATE TABLE a (id int); CREATE TABLE b (id int);',
      '20250101000000_more.down.sql': 'DROP TABLE a;',
    });
    const r = await cli(['test', '--from', '20240101000000'], { url: db.url, dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAILED: 20250101000000_more: its down does not undo its up');
  });

  test('a down whose SQL fails is reported with the error', async ({ db, dir }) => {
    await writeMigrations(dir, {
      'tenant/20250101000000_init.up.sql': 'CREATE TABLE employees (id int);',
      'tenant/20250101000000_init.down.sql': 'DROP TABLE employes;',
    });
    const r = await cli(['test'], { url: db.url, dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /FAILED: 20250101000000_init: its down failed in schema company_roundtrip_[ab]: .*"employes" does not exist/,
    );
    expect(r.stdout).toContain('file: migrations/tenant/20250101000000_init.down.sql');
  });

  test.for([[[]], [['-SkipConfirmation']]] as Array<[string[]]>)(
    'scripts/test-migration.sh %j runs it',
    async ([extra], { db, dir }) => {
      await sampleMigrations(dir);
      const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        // The operations guide's own words: its script takes -SkipConfirmation.
        execFile(
          'sh',
          [join(ROOT, 'scripts/test-migration.sh'), ...extra, '--dir', join(dir, 'migrations')],
          { env: { PATH: process.env.PATH, ...envFor(db.url) } },
          (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
        );
      });
      expect(out.stderr).not.toContain('Unknown flag');
      expect(out.code).toBe(0);
      expect(out.stdout).toContain('Round trip passed: 3 migrations');
    },
  );

  test('Ctrl-C during down all says it was interrupted, not that a down is broken, and drops the scratch database', async ({
    db,
    dir,
  }) => {
    await writeMigrations(dir, {
      '20250101000000_a.up.sql': 'CREATE TABLE a (id int);',
      '20250101000000_a.down.sql': 'DROP TABLE a;',
      '20250101000100_b.up.sql': 'CREATE TABLE b (id int);',
      '20250101000100_b.down.sql': 'SELECT pg_sleep(1.5);\nDROP TABLE b;',
    });
    const child = spawnCli(['test'], { cwd: dir, env: { ...envFor(db.url), MIGRATIONS_DIR: join(dir, 'migrations') } });
    // The step-by-step checks are done once b's redo is reported: down all starts with b's slow down.
    child.stdout!.on('data', function watch(chunk: Buffer) {
      if (!chunk.toString().includes('20250101000100_b: up again')) return;
      child.stdout!.off('data', watch);
      setTimeout(() => child.kill('SIGINT'), 300);
    });
    const r = await collect(child, { timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: Interrupted: the scratch database was dropped');
    expect(r.stdout).not.toContain('FAILED');
    const left = await withAdmin(
      async (c) =>
        (
          await c.query(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [
            `migrate\\_tool\\_scratch\\_${child.pid}\\_%`,
          ])
        ).rows,
    );
    expect(left).toEqual([]);
  });

  test('--wait retries until the server accepts, before the scratch database is created', async ({ db, dir }) => {
    await sampleMigrations(dir);
    const r = await cliWithLateServer(['test', '--wait=20'], {
      url: db.url,
      dir,
      env: { MIGRATIONS_DIR: join(dir, 'migrations') },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Waiting for the database: Connection refused');
    expect(r.stdout).toContain('Round trip passed: 3 migrations');
  });
});
