// Expand and contract: `-- migrate:contract` files wait for `up --contract`, which runs them only
// when every schema has every version before them. On a real server, through the CLI in process.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { loadMigrations } from '../../src/migrations/files';
import { migrateTenant } from '../../src/index';
import { envFor, ROOT, runCli } from '../support/cli';
import type { TestDatabase } from '../support/db';
import { describe, expect, test } from '../support/fixtures';
import { createTenants, writeMigrations, type Files } from '../support/migrations';

const schema = (name: string) => JSON.parse(readFileSync(join(ROOT, 'docs/schema', name), 'utf8')) as object;
const validUp = new Ajv({ allErrors: true, strict: true }).compile(schema('up.schema.json'));
const validStatus = new Ajv({ allErrors: true, strict: true }).compile(schema('status.schema.json'));

/** Release 1: a table with `name`. */
const RELEASE_1: Files = {
  '20250101000000_init.up.sql': 'CREATE TABLE companies (id serial PRIMARY KEY, name text NOT NULL);',
  'tenant/20250101000100_employees.up.sql': 'CREATE TABLE employees (id serial PRIMARY KEY, name text);',
};
const DROP_NAME = 'tenant/20250102000100_drop_name.up.sql';
/** Release 2: expand (full_name), contract (drop name), then a later expand (phone). */
const RELEASE_2: Files = {
  ...RELEASE_1,
  'tenant/20250102000000_add_full_name.up.sql': 'ALTER TABLE employees ADD COLUMN full_name text;',
  [DROP_NAME]: '-- the previous application reads name\n-- migrate:contract\nALTER TABLE employees DROP COLUMN name;',
  'tenant/20250102000200_add_phone.up.sql': 'ALTER TABLE employees ADD COLUMN phone text;',
};

async function columns(db: TestDatabase, schema: string): Promise<string> {
  const r = await db.query<{ c: string }>(
    `SELECT string_agg(column_name, ',' ORDER BY ordinal_position) AS c FROM information_schema.columns WHERE table_schema = '${schema}' AND table_name = 'employees'`,
  );
  return r.rows[0]!.c;
}

/** Release 1 applied in company_a and company_b, then release 2's files in the folder. */
async function released(db: TestDatabase, dir: string): Promise<Record<string, string>> {
  await createTenants(db, 'company_a', 'company_b');
  const env = { ...envFor(db.url), MIGRATIONS_DIR: await writeMigrations(dir, RELEASE_1) };
  expect((await runCli(['up'], { env })).code).toBe(0);
  await writeMigrations(dir, RELEASE_2);
  return env;
}

