// The everyday commands, end to end through the real CLI, in both invocation styles.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from '../support/fixtures';
import { envFor, runCli } from '../support/cli';
import { BASIC, createTenants, writeMigrations } from '../support/migrations';
import type { TestDatabase } from '../support/db';

async function setup(db: TestDatabase, dir: string) {
  const root = await writeMigrations(dir, BASIC);
  await createTenants(db, 'company_a', 'company_b', 'company_c');
  return { ...envFor(db.url), MIGRATIONS_DIR: root };
}

async function columns(db: TestDatabase, schema: string, table: string): Promise<string[]> {
  const r = await db.query<{ column_name: string }>(
    'SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position',
    [schema, table],
  );
  return r.rows.map((x) => x.column_name);
}

describe.each([
  ['command style', (cmd: string, arg?: string) => (arg ? [cmd, arg] : [cmd])],
  [
    'flag style',
    (cmd: string, arg?: string) => {
      const flag = { up: 'steps', down: 'steps', force: 'version', create: 'name' }[cmd];
      return arg ? [`-action=${cmd}`, `-${flag}=${arg}`] : [`-action=${cmd}`];
    },
  ],
])('%s', (_style, argv) => {
  test('up applies global migrations in public and tenant migrations in every tenant schema', async ({ db, dir }) => {
    const env = await setup(db, dir);
    const r = await runCli(argv('up'), { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`Target database: ${db.name} on`);
    expect(r.stdout).toContain('Migrating to version 20250101000000 (init) in public');
    expect(r.stdout).toContain('Migrating to version 20250101000100 (employees) in 3 tenant schemas');
    expect(r.stdout.trim().split('\n').at(-1)).toBe('Migration complete!');
    expect(await columns(db, 'public', 'companies')).toEqual(['id', 'name']);
    for (const s of ['company_a', 'company_b', 'company_c'])
      expect(await columns(db, s, 'employees')).toEqual(['id', 'name', 'email']);
    expect(await columns(db, 'public', 'employees')).toEqual([]);

    const again = await runCli(argv('up'), { env });
    expect(again.code).toBe(0);
    expect(again.stdout.trim()).toBe('no change');
  });

  test('up --tenant S migrates that tenant schema alone, after the pending global versions', async ({ db, dir }) => {
    const env = await setup(db, dir);
    const tenantFlag = _style === 'command style' ? ['--tenant', 'company_b'] : ['-tenant=company_b'];
    const r = await runCli([...argv('up'), ...tenantFlag], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Migrating to version 20250101000000 (init) in public');
    expect(r.stdout).toContain('Migrating to version 20250101000100 (employees) in 1 tenant schema');
    expect(await columns(db, 'company_b', 'employees')).toEqual(['id', 'name', 'email']);
    for (const s of ['company_a', 'company_c']) expect(await columns(db, s, 'employees')).toEqual([]);
    const t = await runCli(['tenants', '--json'], { env });
    const behind = Object.fromEntries(
      (JSON.parse(t.stdout).tenants as Array<{ schema: string; behind: number }>).map((x) => [x.schema, x.behind]),
    );
    expect(behind).toEqual({ company_a: 2, company_b: 0, company_c: 2 });
  });

  test('up N applies only the next N versions', async ({ db, dir }) => {
    const env = await setup(db, dir);
    const r = await runCli(argv('up', '2'), { env });
    expect(r.code).toBe(0);
    expect(await columns(db, 'company_a', 'employees')).toEqual(['id', 'name']);
    const v = await runCli(['version'], { env });
    expect(v.stdout.split('\n').slice(0, 2)).toEqual(['20250101000100', 'dirty: false']);
  });

  test('down rolls back the most recent version in every schema that has it', async ({ db, dir }) => {
    const env = await setup(db, dir);
    expect((await runCli(['up'], { env })).code).toBe(0);
    const r = await runCli(argv('down'), { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Rolling back version 20250101000200 (employee_email) in 3 tenant schemas');
    for (const s of ['company_a', 'company_b', 'company_c'])
      expect(await columns(db, s, 'employees')).toEqual(['id', 'name']);
    const two = await runCli(argv('down', '2'), { env });
    expect(two.code).toBe(0);
    expect(await columns(db, 'company_a', 'employees')).toEqual([]);
    expect(await columns(db, 'public', 'companies')).toEqual([]);
    expect((await runCli(['version'], { env })).stdout).toMatch(/^no migration\n/);
  });

  test('force records a version without running SQL and clears the dirty flag', async ({ db, dir }) => {
    const env = await setup(db, dir);
    const r = await runCli(argv('force', '20250101000100'), { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Forced version 20250101000100 in 4 schemas');
    expect(await columns(db, 'public', 'companies')).toEqual([]); // no SQL ran
    const status = JSON.parse((await runCli(['status', '--json'], { env })).stdout);
    expect(status.migrations.map((m: { applied: boolean }) => m.applied)).toEqual([true, true, false]);
  });

  test('create writes a pair with a fresh version and records it in migrate.sum', async ({ db, dir }) => {
    const env = await setup(db, dir);
    const r = await runCli([...argv('create', 'add_phone'), '--tenant'], { env, cwd: dir });
    expect(r.code).toBe(0);
    const files = await readdir(join(env.MIGRATIONS_DIR, 'tenant'));
    const created = files.filter((f) => f.includes('_add_phone.'));
    expect(created).toHaveLength(2);
    expect(r.stdout).toContain(`Created migrations/tenant/${created.find((f) => f.endsWith('.up.sql'))}`);
    expect(await readFile(join(env.MIGRATIONS_DIR, 'migrate.sum'), 'utf8')).toContain(`tenant/${created[0]}`);
  });

  test('create says that the edited files need hash, and after hash up runs them', async ({ db, dir }) => {
    const env = await setup(db, dir);
    const r = await runCli([...argv('create', 'add_phone'), '--tenant'], { env, cwd: dir });
    expect(r.stdout).toContain('Write the SQL, then run `migrate-tool hash` to record the edited files in migrate.sum');
    const up = (await readdir(join(env.MIGRATIONS_DIR, 'tenant'))).find((f) => f.endsWith('_add_phone.up.sql'))!;
    await writeFile(join(env.MIGRATIONS_DIR, 'tenant', up), 'ALTER TABLE employees ADD COLUMN phone text;\n', {
      flag: 'a',
    });
    expect((await runCli(['up'], { env })).code).toBe(2); // migrate.sum disagrees, as create warned
    expect((await runCli(['hash'], { env })).code).toBe(0);
    expect((await runCli(['up'], { env })).code).toBe(0);
    expect(await columns(db, 'company_a', 'employees')).toContain('phone');
  });
});

describe('version, status, tenants, hash', () => {
  test('version prints the guide\'s two lines then a tenants line, and "no migration" on a new database', async ({
    db,
    dir,
  }) => {
    const env = await setup(db, dir);
    const fresh = await runCli(['version'], { env });
    expect(fresh.code).toBe(0);
    expect(fresh.stdout.split('\n')[0]).toBe('no migration');
    await runCli(['up'], { env });
    const v = await runCli(['-action=version'], { env });
    expect(v.stdout.split('\n').slice(0, 3)).toEqual([
      '20250101000200',
      'dirty: false',
      'tenants: 3 matching company_%, 0 behind, 0 dirty',
    ]);
    const json = JSON.parse((await runCli(['version', '--json'], { env })).stdout);
    expect(json).toEqual({
      version: '20250101000200',
      dirty: false,
      tenants: { pattern: 'company_%', count: 3, behind: [], dirty: [] },
    });
  });

  test('status lists every migration with scope and tenants applied; --exit-code exits 3 while anything is pending', async ({
    db,
    dir,
  }) => {
    const env = await setup(db, dir);
    await runCli(['up', '2'], { env });
    const s = await runCli(['status', '--exit-code'], { env });
    expect(s.code).toBe(3);
    expect(s.stdout).toMatch(/20250101000100\s+employees\s+tenant\s+applied 3\/3 tenants/);
    expect(s.stdout).toMatch(/20250101000200\s+employee_email\s+tenant\s+pending \(0\/3 tenants\)/);
    const json = JSON.parse((await runCli(['status', '--json'], { env })).stdout);
    expect(json.migrations[1]).toMatchObject({
      version: '20250101000100',
      scope: 'tenant',
      applied: true,
      tenantsApplied: 3,
      tenantsTotal: 3,
    });
    expect(json.migrations[2]).toMatchObject({ applied: false, tenantsApplied: 0 });
    await runCli(['up'], { env });
    expect((await runCli(['status', '--exit-code'], { env })).code).toBe(0);
  });

  test('tenants lists each schema with its version and how far behind it is', async ({ db, dir }) => {
    const env = await setup(db, dir);
    await runCli(['up'], { env });
    await createTenants(db, 'company_d');
    const t = await runCli(['tenants', '--json'], { env });
    const list = JSON.parse(t.stdout).tenants;
    expect(list).toContainEqual({ schema: 'company_d', version: null, dirty: false, behind: 2 });
    expect(list).toContainEqual({ schema: 'company_a', version: '20250101000200', dirty: false, behind: 0 });
  });

  test('hash rewrites migrate.sum, after which up accepts the folder again', async ({ db, dir }) => {
    const env = await setup(db, dir);
    await writeMigrations(dir, { '20250101000300_more.up.sql': 'CREATE TABLE more (id int);' }, { sum: false });
    const refused = await runCli(['up'], { env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('20250101000300_more.up.sql is not in migrate.sum');
    expect((await runCli(['-action=hash'], { env, cwd: dir })).code).toBe(0);
    expect((await runCli(['up'], { env })).code).toBe(0);
  });
});
