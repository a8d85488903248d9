// `diff --baseline` end to end: the real CLI, pg_dump and a real PostgreSQL. A history of global
// and tenant migrations (a tenant enum, a check constraint, a trigger, a row) is collapsed; existing
// databases record the baseline without running it, new ones and new tenant schemas are built by it.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { takeSnapshot } from '../../src/db/catalog';
import { clientTool } from '../support/client-tools';
import { createDatabase, type TestDatabase } from '../support/db';
import { createTenants, writeMigrations } from '../support/migrations';
import { describe, expect, test } from '../support/fixtures';
import { baselined, HISTORY, sqlFiles } from './baseline-support';
import { cli } from './support';

/** Every DDL command run in the database from now on lands in public.ddl_log. */
async function logDdl(db: TestDatabase): Promise<void> {
  await db.query(`CREATE TABLE public.ddl_log (tag text NOT NULL)`);
  await db.query(
    `CREATE FUNCTION public.log_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO public.ddl_log VALUES (tg_tag); END $$`,
  );
  await db.query(`CREATE EVENT TRIGGER log_ddl ON ddl_command_start EXECUTE FUNCTION public.log_ddl()`);
}

/** pg_dump of schema and rows, without migrate-tool's own state and pg_dump's per-run key. */
async function dump(url: string): Promise<string> {
  const stdout = await clientTool('pg_dump', url, ['--no-owner', '--inserts', '--exclude-schema=migrate_tool']);
  return stdout.replace(/^\\(un)?restrict .*$/gm, '');
}

