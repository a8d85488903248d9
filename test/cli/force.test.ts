// force never widens the damage: it keeps each schema's history in order, leaves healthy schemas
// alone unless told --all, never erases the record of a change in place unless told
// --forget-applied, and says per schema what it changes (dry run and prod prompt included).
import { describe, expect, test } from '../support/fixtures';
import { envFor, runCli } from '../support/cli';
import { BASIC, createTenants, writeMigrations, type Files } from '../support/migrations';
import type { TestDatabase } from '../support/db';

const TENANTS = ['company_a', 'company_b', 'company_c'];

/** BASIC, then a no-transaction index that fails in company_b (the name is taken there): company_b dirty at V3. */
const WITH_INDEX: Files = {
  ...BASIC,
  'tenant/20250101000300_email_index.up.sql':
    '-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY employees_email_idx ON employees (email);\n',
  'tenant/20250101000300_email_index.down.sql':
    '-- migrate:no-transaction\nDROP INDEX CONCURRENTLY employees_email_idx;\n',
};
const PREVIOUS = '20250101000200';

async function setup(db: TestDatabase, dir: string, files: Files) {
  const root = await writeMigrations(dir, files);
  await createTenants(db, ...TENANTS);
  return { ...envFor(db.url), MIGRATIONS_DIR: root };
}

async function oneDirtyTenant(db: TestDatabase, dir: string) {
  const env = await setup(db, dir, WITH_INDEX);
  await db.query('CREATE TABLE company_b.employees_email_idx (x int)');
  expect((await runCli(['up'], { env })).code).toBe(1);
  return env;
}

/** Every schema's recorded rows, `schema version[*dirty]`, for before/after comparisons. */
async function history(db: TestDatabase): Promise<string[]> {
  const r = await db.query<{ s: string }>(
    `SELECT schema_name || ' ' || version || CASE WHEN dirty THEN '*' ELSE '' END AS s FROM migrate_tool.migrations ORDER BY 1`,
  );
  return r.rows.map((x) => x.s);
}

describe('force without --tenant while one tenant is dirty', () => {
  for (const argv of [
    ['force', PREVIOUS],
    ['-action=force', `-version=${PREVIOUS}`],
  ]) {
    test(`refuses to rewrite the healthy schemas and gives the per-schema command (${argv.join(' ')})`, async ({
      db,
      dir,
    }) => {
      const env = await oneDirtyTenant(db, dir);
      const before = await history(db);
      expect(before).toContain('company_b 20250101000300*');
      const r = await runCli(argv, { env });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        `error: force ${PREVIOUS} would rewrite 2 healthy schemas (company_a, company_c) as well as the dirty company_b; nothing was changed`,
      );
      expect(r.stderr).toContain(
        `fix: recover each dirty schema on its own: \`migrate-tool force ${PREVIOUS} --tenant company_b\`; to rewrite every schema's history anyway, add --all --forget-applied`,
      );
      expect(await history(db)).toEqual(before);
    });
  }

  test('the per-schema command recovers company_b alone, and the next up rebuilds what is missing there', async ({
    db,
    dir,
  }) => {
    const env = await oneDirtyTenant(db, dir);
    const before = await history(db);
    await db.query('DROP TABLE company_b.employees_email_idx');
    const r = await runCli(['force', PREVIOUS, '--tenant', 'company_b'], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  company_b: removes 20250101000300 (dirty)\n');
    expect(r.stdout).toContain(`Forced version ${PREVIOUS} in 1 schema (1 changed); dirty flag cleared`);
    expect(await history(db)).toEqual(before.filter((row) => row !== 'company_b 20250101000300*'));
    const up = await runCli(['up'], { env });
    expect(up.code).toBe(0);
    expect(up.stdout).toContain('Migrating to version 20250101000300 (email_index) in 1 tenant schema');
  });

  test('--all rewrites every schema only together with --forget-applied, and --dry-run shows each schema first', async ({
    db,
    dir,
  }) => {
    const env = await oneDirtyTenant(db, dir);
    const before = await history(db);
    const onlyAll = await runCli(['force', PREVIOUS, '--all'], { env });
    expect(onlyAll.code).toBe(2);
    expect(onlyAll.stderr).toContain(
      'would erase the record of 2 migrations applied cleanly, whose change is in place (company_a 20250101000300, company_c 20250101000300)',
    );

    const dry = await runCli(['force', PREVIOUS, '--all', '--forget-applied', '--dry-run'], { env });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('  company_a: removes 20250101000300 (applied: its change stays in place)\n');
    expect(dry.stdout).toContain('  company_b: removes 20250101000300 (dirty)\n');
    expect(dry.stdout).toContain('  company_c: removes 20250101000300 (applied: its change stays in place)\n');
    expect(dry.stdout).not.toContain('public:');
    expect(dry.stdout).toContain(`Dry run: would force version ${PREVIOUS} in 4 schemas (3 changed)`);
    expect(await history(db)).toEqual(before);

    const json = JSON.parse(
      (await runCli(['force', PREVIOUS, '--all', '--forget-applied', '--dry-run', '--json'], { env })).stdout,
    );
    expect(json).toMatchObject({ dryRun: true, version: PREVIOUS, schemas: 4, changed: 3 });
    expect(json.changes).toContainEqual({
      schema: 'company_b',
      dirty: true,
      removed: [{ version: '20250101000300', applied: false }],
      recorded: [],
    });

    expect((await runCli(['force', PREVIOUS, '--all', '--forget-applied'], { env })).code).toBe(0);
    expect(await history(db)).toEqual(
      before.filter((row) => !row.endsWith('20250101000300') && !row.endsWith('20250101000300*')),
    );
  });

  test('in prod, the prompt says how many schemas change, and a wrong answer changes nothing', async ({ db, dir }) => {
    const env = await oneDirtyTenant(db, dir);
    const before = await history(db);
    const questions: string[] = [];
    const r = await runCli(['force', PREVIOUS, '--tenant', 'company_b', '--env', 'prod'], {
      env,
      ask: async (q) => {
        questions.push(q);
        return 'not-the-database';
      },
    });
    expect(r.code).toBe(2);
    expect(questions).toEqual([
      `About to force version ${PREVIOUS}, changing 1 of 1 schema (company_b), on ${db.name} (env: prod). Type the database name to go on: `,
    ]);
    expect(r.stderr).toContain('Not confirmed; nothing was changed');
    expect(await history(db)).toEqual(before);
  });
});

