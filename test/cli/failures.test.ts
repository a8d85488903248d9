// How runs fail: all-or-nothing migrations, tenant isolation, dirty state and its recovery,
// refused folders, and prod confirmations.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from '../support/fixtures';
import { envFor, runCli } from '../support/cli';
import { BASIC, createTenants, writeMigrations, type Files } from '../support/migrations';
import type { TestDatabase } from '../support/db';

async function setup(db: TestDatabase, dir: string, files: Files, tenants = ['company_a', 'company_b', 'company_c']) {
  const root = await writeMigrations(dir, files);
  await createTenants(db, ...tenants);
  return { ...envFor(db.url), MIGRATIONS_DIR: root };
}

async function tableExists(db: TestDatabase, schema: string, table: string): Promise<boolean> {
  const r = await db.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [`"${schema}"."${table}"`]);
  return r.rows[0]!.t !== null;
}

async function appliedVersions(db: TestDatabase, schema: string): Promise<string[]> {
  const r = await db.query<{ version: string }>(
    'SELECT version FROM migrate_tool.migrations WHERE schema_name = $1 ORDER BY version',
    [schema],
  );
  return r.rows.map((x) => x.version);
}

const BAD_TENANT: Files = {
  ...BASIC,
  'tenant/20250101000300_bad.up.sql':
    'CREATE TABLE audit (id int);\n\nCREATE VIEW employee_names AS\n  SELECT name, nickname FROM employees;\n',
  'tenant/20250101000300_bad.down.sql': 'DROP TABLE audit;',
};

describe('a failing migration', () => {
  test('rolls back a failing transactional migration, leaving the schema untouched, and names file, line and statement', async ({
    db,
    dir,
  }) => {
    const env = await setup(db, dir, BAD_TENANT);
    const r = await runCli(['up'], { env });
    expect(r.code).toBe(1);
    // The server points into line 4 of the file; the statement began on line 3.
    expect(r.stdout).toContain('tenant/20250101000300_bad.up.sql:4: column "nickname" does not exist');
    expect(r.stdout).toContain('(in: CREATE VIEW employee_names AS SELECT name, nickname FROM employees)');
    for (const s of ['company_a', 'company_b', 'company_c']) {
      expect(await tableExists(db, s, 'audit')).toBe(false); // the statement before the failure was rolled back too
      expect(await appliedVersions(db, s)).toEqual(['20250101000100', '20250101000200']);
    }
  });

  test('a failing global migration stops the run before any later migration', async ({ db, dir }) => {
    const env = await setup(db, dir, {
      '20250101000000_init.up.sql': 'CREATE TABLE companies (id int);\nSELECT 1/0;',
      'tenant/20250101000100_employees.up.sql': 'CREATE TABLE employees (id int);',
    });
    const r = await runCli(['up', '--json'], { env });
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.applied).toEqual([]);
    expect(out.failed).toEqual([
      expect.objectContaining({
        schema: 'public',
        version: '20250101000000',
        line: 2,
        file: '20250101000000_init.up.sql',
      }),
    ]);
    expect(out.skipped).toHaveLength(3);
    expect(await tableExists(db, 'public', 'companies')).toBe(false);
    expect(await tableExists(db, 'company_a', 'employees')).toBe(false);
  });

  test('a failing tenant does not stop the others; a re-run retries exactly what is missing', async ({ db, dir }) => {
    const env = await setup(db, dir, BASIC);
    await db.query('CREATE TABLE company_b.employees (legacy int)'); // company_b already has a conflicting table
    const r = await runCli(['up', '--json'], { env });
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.failed).toEqual([expect.objectContaining({ schema: 'company_b', version: '20250101000100' })]);
    expect(out.skipped).toEqual([
      { schema: 'company_b', version: '20250101000200', reason: 'version 20250101000100 failed in this schema' },
    ]);
    expect(await appliedVersions(db, 'company_a')).toEqual(['20250101000100', '20250101000200']);
    expect(await appliedVersions(db, 'company_c')).toEqual(['20250101000100', '20250101000200']);

    await db.query('DROP TABLE company_b.employees');
    const again = await runCli(['up', '--json'], { env });
    expect(again.code).toBe(0);
    const applied = JSON.parse(again.stdout).applied.map(
      (a: { schema: string; version: string }) => `${a.schema}@${a.version}`,
    );
    expect(applied).toEqual(['company_b@20250101000100', 'company_b@20250101000200']);
  });

  test('--fail-fast starts no new tenant schema after the first failure', async ({ db, dir }) => {
    const env = await setup(db, dir, BASIC);
    await db.query('CREATE TABLE company_a.employees (legacy int)');
    const r = await runCli(['up', '--json', '--fail-fast', '--concurrency', '1'], { env });
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.failed.map((f: { schema: string }) => f.schema)).toEqual(['company_a']);
    expect(
      out.skipped.filter((s: { reason: string }) => s.reason === 'fail-fast').map((s: { schema: string }) => s.schema),
    ).toEqual(['company_b', 'company_b', 'company_c', 'company_c']);
    expect(await appliedVersions(db, 'company_b')).toEqual([]);
  });
});

