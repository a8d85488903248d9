// `plan` on a real server: the lock of each pending statement, rewrite or scan, each tenant's
// table size from the catalog, an estimate in the right order of magnitude against the statement's
// real time, the --max-lock-ms gate, the grouping of alike tenants, and nothing changed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, test } from '../support/fixtures';
import { envFor, ROOT, runCli } from '../support/cli';
import { createTenants, writeMigrations } from '../support/migrations';
import { targetsFileFor } from '../fleet/support';
import type { TestDatabase } from '../support/db';
import { migrate, plan, type LockPlanStep } from '../../src/index';

const validate = new Ajv({ allErrors: true, strict: true }).compile(
  JSON.parse(readFileSync(join(ROOT, 'docs/schema/plan.schema.json'), 'utf8')),
);

const FILES = {
  '20250101000000_companies.up.sql': 'CREATE TABLE companies (id serial PRIMARY KEY, name text);',
  '20250101000000_companies.down.sql': 'DROP TABLE companies;',
  '20250101000400_active.up.sql': 'ALTER TABLE companies ADD COLUMN active boolean NOT NULL DEFAULT true;',
  '20250101000400_active.down.sql': 'ALTER TABLE companies DROP COLUMN active;',
  '20250101000500_touch.up.sql': 'DO $$ BEGIN UPDATE companies SET name = name; END $$;',
  '20250101000500_touch.down.sql': 'SELECT 1;',
  'tenant/20250101000100_init.up.sql': `CREATE TABLE customers (id bigserial PRIMARY KEY, name text);
CREATE TABLE orders (id bigserial PRIMARY KEY, total integer, note varchar(20), customer_id bigint);`,
  'tenant/20250101000100_init.down.sql': 'DROP TABLE orders; DROP TABLE customers;',
  'tenant/20250101000200_changes.up.sql': `ALTER TABLE orders ALTER COLUMN total TYPE bigint;
ALTER TABLE orders ALTER COLUMN note TYPE varchar(50);
ALTER TABLE orders ALTER COLUMN total SET NOT NULL;
CREATE INDEX orders_total_idx ON orders (total);
ALTER TABLE orders ADD COLUMN r double precision DEFAULT random();
ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id);`,
  'tenant/20250101000200_changes.down.sql': 'SELECT 1;',
  'tenant/20250101000300_concurrent.up.sql':
    '-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY orders_note_idx ON orders (note);',
  'tenant/20250101000300_concurrent.down.sql': 'DROP INDEX orders_note_idx;',
};

const SMALL = ['company_a', 'company_b', 'company_c', 'company_d', 'company_e'];
const BIG_ROWS = 300_000;

/** Five small tenants and company_big with BIG_ROWS orders, the first two migrations applied, ANALYZEd. */
async function setUp(db: TestDatabase, dir: string) {
  const migrationsDir = await writeMigrations(dir, FILES);
  await createTenants(db, ...SMALL, 'company_big');
  const options = { connection: db.url, migrationsDir, tenantPattern: 'company_%' };
  await migrate(options, { steps: 2 });
  await db.query(`INSERT INTO company_big.customers (name) SELECT 'c' || g FROM generate_series(1, 1000) g`);
  await db.query(
    `INSERT INTO company_big.orders (total, note, customer_id) SELECT g, 'n' || (g % 100), 1 + g % 1000 FROM generate_series(1, ${BIG_ROWS}) g`,
  );
  for (const s of SMALL)
    await db.query(`INSERT INTO ${s}.orders (total, note) SELECT g, 'x' FROM generate_series(1, 100) g`);
  await db.query('ANALYZE');
  return { options, env: { ...envFor(db.url), MIGRATIONS_DIR: migrationsDir, TENANT_PATTERN: 'company_%' } };
}

const at = (steps: LockPlanStep[], line: number, table = 'orders') =>
  steps.find((s) => s.line === line && s.table === table)!;

/** What `plan` must not change: the recorded state and the tenants' tables, columns and indexes. */
async function snapshot(db: TestDatabase): Promise<string> {
  const state = await db
    .query('SELECT * FROM migrate_tool.schema_migrations ORDER BY 1, 2')
    .catch(() => ({ rows: [] }));
  const catalog = await db.query(
    `SELECT n.nspname, c.relname, c.relfilenode, a.attname, a.atttypid, a.attnotnull FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
      WHERE n.nspname LIKE 'company_%' OR n.nspname = 'migrate_tool' ORDER BY 1, 2, 4`,
  );
  return JSON.stringify([state.rows, catalog.rows]);
}