describe('a schema whose migration failed', () => {
  /** Tenant V2 fails in company_b only; a global V5 and a tenant V6 come after it. */
  const FILES: Files = {
    ...BASIC,
    'tenant/20250101000200_employee_email.up.sql':
      'CREATE TABLE audit (id int);\nALTER TABLE employees ADD COLUMN email text;',
    '20250101000500_settings.up.sql': 'CREATE TABLE settings (id int);',
    'tenant/20250101000600_employee_phone.up.sql': 'ALTER TABLE employees ADD COLUMN phone text;',
    'tenant/20250101000600_employee_phone.down.sql': 'ALTER TABLE employees DROP COLUMN phone;',
  };

  test('gets no later version in the same run, global steps in between or not; a re-run applies them in order', async ({
    db,
    dir,
  }) => {
    const env = await setup(db, dir, FILES);
    await db.query('CREATE TABLE company_b.audit (legacy int)');
    const r = await runCli(['up', '--json'], { env });
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.failed).toEqual([expect.objectContaining({ schema: 'company_b', version: '20250101000200' })]);
    expect(out.skipped).toEqual([
      { schema: 'company_b', version: '20250101000600', reason: 'version 20250101000200 failed in this schema' },
    ]);
    expect((await history(db)).filter((row) => row.startsWith('company_b'))).toEqual(['company_b 20250101000100']);
    const phone = await db.query(
      `SELECT 1 FROM information_schema.columns WHERE table_schema = 'company_b' AND column_name = 'phone'`,
    );
    expect(phone.rowCount).toBe(0);
    expect(out.applied.map((a: { schema: string; version: string }) => `${a.schema}@${a.version}`)).toContain(
      'company_a@20250101000600',
    );

    await db.query('DROP TABLE company_b.audit');
    const again = await runCli(['up', '--json'], { env });
    expect(again.code).toBe(0);
    expect(
      JSON.parse(again.stdout).applied.map((a: { schema: string; version: string }) => `${a.schema}@${a.version}`),
    ).toEqual(['company_b@20250101000200', 'company_b@20250101000600']);
  });

  test('force to an earlier version refuses to erase the record of a later migration whose change is in place', async ({
    db,
    dir,
  }) => {
    const env = await setup(db, dir, FILES);
    expect((await runCli(['up'], { env })).code).toBe(0);
    // What an earlier release could leave: V2 dirty in company_b, yet V6 applied on top of it.
    await db.query(
      `UPDATE migrate_tool.migrations SET dirty = true WHERE schema_name = 'company_b' AND version = '20250101000200'`,
    );
    const before = await history(db);
    const r = await runCli(['force', '20250101000100', '--tenant', 'company_b'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'error: force 20250101000100 would erase the record of 1 migration applied cleanly, whose change is in place (company_b 20250101000600)',
    );
    expect(r.stderr).toContain(
      'fix: force a version at or after them, or undo their changes by hand (their .down.sql) and add --forget-applied',
    );
    expect(await history(db)).toEqual(before);

    // Told explicitly, after undoing V6 by hand, it goes ahead and says what it removed.
    await db.query('ALTER TABLE company_b.employees DROP COLUMN phone');
    const forced = await runCli(['force', '20250101000100', '--tenant', 'company_b', '--forget-applied'], { env });
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain(
      '  company_b: removes 20250101000200 (dirty), 20250101000600 (applied: its change stays in place)',
    );
  });
});