describe('a failing no-transaction migration', () => {
  const FILES: Files = {
    ...BASIC,
    'tenant/20250101000300_email_index.up.sql':
      '-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY employees_email_idx ON employees (email);\n',
    'tenant/20250101000300_email_index.down.sql':
      '-- migrate:no-transaction\nDROP INDEX CONCURRENTLY employees_email_idx;\n',
  };

  test('builds the index outside a transaction when it succeeds', async ({ db, dir }) => {
    const env = await setup(db, dir, FILES);
    expect((await runCli(['up'], { env })).code).toBe(0);
    for (const s of ['company_a', 'company_b', 'company_c'])
      expect(await tableExists(db, s, 'employees_email_idx')).toBe(true);
    expect((await runCli(['down'], { env })).code).toBe(0);
    expect(await tableExists(db, 'company_a', 'employees_email_idx')).toBe(false);
  });

  test('marks the schema dirty; up refuses it until force recovers it', async ({ db, dir }) => {
    const env = await setup(db, dir, FILES);
    expect((await runCli(['up', '2'], { env })).code).toBe(0);
    await db.query('CREATE TABLE company_b.employees_email_idx (x int)'); // the index name is taken in company_b
    const failed = await runCli(['up'], { env });
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('company_b at 20250101000300: tenant/20250101000300_email_index.up.sql:2:');

    const v = await runCli(['version', '--json'], { env });
    expect(JSON.parse(v.stdout)).toMatchObject({ dirty: true, tenants: { dirty: ['company_b'] } });
    expect((await runCli(['version'], { env })).stdout).toContain('dirty: true');

    const refused = await runCli(['up'], { env });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('Schema company_b is dirty at version 20250101000300');
    expect(refused.stdout).toContain('then run `migrate-tool force <version> --tenant company_b`');
    expect(refused.stdout).not.toContain('Migrating to');

    // The operator decides the index is not needed there after all: mark it done in company_b only.
    const forced = await runCli(['force', '20250101000300', '--tenant', 'company_b'], { env });
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('Forced version 20250101000300 in 1 schema');
    const after = await runCli(['up'], { env });
    expect(after.code).toBe(0);
    expect(after.stdout.trim()).toBe('no change');
    expect(JSON.parse((await runCli(['version', '--json'], { env })).stdout)).toMatchObject({
      dirty: false,
      tenants: { dirty: [], behind: [] },
    });
  });
});

