// The operations guide's own layout, end to end: golang-migrate global migrations whose tenant
// changes are DO $$ ... FOR schema ... $$ loops (the guide's form, smart-migration's record loops,
// a loop that sets the search_path, a file that mixes a public statement with a loop), applied
// by psql over two companies; then import and adopt alone. A company created afterwards must get
// every tenant object, by `up` and by migrateTenant(), and tenant migrations created here must
// apply in every company.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from '../support/fixtures';
import { envFor, runCli } from '../support/cli';
import { createTenants, writeMigrations } from '../support/migrations';
import { psql, psqlFiles, writeFiles } from '../import/support';
import { migrateTenant } from '../../src/index';
import { takeSnapshot } from '../../src/db/catalog';
import { withClient } from '../../scripts/lib/pg-client';

/** The guide's loop: `schema_name` over pg_namespace, one EXECUTE format('... %I. ...') per statement. */
const LOOP = (...sql: string[]) => `DO $$
DECLARE schema_name text;
BEGIN
  FOR schema_name IN SELECT nspname FROM pg_namespace WHERE nspname LIKE 'company_%' LOOP
${sql.map((s) => `    EXECUTE format('${s}', schema_name);`).join('\n')}
    RAISE NOTICE 'migrated %', schema_name;
  END LOOP;
END $$;`;

/** smart-migration's generated form: a record over information_schema.schemata, strings joined with ||. */
const RECORD_LOOP = (table: string, rest: string) => `DO $$
DECLARE r RECORD;
BEGIN
  FOR r IN SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE 'company_%'
  LOOP
    EXECUTE 'ALTER TABLE ' || quote_ident(r.schema_name) || '.${table} ${rest}';
  END LOOP;
END
$$;`;

const SEARCH_PATH_LOOP = (sql: string) => `DO $do$
DECLARE s text;
BEGIN
  FOR s IN SELECT nspname FROM pg_namespace WHERE nspname LIKE 'company_%' ORDER BY nspname LOOP
    PERFORM set_config('search_path', quote_ident(s), true);
    EXECUTE $sql$${sql}$sql$;
  END LOOP;
END
$do$;`;

const GUIDE = {
  '000001_init_schema.up.sql': 'CREATE TABLE companies (id uuid PRIMARY KEY, name text NOT NULL);',
  '000001_init_schema.down.sql': 'DROP TABLE companies;',
  // `companies` unqualified: the loop ran with the default search_path, so it means public.companies.
  '000002_tenant_employees.up.sql': LOOP(
    "CREATE TABLE %I.employees (id serial PRIMARY KEY, company_id uuid REFERENCES companies(id), name text NOT NULL DEFAULT ''nobody'')",
    'CREATE INDEX employees_name_idx ON %I.employees (name)',
  ),
  '000002_tenant_employees.down.sql': LOOP('DROP TABLE %I.employees'),
  '000003_plans.up.sql': `ALTER TABLE companies ADD COLUMN plan text NOT NULL DEFAULT 'free';\n${LOOP('ALTER TABLE %I.employees ADD COLUMN role text')}`,
  '000003_plans.down.sql': `${LOOP('ALTER TABLE %I.employees DROP COLUMN role')}\nALTER TABLE companies DROP COLUMN plan;`,
  '000004_employee_email.up.sql': RECORD_LOOP('employees', 'ADD COLUMN email text UNIQUE'),
  '000005_projects.up.sql': SEARCH_PATH_LOOP(
    "CREATE TABLE projects (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, lead int REFERENCES employees(id), title text CHECK (title <> ''))",
  ),
};