describe('diff --baseline', () => {
  test('writes one global and one tenant baseline, tenant objects only in the tenant one, unqualified', async ({
    db,
    dir,
  }) => {
    const { migrations, global, tenant } = await baselined(db, dir);
    const globalUp = await readFile(join(migrations, global), 'utf8');
    const tenantUp = await readFile(join(migrations, tenant), 'utf8');
    for (const text of [globalUp, tenantUp])
      expect(text.split('\n').slice(0, 2).join('\n')).toContain(
        '-- migrate:baseline replaces 20250101000000..20250101000300',
      );
    expect(globalUp).toContain('CREATE TABLE public.companies');
    expect(globalUp).toContain("CHECK ((name <> ''::text))");
    expect(globalUp).toContain("INSERT INTO public.companies VALUES (1, 'system', 'free');");
    expect(globalUp).not.toMatch(/role|employees|tenant\./);
    expect(tenantUp).toMatch(/^CREATE TYPE role AS ENUM/m);
    expect(tenantUp).toMatch(/^CREATE TABLE employees \(/m);
    expect(tenantUp).toContain('CREATE TRIGGER employees_touch');
    expect(tenantUp).toContain('REFERENCES public.companies(id)');
    expect(tenantUp).not.toMatch(/migrate_tool_baseline_tenant|"tenant"\.|tenant\.|CREATE SCHEMA/);
    const sum = await readFile(join(migrations, 'migrate.sum'), 'utf8');
    expect(sum).toContain(global);
    expect(sum).toContain(tenant);
  });

  test('an existing database records the baselines without running anything; a later tenant schema is built by it', async ({
    db,
    dir,
  }) => {
    const migrations = await writeMigrations(dir, HISTORY);
    await createTenants(db, 'company_a', 'company_b');
    expect((await cli(['up'], { url: db.url, dir })).code).toBe(0);
    const r = await cli(['diff', '--baseline', 'init'], { url: db.url, dir, migrations });
    expect(r.code, r.stderr).toBe(0);
    await logDdl(db);

    const up = await cli(['up'], { url: db.url, dir });
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(
      /Recording version \d{14} \(init\) in public, without running SQL: a baseline: the versions it replaces are applied there/,
    );
    expect(up.stdout).toMatch(/Recording version \d{14} \(init\) in 2 tenant schemas, without running SQL/);
    expect(up.stdout).not.toContain('Migrating to');
    expect((await db.query('SELECT tag FROM public.ddl_log')).rows).toEqual([]);
    expect((await db.query('SELECT count(*)::int AS n FROM public.companies')).rows[0].n).toBe(1);
    const status = await cli(['status', '--exit-code'], { url: db.url, dir });
    expect(status.code, status.stdout).toBe(0);
    expect((await cli(['up'], { url: db.url, dir })).stdout.trim()).toBe('no change');

    // A company created after the baseline: its schema gets the tenant baseline, and is up to date.
    await db.query('DROP EVENT TRIGGER log_ddl');
    await createTenants(db, 'company_c');
    const later = await cli(['up'], { url: db.url, dir });
    expect(later.code, later.stderr).toBe(0);
    expect(later.stdout).toMatch(/Migrating to version \d{14} \(init\) in 1 tenant schema\n/);
    expect(later.stdout).toMatch(
      /Recording version 20250101000100 \(employees\) in 1 tenant schema, without running SQL: built by baseline/,
    );
    const tenants = await cli(['tenants', '--json'], { url: db.url, dir });
    expect(JSON.parse(tenants.stdout).tenants).toContainEqual(
      expect.objectContaining({ schema: 'company_c', behind: 0, dirty: false }),
    );
    // The snapshot hashes a function's whole definition, schema name included: bodies are compared apart.
    const snapshot = await takeSnapshot({ query: (sql: string) => db.query(sql) });
    const objects = (schema: string) =>
      [...snapshot.get(schema)!].filter(([key]) => !key.startsWith('function ')).sort();
    expect(objects('company_c')).toEqual(objects('company_a'));
    const bodies = await db.query(
      `SELECT n.nspname, p.prosrc FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.proname = 'touch' ORDER BY 1`,
    );
    expect(bodies.rows.map((r) => r.nspname)).toEqual(['company_a', 'company_b', 'company_c']);
    expect(new Set(bodies.rows.map((r) => r.prosrc)).size).toBe(1);
  });

  test('an empty database built through the baselines has the catalog and rows of the whole history', async ({
    db,
    dir,
  }) => {
    const { migrations, global, tenant } = await baselined(db, dir);
    await createTenants(db, 'company_a');
    const up = await cli(['up'], { url: db.url, dir });
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).not.toMatch(/Migrating to version 2025/);
    const version = await cli(['version'], { url: db.url, dir });
    expect(version.stdout.split('\n')[0]).toBe(tenant.slice('tenant/'.length, 'tenant/'.length + 14));
    expect((await cli(['status', '--exit-code'], { url: db.url, dir })).code).toBe(0);

    // The same history without the baselines, applied to another database the usual way.
    const reference = await createDatabase();
    try {
      for (const up of [global, tenant])
        for (const f of [up, up.replace(/\.up\.sql$/, '.down.sql')]) await rm(join(migrations, f));
      expect((await cli(['hash'], { url: reference.url, dir })).code).toBe(0);
      await createTenants(reference, 'company_a');
      expect((await cli(['up'], { url: reference.url, dir })).code).toBe(0);
      expect(await dump(db.url)).toBe(await dump(reference.url));
    } finally {
      await reference.drop();
    }
  });

  test('a database behind by some replaced versions runs those, then records the baseline', async ({ db, dir }) => {
    await writeMigrations(dir, HISTORY);
    await createTenants(db, 'company_a');
    expect((await cli(['up', '3'], { url: db.url, dir })).code).toBe(0);
    expect((await cli(['diff', '--baseline', 'init'], { url: db.url, dir })).code).toBe(0);
    const up = await cli(['up'], { url: db.url, dir });
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toContain('Migrating to version 20250101000300 (plan) in public');
    expect(up.stdout).toMatch(/Recording version \d{14} \(init\) in public, without running SQL/);
    const { rows } = await db.query(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'companies' AND column_name = 'plan'`,
    );
    expect(rows).toHaveLength(1);
  });

  test("down removes a baseline's record only, and up records it again", async ({ db, dir }) => {
    await writeMigrations(dir, HISTORY);
    await createTenants(db, 'company_a');
    expect((await cli(['up'], { url: db.url, dir })).code).toBe(0);
    expect((await cli(['diff', '--baseline', 'init'], { url: db.url, dir })).code).toBe(0);
    expect((await cli(['up'], { url: db.url, dir })).code).toBe(0);
    const down = await cli(['down'], { url: db.url, dir });
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toMatch(
      /Removing the record of version \d{14} \(init\) in 1 tenant schema, without running SQL/,
    );
    const { rows } = await db.query(`SELECT to_regclass('company_a.employees') AS t`);
    expect(rows[0].t).not.toBeNull();
    const up = await cli(['up'], { url: db.url, dir });
    expect(up.stdout).toMatch(/Recording version \d{14} \(init\) in 1 tenant schema/);
  });

  test('up refuses, exit 2, a baseline whose replaced files were removed from the folder', async ({ db, dir }) => {
    const { migrations } = await baselined(db, dir);
    for (const f of Object.keys(HISTORY).filter((f) => f.startsWith('tenant/'))) await rm(join(migrations, f));
    expect((await cli(['hash'], { url: db.url, dir })).code).toBe(0);
    const up = await cli(['up'], { url: db.url, dir });
    expect(up.code).toBe(2);
    expect(up.stderr).toMatch(
      /tenant\/\d{14}_init\.up\.sql is a baseline of 20250101000000\.\.20250101000300, but no tenant migration of that range is in the folder/,
    );
    expect(up.stderr).toContain('keep the files a baseline replaces in the folder');
  });

  test('refuses, exit 2, an empty folder and a bad name, writing nothing', async ({ db, dir }) => {
    const migrations = await writeMigrations(dir, {});
    const empty = await cli(['diff', '--baseline', 'init'], { url: db.url, dir });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('has no migrations to collapse into a baseline');
    await writeMigrations(dir, HISTORY);
    const bad = await cli(['diff', '--baseline', 'Init Schema'], { url: db.url, dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Migration name "Init Schema" is not valid');
    expect(await sqlFiles(migrations)).toHaveLength(Object.keys(HISTORY).length);
  });
});
