// The operations guide's own layout, end to end: golang-migrate global migrations whose tenant
// changes are DO $$ ... FOR schema ... $$ loops, schema_migrations at version 2; then import, adopt,
// and new tenant migrations created with this tool, fanned out to every tenant schema.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from '../support/fixtures';
import { envFor, runCli } from '../support/cli';
import { createTenants } from '../support/migrations';
import { psql, psqlFiles, writeFiles } from '../import/support';

const LOOP = (sql: string) => `DO $$
DECLARE s text;
BEGIN
  FOR s IN SELECT nspname FROM pg_namespace WHERE nspname LIKE 'company_%' LOOP
    EXECUTE format('${sql}', s);
  END LOOP;
END $$;`;

test('golang-migrate with DO-loop tenant changes at version V, adopted, then tenant migrations created here fan out per schema', async ({ db, dir }) => {
  const src = await writeFiles(join(dir, 'migrate', 'migrations'), {
    '000001_init_schema.up.sql': 'CREATE TABLE companies (id uuid PRIMARY KEY, name text NOT NULL);',
    '000001_init_schema.down.sql': 'DROP TABLE companies;',
    '000002_tenant_employees.up.sql': LOOP('CREATE TABLE %I.employees (id serial PRIMARY KEY, name text NOT NULL)'),
    '000002_tenant_employees.down.sql': LOOP('DROP TABLE %I.employees'),
  });
  await createTenants(db, 'company_a', 'company_b');
  await psqlFiles(db.url, [join(src, '000001_init_schema.up.sql'), join(src, '000002_tenant_employees.up.sql')]);
  await psql(
    db.url,
    'CREATE TABLE schema_migrations (version bigint not null primary key, dirty boolean not null); INSERT INTO schema_migrations VALUES (2, false)',
  );

  const root = join(dir, 'migrations');
  const env = { ...envFor(db.url), MIGRATIONS_DIR: root };
  expect((await runCli(['import', 'golang-migrate', src], { cwd: dir, env })).code).toBe(0);
  const adopted = await runCli(['adopt', 'golang-migrate'], { cwd: dir, env });
  expect(adopted.code).toBe(0);
  expect(adopted.stdout).toContain('public: public.schema_migrations version 2 -> 2 versions (00000000000001 ... 00000000000002)');
  expect((await runCli(['up'], { cwd: dir, env })).stdout).toContain('no change');

  const created = await runCli(['create', 'add_employee_bio', '--tenant'], { cwd: dir, env });
  expect(created.code).toBe(0);
  const upFile = created.stdout.match(/Created (\S+\.up\.sql)/)![1]!;
  await writeFile(join(dir, upFile), `${await readFile(join(dir, upFile), 'utf8')}ALTER TABLE employees ADD COLUMN bio text;\n`);
  expect((await runCli(['hash'], { cwd: dir, env })).code).toBe(0);
  const up = await runCli(['up'], { cwd: dir, env });
  expect(up.code).toBe(0);
  expect(up.stdout).toMatch(/Migrating to version \d{14} \(add_employee_bio\) in 2 tenant schemas/);
  const cols = await db.query(`SELECT table_schema FROM information_schema.columns WHERE column_name = 'bio' ORDER BY 1`);
  expect(cols.rows.map((r) => r.table_schema)).toEqual(['company_a', 'company_b']);
  const status = JSON.parse((await runCli(['status', '--json'], { cwd: dir, env })).stdout);
  expect(status.migrations.map((m: { scope: string; applied: boolean }) => [m.scope, m.applied])).toEqual([
    ['global', true],
    ['global', true],
    ['tenant', true],
  ]);
});