test('after import and adopt alone, a company created later gets every tenant object, by up and by migrateTenant(), and new tenant migrations apply everywhere', async ({
  db,
  dir,
}) => {
  const src = await writeFiles(join(dir, 'migrate', 'migrations'), GUIDE);
  await createTenants(db, 'company_a', 'company_b');
  const ups = Object.keys(GUIDE).filter((f) => f.endsWith('.up.sql'));
  await psqlFiles(
    db.url,
    ups.map((f) => join(src, f)),
  );
  await psql(
    db.url,
    'CREATE TABLE schema_migrations (version bigint not null primary key, dirty boolean not null); INSERT INTO schema_migrations VALUES (5, false)',
  );

  const root = join(dir, 'migrations');
  const env = { ...envFor(db.url), MIGRATIONS_DIR: root };
  const imported = await runCli(['import', 'golang-migrate', src], { cwd: dir, env });
  expect(imported.code, imported.stderr).toBe(0);
  expect(imported.stdout).toMatch(
    /000002_tenant_employees\.up\.sql -> tenant\/00000000000002_tenant_employees\.up\.sql \(the loop over the tenant schemas at line 1 converted/,
  );
  expect(imported.stdout).toContain('000003_plans.up.sql -> 00000000000003_plans.up.sql (part 1 of 2 (global))');
  expect(imported.stdout).toContain('000003_plans.up.sql -> tenant/00000000000004_plans.up.sql (part 2 of 2 (tenant)');

  const adopted = await runCli(['adopt', 'golang-migrate'], { cwd: dir, env });
  expect(adopted.code, adopted.stderr).toBe(0);
  expect(adopted.stdout).toContain(
    "2 tenant schemas recorded with the tenant parts of the global history's loops, each as far as its catalog shows",
  );
  expect((await runCli(['up'], { cwd: dir, env })).stdout).toContain('no change');

  // The next sign-up, both ways an application takes it.
  await createTenants(db, 'company_c');
  const up = await runCli(['up'], { cwd: dir, env });
  expect(up.code, up.stderr).toBe(0);
  expect(up.stdout).toMatch(/in 1 tenant schema/);
  await createTenants(db, 'company_d');
  await migrateTenant({ connection: db.url, migrationsDir: root }, 'company_d');

  const snap = await withClient(db.url, (c) =>
    takeSnapshot(c, { names: ['company_a', 'company_b', 'company_c', 'company_d'] }),
  );
  const objects = (s: string) => Object.fromEntries(snap.get(s) ?? []);
  expect(Object.keys(objects('company_a'))).toEqual(
    expect.arrayContaining(['table employees', 'table projects', 'column employees.email', 'column employees.role']),
  );
  for (const later of ['company_b', 'company_c', 'company_d'])
    expect(objects(later), later).toEqual(objects('company_a'));

  // A tenant migration written here, as the guide's users will from now on.
  const created = await runCli(['create', 'add_employee_bio', '--tenant'], { cwd: dir, env });
  expect(created.code).toBe(0);
  const upFile = created.stdout.match(/Created (\S+\.up\.sql)/)![1]!;
  await writeFile(
    join(dir, upFile),
    `${await readFile(join(dir, upFile), 'utf8')}ALTER TABLE employees ADD COLUMN bio text;\n`,
  );
  expect((await runCli(['hash'], { cwd: dir, env })).code).toBe(0);
  const bio = await runCli(['up'], { cwd: dir, env });
  expect(bio.code, bio.stderr).toBe(0);
  expect(bio.stdout).toMatch(/Migrating to version \d{14} \(add_employee_bio\) in 4 tenant schemas/);
  const cols = await db.query(
    `SELECT table_schema FROM information_schema.columns WHERE column_name = 'bio' ORDER BY 1`,
  );
  expect(cols.rows.map((r) => r.table_schema)).toEqual(['company_a', 'company_b', 'company_c', 'company_d']);
});

test('adopt records in each tenant schema only the loops its catalog shows: a company created after them gets them from up', async ({
  db,
  dir,
}) => {
  const src = await writeFiles(join(dir, 'src'), {
    '1_employees.up.sql': `CREATE TABLE companies (id int PRIMARY KEY);\n${LOOP('CREATE TABLE %I.employees (id serial PRIMARY KEY, company_id int REFERENCES companies)')}`,
    '2_role.up.sql': LOOP('ALTER TABLE %I.employees ADD COLUMN role text'),
  });
  await createTenants(db, 'company_a', 'company_hand');
  await psqlFiles(db.url, [join(src, '1_employees.up.sql'), join(src, '2_role.up.sql')]);
  await psql(db.url, 'CREATE INDEX by_hand ON company_hand.employees (role); CREATE SCHEMA company_late');
  await psql(
    db.url,
    'CREATE TABLE schema_migrations (version bigint not null primary key, dirty boolean not null); INSERT INTO schema_migrations VALUES (2, false)',
  );
  const env = { ...envFor(db.url), MIGRATIONS_DIR: join(dir, 'migrations') };
  expect((await runCli(['import', 'golang-migrate', src], { cwd: dir, env })).code).toBe(0);
  const adopted = await runCli(['adopt', 'golang-migrate'], { cwd: dir, env });
  expect(adopted.code, adopted.stderr).toBe(0);
  expect(adopted.stdout).toContain(
    "note: 1 tenant schema lacks what the global history's later loops create (created after they ran): only what each catalog shows is recorded, and `up` builds the rest: company_late (0 of 2)",
  );
  expect(adopted.stdout).toContain(
    "note: 1 tenant schema matches no point of the global history's loops (changed by hand?): recorded as public's history says",
  );
  expect(adopted.stdout).toContain('company_hand');
  expect(
    await db.query(`SELECT count(*)::int AS n FROM migrate_tool.migrations WHERE schema_name = 'company_late'`),
  ).toMatchObject({ rows: [{ n: 0 }] });
  const up = await runCli(['up'], { cwd: dir, env });
  expect(up.code, up.stderr).toBe(0);
  expect(up.stdout).toMatch(/in 1 tenant schema\n/);
  const snap = await withClient(db.url, (c) => takeSnapshot(c, { names: ['company_a', 'company_late'] }));
  expect(Object.fromEntries(snap.get('company_late') ?? [])).toEqual(Object.fromEntries(snap.get('company_a') ?? []));
});

test('a loop that does more than EXECUTE per schema is refused at import, naming the file, the line and what to do', async ({
  dir,
}) => {
  const src = await writeFiles(join(dir, 'src'), {
    '1_guarded.up.sql': `-- made idempotent by hand
DO $$
DECLARE s text;
BEGIN
  FOR s IN SELECT nspname FROM pg_namespace WHERE nspname LIKE 'company_%' LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = s AND tablename = 'x') THEN
      EXECUTE format('CREATE TABLE %I.x (id int)', s);
    END IF;
  END LOOP;
END $$;`,
    '2_grant.up.sql': LOOP('GRANT USAGE ON SCHEMA %I TO PUBLIC'),
    '3_nested.up.sql': `DO $$
DECLARE s text;
BEGIN
  IF current_database() <> 'template1' THEN
    FOR s IN SELECT nspname FROM pg_namespace WHERE nspname LIKE 'company_%' LOOP
      EXECUTE format('CREATE TABLE %I.y (id int)', s);
    END LOOP;
  END IF;
END $$;`,
  });
  const root = join(dir, 'migrations');
  const r = await runCli(['import', 'golang-migrate', src], { cwd: dir, env: { MIGRATIONS_DIR: root } });
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(
    '1_guarded.up.sql:6: a loop over the tenant schemas cannot become a tenant migration: IF inside the loop',
  );
  expect(r.stderr).toContain(
    "2_grant.up.sql:5: a loop over the tenant schemas cannot become a tenant migration: the schema's name is used other than as a qualifier",
  );
  expect(r.stderr).toContain(
    '3_nested.up.sql:5: a loop over the tenant schemas cannot become a tenant migration: the loop over the tenant schemas is inside another statement',
  );
  expect(r.stderr).toContain('migrate-tool create NAME --tenant');
  await expect(readFile(join(root, 'migrate.sum'), 'utf8')).rejects.toThrow();
});

test('adopt refuses a folder whose global migrations still loop over the tenant schemas (imported by an earlier release), recording nothing', async ({
  db,
  dir,
}) => {
  const loop = LOOP('CREATE TABLE %I.employees (id serial PRIMARY KEY)');
  const root = await writeMigrations(dir, {
    '00000000000001_employees.up.sql': `-- imported from golang-migrate 1: 000001_employees.up.sql\n${loop}\n`,
  });
  await createTenants(db, 'company_a');
  await psql(
    db.url,
    `${loop}\nCREATE TABLE schema_migrations (version bigint not null primary key, dirty boolean not null); INSERT INTO schema_migrations VALUES (1, false)`,
  );
  const r = await runCli(['adopt', 'golang-migrate'], { cwd: dir, env: { ...envFor(db.url), MIGRATIONS_DIR: root } });
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('a global migration loops over the tenant schemas (00000000000001_employees.up.sql:2)');
  expect(r.stderr).toContain('import them again with this release');
  expect((await db.query(`SELECT to_regclass('migrate_tool.migrations') AS t`)).rows[0].t).toBeNull();
});
