// Runs that meet other runs, locks, killed connections and killed processes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import pg from 'pg';
import { describe, expect, test } from '../support/fixtures';
import { collect, envFor, ROOT, runCli, spawnCli } from '../support/cli';
import { createTenants, writeMigrations, type Files } from '../support/migrations';
import type { TestDatabase } from '../support/db';

const TENANTS = Array.from({ length: 8 }, (_, i) => `company_${String(i + 1).padStart(2, '0')}`);

/** Each tenant migration takes ~0.4 s, leaving time to interfere with a run. */
const SLOW: Files = {
  '20250101000000_init.up.sql': 'CREATE TABLE companies (id int);',
  'tenant/20250101000100_slow.up.sql':
    'CREATE TABLE employees (id int);\nSELECT pg_sleep(0.4);\nCREATE TABLE branches (id int);',
  'tenant/20250101000100_slow.down.sql': 'DROP TABLE branches; DROP TABLE employees;',
};

async function setup(db: TestDatabase, dir: string, files: Files) {
  const root = await writeMigrations(dir, files);
  await createTenants(db, ...TENANTS);
  return { ...envFor(db.url), MIGRATIONS_DIR: root };
}

/** Every schema either has the whole migration and its state row, or neither. */
async function expectNothingHalfApplied(db: TestDatabase) {
  const exists = await db.query(`SELECT to_regclass('migrate_tool.migrations') AS t`);
  if (exists.rows[0].t === null) await db.query('CREATE TEMP TABLE migrations (schema_name text, version text)');
  const r = await db.query<{ schema: string; employees: boolean; branches: boolean; recorded: boolean }>(
    `SELECT n.nspname AS schema,
            to_regclass(format('%I.employees', n.nspname)) IS NOT NULL AS employees,
            to_regclass(format('%I.branches', n.nspname)) IS NOT NULL AS branches,
            EXISTS (SELECT 1 FROM ${exists.rows[0].t === null ? 'pg_temp' : 'migrate_tool'}.migrations m WHERE m.schema_name = n.nspname AND m.version = '20250101000100') AS recorded
       FROM pg_namespace n WHERE n.nspname LIKE 'company_%' ORDER BY 1`,
  );
  for (const row of r.rows) {
    expect([row.employees, row.branches], row.schema).toEqual([row.recorded, row.recorded]);
  }
  return r.rows.filter((x) => x.recorded).length;
}