describe('plan', () => {
  test('locks, rewrite and scan, sizes from the catalog, estimates against the real time, nothing changed', async ({
    db,
    dir,
  }) => {
    const { env } = await setUp(db, dir);
    const before = await snapshot(db);
    const r = await runCli(['plan', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { steps: LockPlanStep[] };
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    const { steps } = doc;

    expect(at(steps, 1)).toMatchObject({
      lock: 'AccessExclusiveLock',
      rewrite: true,
      blocksReads: true,
      scope: 'tenant',
    });
    expect(at(steps, 2)).toMatchObject({ lock: 'AccessExclusiveLock', rewrite: false, scan: false }); // binary-coercible
    expect(at(steps, 3)).toMatchObject({ lock: 'AccessExclusiveLock', rewrite: false, scan: true });
    expect(at(steps, 4)).toMatchObject({
      lock: 'ShareLock',
      rewrite: false,
      scan: true,
      blocksReads: false,
      blocksWrites: true,
    });
    expect(at(steps, 5)).toMatchObject({ lock: 'AccessExclusiveLock', rewrite: true });
    expect(at(steps, 6)).toMatchObject({ lock: 'ShareRowExclusiveLock', scan: true, blocksReads: false });
    expect(at(steps, 6, 'customers')).toMatchObject({ lock: 'ShareRowExclusiveLock', rewrite: false });
    // A global migration: in public, whose table it looks up there; a constant default is no rewrite.
    const companies = Number((await db.query(`SELECT pg_table_size('public.companies') AS b`)).rows[0].b);
    expect(steps.find((s) => s.scope === 'global')).toMatchObject({
      table: 'companies',
      lock: 'AccessExclusiveLock',
      rewrite: false,
      scan: false,
      schemas: [{ schema: 'public', bytes: companies, rows: 0, estimateMs: expect.any(Number) }],
    });
    // A DO block may lock anything: said, with no table, no lock and no estimate.
    expect(steps.find((s) => s.version === '20250101000500')).toMatchObject({
      table: null,
      lock: null,
      blocksReads: true,
      schemas: [{ schema: 'public', estimateMs: null }],
    });
    expect(steps.find((s) => s.file.endsWith('_concurrent.up.sql'))).toMatchObject({
      line: 2,
      lock: 'ShareUpdateExclusiveLock',
      scan: true,
      blocksReads: false,
      blocksWrites: false,
    });

    const { rows } = await db.query(
      `SELECT pg_table_size('company_big.orders') AS bytes, reltuples FROM pg_class WHERE oid = 'company_big.orders'::regclass`,
    );
    const big = at(steps, 1).schemas.find((s) => s.schema === 'company_big')!;
    expect(big).toMatchObject({ bytes: Number(rows[0].bytes), rows: BIG_ROWS });
    expect(Number(rows[0].reltuples)).toBe(BIG_ROWS);
    expect(
      at(steps, 1)
        .schemas.map((s) => s.schema)
        .sort(),
    ).toEqual([...SMALL, 'company_big'].sort());
    // The binary-coercible change holds its lock for the catalog's time alone, the rewrite for its size's.
    expect(at(steps, 2).schemas.find((s) => s.schema === 'company_big')!.estimateMs).toBeLessThan(big.estimateMs!);

    expect(await snapshot(db)).toBe(before); // plan changed nothing

    // The same statements, run for real on company_big, each three times in a transaction rolled
    // back (the median: the machine is shared): estimate / actual within 0.1x to 10x.
    const ratios: Record<string, number> = {};
    await db.query('SET search_path TO company_big');
    for (const line of [1, 3, 4]) {
      const est = at(steps, line).schemas.find((s) => s.schema === 'company_big')!.estimateMs!;
      const times: number[] = [];
      for (let i = 0; i < 3; i++) {
        await db.query('BEGIN');
        const start = performance.now();
        await db.query(at(steps, line).statement);
        times.push(performance.now() - start);
        await db.query('ROLLBACK');
      }
      ratios[`line ${line}`] = est / times.sort((a, b) => a - b)[1]!;
    }
    console.log('plan estimate / actual on', BIG_ROWS, 'rows:', JSON.stringify(ratios));
    for (const ratio of Object.values(ratios)) {
      expect(ratio).toBeGreaterThan(0.1);
      expect(ratio).toBeLessThan(10);
    }
  }, 120_000);

  test('--max-lock-ms exits 3 naming the statement and schema, 0 under it; alike tenants are one line', async ({
    db,
    dir,
  }) => {
    const { options, env } = await setUp(db, dir);
    const over = await runCli(['plan', '--max-lock-ms', '1'], { env });
    expect(over.code, over.stderr).toBe(3);
    const line = over.stdout.split('\n').find((l) => l.startsWith('over --max-lock-ms 1: '));
    expect(line).toContain(
      'tenant/20250101000200_changes.up.sql:1 (ALTER TABLE orders ALTER COLUMN total TYPE bigint) in company_big: ~',
    );
    expect(line).not.toMatch(/in company_[a-e]:/); // a small tenant's table takes about the catalog's time
    const under = await runCli(['plan', '--max-lock-ms', '100000000'], { env });
    expect(under.code, under.stderr).toBe(0);
    // Under the first statement: company_big apart, the five small ones as one line.
    const block = under.stdout.split('\n').slice(0, 4);
    expect(block[0]).toBe('tenant/20250101000200_changes.up.sql:1 ALTER TABLE orders ALTER COLUMN total TYPE bigint');
    expect(block[1]).toBe('  orders: AccessExclusiveLock (stops reads and writes), rewrites the table');
    expect(block[2]).toMatch(/^ {4}company_big: [\d.]+ MB, 300,000 rows, ~[\d.]+ (ms|s)$/);
    expect(block[3]).toMatch(/^ {4}5 schemas, the largest company_\w: [\d.]+ kB, 100 rows, ~\d+ ms$/);
    expect(under.stdout).toContain(
      '20250101000500_touch.up.sql:1 DO $$ BEGIN UPDATE companies SET name = name; END $$\n  may lock any table: the statement runs code the lock model cannot read\n',
    );
    expect((await plan(options)).steps.length).toBeGreaterThan(0);

    // Over a targets file: each target's plan, one exit code for the gate.
    const fleet = await targetsFileFor(dir, [['eu-1', db]]);
    const overFleet = await runCli(['plan', '--targets', fleet.file, '--max-lock-ms', '1'], {
      env: { ...env, ...fleet.env },
    });
    expect(overFleet.code, overFleet.stderr).toBe(3);
    expect(overFleet.stdout).toContain('== eu-1: ');
    expect(overFleet.stdout).toMatch(/over --max-lock-ms 1: .* in company_big: ~/);
    expect(overFleet.stdout).toContain('plan over 1 target: 0 ok, 1 with findings (eu-1)');

    // up --dry-run: the same lock lines after each file's SQL, from the statements alone.
    const dry = await runCli(['up', '--dry-run'], { env });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(
      '--   line 1: orders: AccessExclusiveLock (stops reads and writes), rewrites the table\n',
    );
    expect(dry.stdout).toContain('--   line 4: orders: ShareLock (stops writes), reads the whole table\n');
    expect(dry.stdout).toContain(
      '--   line 6: customers: ShareRowExclusiveLock (stops writes), reads the whole table\n',
    );
    expect(dry.stdout).toContain(
      '--   line 2: orders: ShareUpdateExclusiveLock (stops neither reads nor writes), reads the whole table\n',
    );

    // --largest-last: company_big (its rewrite estimated over 100 ms) goes last, alone.
    const waves = await runCli(['up', '--waves', '2', '--largest-last', '100', '--dry-run'], { env });
    expect(waves.code, waves.stderr).toBe(0);
    expect(waves.stdout).toContain('  wave 1/4: 2 schemas: company_a, company_b\n');
    expect(waves.stdout).toContain('  wave 4/4: 1 schema: company_big\n');

    // Nothing pending: nothing locked, exit 0 whatever the limit.
    await migrate(options);
    const none = await runCli(['plan', '--max-lock-ms', '0'], { env });
    expect([none.code, none.stdout]).toEqual([0, 'no pending statement locks an existing table\n']);
  }, 120_000);

  test('a dirty tenant schema is not planned and said so; once forced, the next plan has it', async ({ db, dir }) => {
    const migrationsDir = await writeMigrations(dir, FILES);
    await createTenants(db, 'company_a', 'company_b');
    const options = { connection: db.url, migrationsDir, tenantPattern: 'company_%' };
    await migrate(options, { steps: 2 });
    await db.query(
      `UPDATE migrate_tool.migrations SET dirty = true WHERE schema_name = 'company_b' AND version = '20250101000100'`,
    );
    const env = { ...envFor(db.url), MIGRATIONS_DIR: migrationsDir, TENANT_PATTERN: 'company_%' };
    const dirty = await runCli(['plan', '--json'], { env });
    expect(dirty.code, dirty.stderr).toBe(0);
    const doc = JSON.parse(dirty.stdout);
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(doc.refused).toEqual([
      { schema: 'company_b', version: '20250101000100', error: expect.stringContaining('company_b is dirty') },
    ]);
    const tenantSchemas = (steps: LockPlanStep[]) => [
      ...new Set(steps.filter((s) => s.scope === 'tenant').flatMap((s) => s.schemas.map((x) => x.schema))),
    ];
    expect(tenantSchemas(doc.steps)).toEqual(['company_a']);
    const text = await runCli(['plan'], { env });
    expect(text.stdout).toContain(
      'not planned: 1 dirty tenant schema that up refuses until forced: company_b (`migrate-tool tenants --dirty` lists them)\n',
    );

    // Tomorrow: the operator forces it, and the next plan has company_b again, nothing refused.
    expect((await runCli(['force', '20250101000100', '--tenant', 'company_b'], { env })).code).toBe(0);
    const forced = await plan(options);
    expect(forced.refused).toEqual([]);
    expect(tenantSchemas(forced.steps).sort()).toEqual(['company_a', 'company_b']);
  });
});