describe('-- migrate:contract', () => {
  test('up stops before a contract file (exit 0), says how many wait; a later file waits too', async ({ db, dir }) => {
    const env = await released(db, dir);
    const r = await runCli(['up'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      `1 contract file(s) wait: run \`migrate-tool up --contract\` once every instance runs the new application (${DROP_NAME})`,
    );
    expect(r.stdout).toContain('Migration complete!');
    expect(await columns(db, 'company_a')).toBe('id,name,full_name');

    const again = await runCli(['up', '--json'], { env });
    expect(again.code).toBe(0);
    const doc = JSON.parse(again.stdout) as Record<string, unknown>;
    expect(validUp(doc), JSON.stringify(validUp.errors)).toBe(true);
    expect(doc.applied).toEqual([]);
    expect(doc.contractsWaiting).toEqual([
      { version: '20250102000100', name: 'drop_name', file: DROP_NAME, scope: 'tenant' },
    ]);
  });

  test('up --contract refuses while a tenant lags (naming it, running nothing), then runs once it caught up', async ({
    db,
    dir,
  }) => {
    const env = await released(db, dir);
    expect((await runCli(['up', '--tenant', 'company_a'], { env })).code).toBe(0);

    const refused = await runCli(['up', '--contract'], { env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `Contract file ${DROP_NAME} not run: 1 schema lacks a version before it (company_b); nothing was run`,
    );
    expect(refused.stderr).toContain('migrate-tool up --contract` again');
    expect(await columns(db, 'company_a')).toBe('id,name,full_name');
    expect(await columns(db, 'company_b')).toBe('id,name');

    expect((await runCli(['up'], { env })).code).toBe(0);
    const ran = await runCli(['up', '--contract'], { env });
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).not.toContain('contract file(s) wait');
    for (const s of ['company_a', 'company_b']) expect(await columns(db, s)).toBe('id,full_name,phone');
  });

  test('a dirty tenant lags too', async ({ db, dir }) => {
    const env = await released(db, dir);
    expect((await runCli(['up'], { env })).code).toBe(0);
    await db.query(
      `UPDATE migrate_tool.migrations SET dirty = true WHERE schema_name = 'company_b' AND version = '20250102000000'`,
    );
    const refused = await runCli(['up', '--contract'], { env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('(company_b); nothing was run');
    expect(await columns(db, 'company_a')).toBe('id,name,full_name');
  });

  test('status shows which contract files wait and how many schemas are ready for them', async ({ db, dir }) => {
    const env = await released(db, dir);
    expect((await runCli(['up', '--tenant', 'company_a'], { env })).code).toBe(0);
    const text = await runCli(['status'], { env });
    expect(text.stdout).toContain(
      `Contract ${DROP_NAME} waits: 2/3 schemas have every version before it; then \`migrate-tool up --contract\``,
    );
    const json = await runCli(['status', '--json'], { env });
    const doc = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(validStatus(doc), JSON.stringify(validStatus.errors)).toBe(true);
    expect(doc.contracts).toEqual([
      { version: '20250102000100', name: 'drop_name', file: DROP_NAME, scope: 'tenant', ready: 2, schemas: 3 },
    ]);
  });

  test('a tenant created before the contract ran waits with the others; one created after gets the whole chain (up and migrateTenant)', async ({
    db,
    dir,
  }) => {
    const env = await released(db, dir);
    expect((await runCli(['up'], { env })).code).toBe(0);
    // Before the contract ran, a schema created by the application waits as the others do.
    await createTenants(db, 'company_early');
    const early = await migrateTenant({ connection: db.url, migrationsDir: env.MIGRATIONS_DIR! }, 'company_early');
    expect(early.plan.contractsWaiting?.map((c) => c.file)).toEqual([DROP_NAME]);
    expect(await columns(db, 'company_early')).toBe('id,name,full_name');

    expect((await runCli(['up', '--contract'], { env })).code).toBe(0);
    await createTenants(db, 'company_c', 'company_d');
    const r = await runCli(['up'], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('wait');
    expect(await columns(db, 'company_c')).toBe('id,full_name,phone');
    await migrateTenant({ connection: db.url, migrationsDir: env.MIGRATIONS_DIR! }, 'company_d');
    expect(await columns(db, 'company_d')).toBe('id,full_name,phone');
    expect((await runCli(['status'], { env })).stdout).not.toContain('waits');
  });

  test('a database never migrated runs the whole chain (no previous application uses it); the next contract file waits', async ({
    db,
    dir,
  }) => {
    await createTenants(db, 'company_a');
    const env = { ...envFor(db.url), MIGRATIONS_DIR: await writeMigrations(dir, RELEASE_2) };
    const r = await runCli(['up'], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('wait');
    expect(await columns(db, 'company_a')).toBe('id,full_name,phone');

    await writeMigrations(dir, {
      ...RELEASE_2,
      'tenant/20250103000000_drop_phone.up.sql': '-- migrate:contract\nALTER TABLE employees DROP COLUMN phone;',
    });
    const next = await runCli(['up'], { env });
    expect(next.stdout).toContain('1 contract file(s) wait');
    expect(await columns(db, 'company_a')).toBe('id,full_name,phone');
  });

  test('the marker after SQL is refused, as -- migrate:no-transaction is', async ({ dir }) => {
    const root = await writeMigrations(
      dir,
      { 'tenant/20250101000100_x.up.sql': 'SELECT 1;\n-- migrate:contract\n' },
      { sum: false },
    );
    await expect(loadMigrations(root)).rejects.toThrow(
      'tenant/20250101000100_x.up.sql:2: -- migrate:contract after SQL is not read',
    );
  });
});