async function waitFor(db: TestDatabase, sql: string, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    // The state table may not exist yet: that counts as "not yet".
    if ((await db.query(sql).catch(() => ({ rowCount: 0 }))).rowCount) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for: ${sql}`);
}

/** Runs `fn` while another session, named other-run, holds migrate-tool's run lock. */
async function whileLockHeld(db: TestDatabase, fn: () => Promise<void>) {
  const holder = new pg.Client({ connectionString: db.url, application_name: 'other-run' });
  await holder.connect();
  try {
    await holder.query(`SELECT pg_advisory_lock('7883946363647714609'::bigint)`);
    await fn();
  } finally {
    await holder.end();
  }
}

const RUNNING_SLEEP = `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'migrate-tool' AND query LIKE '%pg_sleep%' AND state = 'active'`;

describe('concurrent runs', () => {
  test('four concurrent up processes apply each migration once per schema', async ({ db, dir }) => {
    const env = await setup(db, dir, SLOW);
    const results = await Promise.all(Array.from({ length: 4 }, () => runCli(['up', '--json'], { env })));
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    const applied = results.flatMap((r) => JSON.parse(r.stdout).applied as Array<{ schema: string; version: string }>);
    const keys = applied.map((a) => `${a.schema}@${a.version}`);
    expect(keys).toHaveLength(1 + TENANTS.length);
    expect(new Set(keys).size).toBe(keys.length);
    expect(results.filter((r) => JSON.parse(r.stdout).applied.length === 0)).toHaveLength(3);
    const rows = await db.query('SELECT count(*)::int AS n FROM migrate_tool.migrations');
    expect(rows.rows[0].n).toBe(1 + TENANTS.length);
  });

  test('a run that cannot get the lock in --lock-timeout exits 1 and names the holder', async ({ db, dir }) => {
    const env = await setup(db, dir, SLOW);
    await whileLockHeld(db, async () => {
      const r = await runCli(['up', '--lock-timeout', '1'], { env });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('Waiting for another migrate-tool run to finish (lock held by pid');
      expect(r.stderr).toMatch(
        /error: Another migrate-tool run holds the lock on \w+ \(pid \d+, other-run.*\) and did not finish within 1 s/,
      );
      expect(await expectNothingHalfApplied(db)).toBe(0);
    });
  });

  test('Ctrl-C while waiting for the lock says so and exits 1, instead of reporting a timeout', async ({ db, dir }) => {
    const env = await setup(db, dir, SLOW);
    await whileLockHeld(db, async () => {
      const child = spawnCli(['up'], { env });
      const done = collect(child);
      await new Promise<void>((resolve) =>
        child.stderr!.on('data', (d) => String(d).includes('Waiting for another') && resolve()),
      );
      child.kill('SIGINT');
      const r = await done;
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /error: Interrupted while waiting for another migrate-tool run's lock on \w+ \(pid \d+, other-run.*\); nothing was changed/,
      );
      expect(await expectNothingHalfApplied(db)).toBe(0);
    });
  });

  test('a statement that cannot get its table lock within lock_timeout is retried with backoff', async ({
    db,
    dir,
  }) => {
    const env = await setup(db, dir, {
      '20250101000000_init.up.sql': 'CREATE TABLE companies (id int);',
      '20250101000100_add_name.up.sql': 'ALTER TABLE companies ADD COLUMN name text;',
    });
    expect((await runCli(['up', '1'], { env })).code).toBe(0);
    const app = new pg.Client({ connectionString: db.url });
    await app.connect();
    try {
      await app.query('BEGIN');
      await app.query('LOCK TABLE companies IN ACCESS SHARE MODE'); // a long read, as an app would hold
      // The blocker check off (it would wait for the lock instead): what is tested is lock_timeout's retry.
      const child = spawnCli(['up', '--ddl-lock-timeout', '1', '--blocker-timeout', '0'], { env });
      const done = collect(child);
      // Release the lock once a try has timed out, however long the CLI took to start.
      await new Promise<void>((resolve) => child.stderr!.on('data', (d) => String(d).includes('retry 1') && resolve()));
      await app.query('COMMIT');
      const r = await done;
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/public: could not get a lock in time .*; retry 1 in 0.5 s/);
      const cols = await db.query(
        `SELECT 1 FROM information_schema.columns WHERE table_name = 'companies' AND column_name = 'name'`,
      );
      expect(cols.rowCount).toBe(1);
    } finally {
      await app.end();
    }
  });
});

describe('interrupted runs', () => {
  test('a connection killed mid-run exits 1, and a re-run completes', async ({ db, dir }) => {
    const env = await setup(db, dir, SLOW);
    const child = spawnCli(['up', '--concurrency', '2'], { env });
    const done = collect(child);
    await waitFor(db, RUNNING_SLEEP);
    await db.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'migrate-tool'`,
    );
    const r = await done;
    expect(r.code).toBe(1);
    // The lock's own connection was among those killed.
    expect(r.stderr).toContain('error: Lost the connection that held the run lock');
    await expectNothingHalfApplied(db);
    const again = await runCli(['up'], { env });
    expect(again.code).toBe(0);
    expect(await expectNothingHalfApplied(db)).toBe(TENANTS.length);
  });

  test("with --json, a run whose lock is lost writes one JSON document: each schema's outcome and the error", async ({
    db,
    dir,
  }) => {
    const env = await setup(db, dir, SLOW);
    const child = spawnCli(['up', '--concurrency', '2', '--json'], { env });
    const done = collect(child);
    await waitFor(db, RUNNING_SLEEP);
    await db.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'migrate-tool'`,
    );
    const r = await done;
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout); // throws on two documents
    expect(doc.error).toMatchObject({ code: 'LOCK_LOST' });
    const ajv = new Ajv({ allErrors: true, strict: true });
    const upSchema = ajv.compile(JSON.parse(readFileSync(join(ROOT, 'docs/schema/up.schema.json'), 'utf8')));
    expect(upSchema(doc), ajv.errorsText(upSchema.errors)).toBe(true);
  });

  test('kill -9 of the CLI mid-run leaves nothing half-applied, and a re-run completes', async ({ db, dir }) => {
    const env = await setup(db, dir, SLOW);
    const child = spawnCli(['up', '--concurrency', '2'], { env });
    const done = collect(child);
    await waitFor(db, `SELECT 1 FROM migrate_tool.migrations WHERE schema_name LIKE 'company_%'`);
    child.kill('SIGKILL');
    const r = await done;
    expect(r.signal).toBe('SIGKILL');
    const partial = await expectNothingHalfApplied(db);
    expect(partial).toBeLessThan(TENANTS.length);
    const again = await runCli(['up'], { env });
    expect(again.code).toBe(0);
    expect(await expectNothingHalfApplied(db)).toBe(TENANTS.length);
  });

  test('Ctrl-C lets running migrations finish, starts nothing new, releases the lock and exits 1', async ({
    db,
    dir,
  }) => {
    const env = await setup(db, dir, SLOW);
    const child = spawnCli(['up', '--concurrency', '2', '--json'], { env });
    const done = collect(child);
    await waitFor(db, RUNNING_SLEEP);
    child.kill('SIGINT');
    const r = await done;
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.interrupted).toBe(true);
    expect(out.applied.filter((a: { scope: string }) => a.scope === 'tenant').length).toBeGreaterThanOrEqual(1);
    expect(out.skipped.every((s: { reason: string }) => s.reason === 'interrupted')).toBe(true);
    expect(out.applied.length + out.skipped.length).toBe(1 + TENANTS.length);
    expect(await expectNothingHalfApplied(db)).toBe(out.applied.length - 1);
    const again = await runCli(['up', '--lock-timeout', '0'], { env }); // the lock was released
    expect(again.code).toBe(0);
  });
});
