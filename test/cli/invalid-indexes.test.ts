// No-transaction index builds that do not finish: an INVALID index is never recorded as applied,
// a lock_timeout retry rebuilds it, and status, version and tenants name the ones that exist.
import pg from 'pg';
import { describe, expect, test } from '../support/fixtures';
import { collect, envFor, runCli, spawnCli } from '../support/cli';
import { BASIC, createTenants, writeMigrations, type Files } from '../support/migrations';
import type { TestDatabase } from '../support/db';

/** As the sample: appointments in every tenant, indexed CONCURRENTLY IF NOT EXISTS by a no-transaction file. */
const SAMPLE_LIKE: Files = {
  '20250101000000_init.up.sql': 'CREATE TABLE companies (id serial PRIMARY KEY);',
  'tenant/20250101000100_appointments.up.sql':
    'CREATE TABLE appointments (id serial PRIMARY KEY, starts_at timestamptz NOT NULL);',
  'tenant/20250101000200_starts_at_index.up.sql':
    '-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS "appointments_starts_at_idx" ON "appointments" ("starts_at");\n',
};

const TENANTS = ['company_a', 'company_b'];

async function setup(db: TestDatabase, dir: string, files: Files) {
  const root = await writeMigrations(dir, files);
  await createTenants(db, ...TENANTS);
  return { ...envFor(db.url), MIGRATIONS_DIR: root };
}

async function indexValidity(db: TestDatabase, index: string): Promise<Record<string, boolean>> {
  const r = await db.query<{ schema: string; valid: boolean }>(
    `SELECT n.nspname AS schema, i.indisvalid AS valid FROM pg_index i
       JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relname = $1 ORDER BY 1`,
    [index],
  );
  return Object.fromEntries(r.rows.map((x) => [x.schema, x.valid]));
}

/** Another session holding a REPEATABLE READ snapshot, as a long report query does: CREATE INDEX CONCURRENTLY waits for it. */
async function holdSnapshot(db: TestDatabase): Promise<pg.Client> {
  const app = new pg.Client({ connectionString: db.url });
  await app.connect();
  await app.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
  await app.query('SELECT count(*) FROM public.companies'); // the snapshot is taken by the first query
  return app;
}

/** company_b gets an INVALID index, deterministically: a unique index built concurrently over duplicates. */
async function leaveInvalidIndex(db: TestDatabase, schema: string, index: string) {
  await db.query(`INSERT INTO ${schema}.appointments (starts_at) VALUES ('2026-01-01'), ('2026-01-01')`);
  await expect(
    db.query(`CREATE UNIQUE INDEX CONCURRENTLY ${index} ON ${schema}.appointments (starts_at)`),
  ).rejects.toThrow(/could not create unique index/);
}

