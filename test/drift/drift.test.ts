// `drift`: each schema's live catalog against what its recorded migrations build, through the real
// CLI: found (extra index, changed column type, dropped constraint, invalid index, public) and not
// found, grouping by fingerprint, --tenant detail, --json, exit codes, and `up --check-drift`.
import { describe, expect, test } from '../support/fixtures';
import { envFor, runCli } from '../support/cli';
import { BASIC, createTenants, writeMigrations } from '../support/migrations';

/** BASIC plus a constraint, an enum, a function, a trigger and a view in every tenant, and an index made concurrently. */
const APP = {
  ...BASIC,
  'tenant/20250101000300_rules.up.sql': `CREATE TYPE level AS ENUM ('junior', 'senior');
ALTER TABLE employees ADD COLUMN level level NOT NULL DEFAULT 'junior', ADD CONSTRAINT employees_name_check CHECK (name <> '');
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.name := trim(NEW.name); RETURN NEW; END $$;
CREATE TRIGGER employees_touch BEFORE INSERT ON employees FOR EACH ROW EXECUTE FUNCTION touch();
CREATE VIEW seniors AS SELECT id, name FROM employees WHERE level = 'senior';`,
  'tenant/20250101000300_rules.down.sql':
    'DROP VIEW seniors; DROP TRIGGER employees_touch ON employees; DROP FUNCTION touch(); ALTER TABLE employees DROP COLUMN level; DROP TYPE level;',
  'tenant/20250101000400_email_idx.up.sql':
    '-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS employees_email_idx ON employees (email);',
  'tenant/20250101000400_email_idx.down.sql':
    '-- migrate:no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS employees_email_idx;',
};

interface Report {
  checked: number;
  matching: number;
  public?: string;
  groups: Array<{
    schemas: string[];
    version: string | null;
    summary: string;
    differences: Array<{ key: string; expected?: string; actual?: string }>;
  }>;
  unchecked: unknown[];
}