describe('refused folders', () => {
  test('refuses an applied migration whose file changed since it ran, naming it', async ({ db, dir }) => {
    const env = await setup(db, dir, BASIC);
    expect((await runCli(['up'], { env })).code).toBe(0);
    await writeFile(
      join(env.MIGRATIONS_DIR, 'tenant/20250101000100_employees.up.sql'),
      'CREATE TABLE employees (id bigint);',
    );
    await runCli(['hash'], { env });
    await writeMigrations(dir, { '20250101000300_next.up.sql': 'CREATE TABLE next (id int);' });
    const r = await runCli(['up'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'Applied migration changed since it ran: tenant/20250101000100_employees.up.sql (applied in company_a and 2 more)',
    );
    expect(await tableExists(db, 'public', 'next')).toBe(false);
  });

  test('refuses a folder that disagrees with migrate.sum, as when two branches both added migrations', async ({
    db,
    dir,
  }) => {
    const env = await setup(db, dir, BASIC);
    await writeMigrations(dir, { '20250101000300_branch_a.up.sql': 'CREATE TABLE a (id int);' });
    await writeFile(join(env.MIGRATIONS_DIR, '20250101000301_branch_b.up.sql'), 'CREATE TABLE b (id int);');
    const r = await runCli(['up'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('20250101000301_branch_b.up.sql is not in migrate.sum');
    expect(await tableExists(db, 'public', 'companies')).toBe(false);
  });

  test('down over a migration without a .down.sql stops before touching anything and names it', async ({ db, dir }) => {
    const env = await setup(db, dir, { ...BASIC, 'tenant/20250101000300_no_down.up.sql': 'CREATE TABLE x (id int);' });
    expect((await runCli(['up'], { env })).code).toBe(0);
    const r = await runCli(['down', '2'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('tenant/20250101000300_no_down.down.sql does not exist');
    expect(await tableExists(db, 'company_a', 'x')).toBe(true);
    expect(await appliedVersions(db, 'company_a')).toHaveLength(3);
  });
});

describe('dry run and prod', () => {
  test('--dry-run prints the plan and the SQL per scope and changes nothing', async ({ db, dir }) => {
    const env = await setup(db, dir, BASIC);
    const r = await runCli(['up', '--dry-run'], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('20250101000100 employees (tenant) in company_a, company_b, company_c');
    expect(r.stdout).toContain(
      '-- tenant/20250101000100_employees.up.sql in company_a, company_b, company_c (search_path set to each)',
    );
    expect(r.stdout).toContain('CREATE TABLE employees (id serial PRIMARY KEY, name text NOT NULL);');
    const state = await db.query(`SELECT to_regnamespace('migrate_tool') AS s`);
    expect(state.rows[0].s).toBeNull();
    expect(await tableExists(db, 'public', 'companies')).toBe(false);
  });

  test('in prod, down and force refuse to run without a terminal or --yes', async ({ db, dir }) => {
    const env = await setup(db, dir, BASIC);
    await runCli(['up'], { env });
    for (const args of [
      ['down'],
      ['force', '20250101000000', '--all', '--forget-applied'],
      ['-action=down', '-env=prod'],
    ]) {
      const r = await runCli(args.includes('-env=prod') ? args : [...args, '--env', 'prod'], { env });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('in prod without confirmation; nothing was changed');
    }
    expect(await appliedVersions(db, 'company_a')).toHaveLength(2);
    // A dry run needs no confirmation because it changes nothing, force included.
    const dry = await runCli(['force', '0', '--all', '--forget-applied', '--dry-run', '--env', 'prod'], { env });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('Dry run: would force version none in 4 schemas');
    expect(await appliedVersions(db, 'company_a')).toHaveLength(2);
    expect(await appliedVersions(db, 'public')).toHaveLength(1);
    const yes = await runCli(['down', '--yes'], { env: { ...env, APP_ENV: 'prod' } });
    expect(yes.code).toBe(0);
    expect(yes.stderr).toContain('(env: prod)');
    expect(await appliedVersions(db, 'company_a')).toHaveLength(1);
  });
});

describe('many tenant schemas failing', () => {
  const tenants = Array.from({ length: 30 }, (_, i) => `company_${String(i + 1).padStart(2, '0')}`);
  const DUPLICATE: Files = {
    'tenant/20250101000100_items.up.sql':
      'CREATE TABLE items (id int PRIMARY KEY);\nINSERT INTO items VALUES (1), (1);\n',
  };

  test('the same error in 30 schemas is printed once, with its DETAIL and count; the odd one out apart; the summary last', async ({
    db,
    dir,
  }) => {
    const env = await setup(db, dir, DUPLICATE, [...tenants].reverse().concat('company_odd'));
    await db.query('CREATE TABLE company_odd.items (legacy int)');
    const r = await runCli(['up'], { env });
    expect(r.code).toBe(1);
    const out = r.stdout;
    const message = 'duplicate key value violates unique constraint "items_pkey"';
    expect(out.split(message)).toHaveLength(2); // once, not 30 times (nor 60)
    expect(r.stderr).not.toContain(message); // nor live on stderr
    expect(out).toContain(
      `same error in 30 schemas at 20250101000100: tenant/20250101000100_items.up.sql:2: ${message}`,
    );
    expect(out).toContain('  DETAIL: Key (id)=(1) already exists.');
    expect(out).toContain(
      '  first: company_01, company_02, company_03, company_04, company_05 (and 25 more; --json lists each)',
    );
    expect(out).toContain(
      'company_odd at 20250101000100: tenant/20250101000100_items.up.sql:1: relation "items" already exists',
    );
    expect(out.trimEnd().split('\n').at(-1)).toBe('Migration failed in 31 schemas');

    const json = await runCli(['up', '--json'], { env });
    expect(json.code).toBe(1);
    const failed = JSON.parse(json.stdout).failed;
    expect(failed).toHaveLength(31);
    expect(failed.map((f: { schema: string }) => f.schema)).toEqual([...tenants, 'company_odd']);
    expect(failed[0]).toMatchObject({
      schema: 'company_01',
      version: '20250101000100',
      error: expect.stringContaining(message),
      detail: 'Key (id)=(1) already exists.',
    });
    expect(failed[0].dirty).toBeUndefined();
  });

  test('a failed no-transaction migration says the schemas are now dirty and how to recover; HINT kept in text and --json', async ({
    db,
    dir,
  }) => {
    const env = await setup(db, dir, {
      'tenant/20250101000100_fn.up.sql': '-- migrate:no-transaction\nSELECT no_such_function(1);\n',
    });
    const r = await runCli(['up'], { env });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      'same error in 3 schemas at 20250101000100: tenant/20250101000100_fn.up.sql:2: function no_such_function(integer) does not exist',
    );
    expect(r.stdout).toContain(
      '  HINT: No function matches the given name and argument types. You might need to add explicit type casts.',
    );
    expect(r.stdout).toContain(
      '  each of these schemas is now dirty at 20250101000100: up refuses it until it is repaired; fix: check what it left in <schema>, ' +
        'repair it by hand, then run `migrate-tool force <version> --tenant <schema>`',
    );
    const v = await runCli(['version', '--json'], { env });
    expect(JSON.parse(v.stdout).tenants.dirty).toEqual(['company_a', 'company_b', 'company_c']);

    await runCli(['force', '0'], { env });
    const json = await runCli(['up', '--json'], { env });
    const failed = JSON.parse(json.stdout).failed;
    expect(failed).toEqual(
      ['company_a', 'company_b', 'company_c'].map((schema) =>
        expect.objectContaining({
          schema,
          version: '20250101000100',
          hint: 'No function matches the given name and argument types. You might need to add explicit type casts.',
          dirty: true,
        }),
      ),
    );
  });
});