describe('an index build that does not finish', () => {
  test('a lock_timeout retry drops the invalid index the timed-out attempt left and builds it again', async ({
    db,
    dir,
  }) => {
    const env = await setup(db, dir, SAMPLE_LIKE);
    expect((await runCli(['up', '2'], { env })).code).toBe(0);
    const app = await holdSnapshot(db);
    try {
      const child = spawnCli(['up', '--ddl-lock-timeout', '1', '--concurrency', '1'], { env });
      const done = collect(child);
      // Let the first attempts time out on the snapshot, then end it so that a retry can finish.
      await new Promise<void>((resolve) => child.stderr!.on('data', (d) => String(d).includes('retry 1') && resolve()));
      await app.query('COMMIT');
      const r = await done;
      expect(r.code).toBe(0);
      expect(await indexValidity(db, 'appointments_starts_at_idx')).toEqual({ company_a: true, company_b: true });
      expect(r.stderr).toMatch(
        /company_a: could not get a lock in time .*; dropped the invalid index company_a\.appointments_starts_at_idx it left; retry 1/,
      );
      const status = await runCli(['status', '--exit-code'], { env });
      expect(status.code).toBe(0);
    } finally {
      await app.end();
    }
  });

  test('an invalid index already in a schema: the no-transaction migration is not run there, nor recorded; the others go on', async ({
    db,
    dir,
  }) => {
    const env = await setup(db, dir, SAMPLE_LIKE);
    expect((await runCli(['up', '2'], { env })).code).toBe(0);
    await leaveInvalidIndex(db, 'company_b', 'appointments_starts_at_idx');
    const r = await runCli(['up', '--json'], { env });
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.applied.map((a: { schema: string }) => a.schema)).toEqual(['company_a']);
    expect(out.failed).toEqual([expect.objectContaining({ schema: 'company_b', version: '20250101000200' })]);
    expect(out.failed[0].error).toContain('company_b has invalid index company_b.appointments_starts_at_idx');
    expect(out.failed[0].advice).toBe(
      'run DROP INDEX CONCURRENTLY IF EXISTS "company_b"."appointments_starts_at_idx"; then re-run `migrate-tool up`',
    );
    const rows = await db.query(
      `SELECT version, dirty FROM migrate_tool.migrations WHERE schema_name = 'company_b' ORDER BY version`,
    );
    expect(rows.rows).toEqual([{ version: '20250101000100', dirty: false }]); // not dirty: nothing ran there

    await db.query('DROP INDEX CONCURRENTLY company_b.appointments_starts_at_idx');
    await db.query('DELETE FROM company_b.appointments');
    expect((await runCli(['up'], { env })).code).toBe(0);
    expect(await indexValidity(db, 'appointments_starts_at_idx')).toEqual({ company_a: true, company_b: true });
  });

  test('a unique index over duplicates: the failure keeps PostgreSQL DETAIL (the duplicated key) and says the schema is dirty', async ({
    db,
    dir,
  }) => {
    const unique = {
      ...SAMPLE_LIKE,
      'tenant/20250101000200_starts_at_index.up.sql':
        '-- migrate:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY "appointments_starts_at_key" ON "appointments" ("starts_at");\n',
    };
    const env = await setup(db, dir, unique);
    expect((await runCli(['up', '2'], { env })).code).toBe(0);
    await db.query(
      `INSERT INTO company_b.appointments (starts_at) VALUES ('2026-01-01 09:00+00'), ('2026-01-01 09:00+00')`,
    );
    const detail = /^ {2}DETAIL: Key \(starts_at\)=\(.*2026-01-01.*\) is duplicated\.$/m;

    const text = await runCli(['up'], { env });
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('could not create unique index "appointments_starts_at_key"');
    expect(text.stdout).toMatch(detail);
    expect(text.stdout).toContain('  company_b is now dirty at 20250101000200: up refuses it until it is repaired');
    // Its remedy names the index it left and the version before it, in the CLI's commands.
    expect(text.stdout).toContain(
      'repaired; fix: run DROP INDEX CONCURRENTLY IF EXISTS "company_b"."appointments_starts_at_key"; then `migrate-tool force 20250101000100 --tenant company_b` and re-run `migrate-tool up`',
    );

    await db.query('DROP INDEX CONCURRENTLY company_b.appointments_starts_at_key');
    expect((await runCli(['force', '20250101000100', '--tenant', 'company_b'], { env })).code).toBe(0);
    const json = await runCli(['up', '--json'], { env });
    expect(JSON.parse(json.stdout).failed).toEqual([
      expect.objectContaining({
        schema: 'company_b',
        detail: expect.stringMatching(/^Key \(starts_at\)=\(.*\) is duplicated\.$/),
        dirty: true,
      }),
    ]);
  });
});

describe('status, version and tenants', () => {
  test('name invalid indexes in tenant schemas, and status --exit-code exits 3 while one exists', async ({
    db,
    dir,
  }) => {
    const env = await setup(db, dir, BASIC);
    expect((await runCli(['up'], { env })).code).toBe(0);
    await db.query('INSERT INTO company_b.employees (name) VALUES ($1), ($1)', ['Ada']);
    await expect(
      db.query('CREATE UNIQUE INDEX CONCURRENTLY employees_name_key ON company_b.employees (name)'),
    ).rejects.toThrow(/could not create unique index/);

    const status = await runCli(['status', '--exit-code'], { env });
    expect(status.code).toBe(3);
    expect(status.stdout).toContain('invalid indexes: 1 (company_b.employees_name_key)');
    expect(JSON.parse((await runCli(['status', '--json'], { env })).stdout).invalidIndexes).toEqual([
      'company_b.employees_name_key',
    ]);

    const version = await runCli(['version'], { env });
    expect(version.code).toBe(0);
    expect(version.stdout).toContain('invalid indexes: 1 (company_b.employees_name_key)');
    expect(JSON.parse((await runCli(['version', '--json'], { env })).stdout)).toMatchObject({
      dirty: false,
      invalidIndexes: ['company_b.employees_name_key'],
    });

    const tenants = await runCli(['tenants'], { env });
    expect(tenants.stdout).toMatch(/company_b\s+20250101000200\s+false\s+0\s+employees_name_key/);
    expect(tenants.stdout).toContain('2 tenant schemas, 0 behind, 0 dirty, 1 with invalid indexes');
    const list = JSON.parse((await runCli(['tenants', '--json'], { env })).stdout).tenants;
    expect(list).toContainEqual({
      schema: 'company_b',
      version: '20250101000200',
      dirty: false,
      behind: 0,
      invalidIndexes: ['employees_name_key'],
    });

    await db.query('DROP INDEX CONCURRENTLY company_b.employees_name_key');
    expect((await runCli(['status', '--exit-code'], { env })).code).toBe(0);
  });
});