describe('drift', () => {
  test('nothing drifted: exit 0, every schema matches, tenants at different versions included', async ({ db, dir }) => {
    const env = { ...envFor(db.url), MIGRATIONS_DIR: await writeMigrations(dir, APP) };
    await createTenants(db, 'company_a', 'company_b');
    expect((await runCli(['up', '2'], { env })).code).toBe(0); // a and b stay at their first tenant migration
    await createTenants(db, 'company_c');
    expect((await runCli(['up', '--tenant', 'company_c'], { env })).code).toBe(0);
    await createTenants(db, 'company_new'); // not migrated yet: empty, as its (empty) record says
    const r = await runCli(['drift'], { env });
    expect(r.stdout).toContain('5 match');
    expect(r.code).toBe(0);
    const doc = JSON.parse((await runCli(['drift', '--json'], { env })).stdout) as Report & { states: number };
    expect(doc).toMatchObject({ checked: 5, matching: 5, public: 'match', groups: [], unchecked: [], states: 4 });
    // A schema behind is not drift, but one whose record says more than it has is.
    await db.query(`INSERT INTO migrate_tool.migrations (schema_name, version, name, scope, checksum)
      SELECT 'company_a', version, name, scope, checksum FROM migrate_tool.migrations WHERE schema_name = 'company_c' AND version = '20250101000200'`);
    const behind = JSON.parse((await runCli(['drift', '--json'], { env })).stdout) as Report;
    expect(behind.groups).toEqual([
      expect.objectContaining({ schemas: ['company_a'], summary: 'missing column employees.email' }),
    ]);
  });

  test('finds an extra index, a changed column type, a dropped constraint and an invalid index, grouped by fingerprint', async ({
    db,
    dir,
  }) => {
    const env = { ...envFor(db.url), MIGRATIONS_DIR: await writeMigrations(dir, APP) };
    await createTenants(db, 'company_a', 'company_b', 'company_c', 'company_d', 'company_e', 'company_f');
    expect((await runCli(['up'], { env })).code).toBe(0);
    await db.query(`CREATE INDEX foo_idx ON company_b.employees (name);
      CREATE INDEX foo_idx ON company_c.employees (name);
      ALTER TABLE company_d.employees ALTER COLUMN email TYPE varchar(100);
      ALTER TABLE company_e.employees DROP CONSTRAINT employees_name_check;
      UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'company_f.employees_email_idx'::regclass;`);

    const r = await runCli(['drift'], { env });
    expect(r.code).toBe(3);
    const summary = r.stdout.trim().split('\n').at(-1);
    expect(summary).toBe(
      '2 match; 5 differ: company_b (extra index foo_idx), company_c (extra index foo_idx), company_d (column employees.email changed), ' +
        'company_e (missing constraint employees_name_check), company_f (invalid index employees_email_idx)',
    );
    expect(r.stdout).toContain(
      'company_b, company_c (recorded at 20250101000400):\n  + index employees.foo_idx: CREATE INDEX foo_idx ON employees USING btree (name)',
    );
    expect(r.stdout).toContain('~ column employees.email: expected text, found character varying(100)');

    const doc = JSON.parse((await runCli(['drift', '--json'], { env })).stdout) as Report;
    expect(doc.groups.map((g) => g.schemas)).toEqual([
      ['company_b', 'company_c'],
      ['company_d'],
      ['company_e'],
      ['company_f'],
    ]);
    expect(doc.groups[3]!.differences).toEqual([
      {
        schema: 'company_f',
        key: 'index employees.employees_email_idx',
        expected: 'CREATE INDEX employees_email_idx ON employees USING btree (email)',
        actual: 'CREATE INDEX employees_email_idx ON employees USING btree (email) (INVALID)',
      },
    ]);
  });

  test('--tenant prints every difference of one schema, and only checks that one', async ({ db, dir }) => {
    const env = { ...envFor(db.url), MIGRATIONS_DIR: await writeMigrations(dir, APP) };
    await createTenants(db, 'company_a', 'company_b');
    expect((await runCli(['up'], { env })).code).toBe(0);
    await db.query(`DROP VIEW company_b.seniors; CREATE TABLE company_b.notes (id int PRIMARY KEY, body text);
      ALTER TYPE company_b.level ADD VALUE 'lead'; CREATE OR REPLACE FUNCTION company_b.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
      CREATE TABLE public.stray (id int)`);
    const r = await runCli(['drift', '--tenant', 'company_b'], { env });
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('+ table notes (should not be there; 2 columns, 1 constraint, 1 index)');
    expect(r.stdout).toContain("~ enum level: expected 'junior', 'senior', found 'junior', 'senior', 'lead'");
    expect(r.stdout).toMatch(/~ function touch\(\): expected trigger \w+, found trigger \w+/);
    expect(r.stdout).toContain('- view seniors');
    expect(r.stdout).not.toContain('stray'); // public is not checked with --tenant
    expect((await runCli(['drift', '--tenant', 'company_a'], { env })).code).toBe(0);
    expect((await runCli(['drift', '--tenant', 'company_zz'], { env })).code).toBe(2);
  });

  test('public is checked against the global migrations; the state schema and extensions are not drift', async ({
    db,
    dir,
  }) => {
    const env = { ...envFor(db.url), MIGRATIONS_DIR: await writeMigrations(dir, APP) };
    await createTenants(db, 'company_a');
    expect((await runCli(['up'], { env })).code).toBe(0);
    await db.query('CREATE EXTENSION IF NOT EXISTS pgcrypto SCHEMA public');
    expect((await runCli(['drift'], { env })).code).toBe(0);
    await db.query('ALTER TABLE public.companies ADD COLUMN plan text');
    const r = await runCli(['drift', '--json'], { env });
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.stdout) as Report;
    expect(doc.public).toBe('differ');
    expect(doc.groups).toEqual([
      expect.objectContaining({
        schemas: ['public'],
        summary: 'extra column companies.plan',
        version: '20250101000000',
      }),
    ]);
  });

  test("the database's own search_path is not drift", async ({ db, dir }) => {
    const files = {
      ...BASIC,
      'tenant/20250101000300_company.up.sql':
        'ALTER TABLE employees ADD COLUMN company_id int REFERENCES public.companies (id);',
    };
    const env = { ...envFor(db.url), MIGRATIONS_DIR: await writeMigrations(dir, files) };
    await createTenants(db, 'company_a');
    expect((await runCli(['up'], { env })).code).toBe(0);
    // Without public on the path, the live side would print the foreign key as REFERENCES public.companies.
    await db.query(`ALTER DATABASE "${db.name}" SET search_path TO "$user"`);
    const r = await runCli(['drift'], { env });
    expect(r.stdout).toContain('2 match');
    expect(r.code).toBe(0);
  });

  test('a schema whose recorded versions the folder lacks is not checked, and says why (exit 3)', async ({
    db,
    dir,
  }) => {
    const env = { ...envFor(db.url), MIGRATIONS_DIR: await writeMigrations(dir, APP) };
    await createTenants(db, 'company_a');
    expect((await runCli(['up'], { env })).code).toBe(0);
    const older = { ...env, MIGRATIONS_DIR: await writeMigrations(`${dir}/older`, BASIC) };
    const r = await runCli(['drift', '--json'], { env: older });
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({
      public: 'match',
      groups: [],
      unchecked: [
        {
          schemas: ['company_a'],
          reason: expect.stringContaining('20250101000300, 20250101000400 not in the migrations folder'),
        },
      ],
    });
  });

  test('up --check-drift refuses drifted tenant schemas (exit 1, the others migrated), public drift stops it all (exit 3); --allow-drift runs', async ({
    db,
    dir,
  }) => {
    const first = { ...BASIC };
    const env = { ...envFor(db.url), MIGRATIONS_DIR: await writeMigrations(dir, first) };
    await createTenants(db, 'company_a', 'company_b');
    expect((await runCli(['up'], { env })).code).toBe(0);
    await db.query('CREATE INDEX foo_idx ON company_b.employees (name)');
    const more = { ...env, MIGRATIONS_DIR: await writeMigrations(`${dir}/more`, APP) };

    const refused = await runCli(['up', '--check-drift', '--json'], { env: more });
    expect(refused.code).toBe(1);
    const doc = JSON.parse(refused.stdout) as {
      applied: Array<{ schema: string }>;
      failed: Array<{ schema: string; error: string }>;
    };
    expect(doc.failed).toEqual([
      expect.objectContaining({
        schema: 'company_b',
        version: '20250101000300',
        error: expect.stringContaining('extra index foo_idx'),
      }),
    ]);
    expect(new Set(doc.applied.map((a) => a.schema))).toEqual(new Set(['company_a']));

    await db.query('ALTER TABLE public.companies ADD COLUMN plan text');
    const stopped = await runCli(['up', '--check-drift'], { env: more });
    expect(stopped.code).toBe(3);
    expect(stopped.stderr).toContain('public has drifted');
    expect(
      (await db.query(`SELECT count(*)::int AS n FROM migrate_tool.migrations WHERE schema_name = 'company_b'`)).rows[0]
        .n,
    ).toBe(2);

    // A staged rollout does not take the refusals yet: refused before anything is checked or run.
    const rollout = await runCli(['up', '--check-drift', '--canary', '1'], { env: more });
    expect(rollout.code).toBe(2);
    expect(rollout.stderr).toContain('cannot be combined with --canary or --waves');

    const allowed = await runCli(['up', '--check-drift', '--allow-drift'], { env: more });
    expect(allowed.code).toBe(0);
    expect(allowed.stderr).toContain('drift allowed');
    expect(
      (await db.query(`SELECT count(*)::int AS n FROM migrate_tool.migrations WHERE schema_name = 'company_b'`)).rows[0]
        .n,
    ).toBe(4);
  });
});
