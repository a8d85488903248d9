// A schema's consecutive transactional migrations are sent together (src/migrations/chain.ts):
// a lock_timeout in the middle retries from the file that timed out, and what the run reports as
// applied is exactly what the database kept, also when the connection dies mid-chain.
import pg from 'pg';
import { describe, expect, test } from '../support/fixtures';
import { collect, envFor, runCli, spawnCli } from '../support/cli';
import { createTenants, writeMigrations, type Files } from '../support/migrations';
import type { TestDatabase } from '../support/db';

const FILES: Files = {
  '20250101000000_init.up.sql': 'CREATE TABLE companies (id int);',
  'tenant/20250101000100_first.up.sql': 'CREATE TABLE first (id int);',
  'tenant/20250101000200_second.up.sql':
    'SELECT pg_sleep(0.6);\nLOCK TABLE public.companies IN SHARE MODE;\nCREATE TABLE second (id int);',
  'tenant/20250101000300_third.up.sql': 'CREATE TABLE third (id int);',
};

async function applied(db: TestDatabase, schema: string): Promise<string[]> {
  const r = await db.query<{ version: string }>(
    'SELECT version FROM migrate_tool.migrations WHERE schema_name = $1 ORDER BY version',
    [schema],
  );
  return r.rows.map((x) => x.version);
}

async function tables(db: TestDatabase, schema: string): Promise<string[]> {
  const r = await db.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = $1 ORDER BY 1`, [
    schema,
  ]);
  return r.rows.map((x) => x.t);
}

describe('a chain of tenant migrations', () => {
  test('a lock_timeout in its second file is retried from that file: the first is applied once, the rest after it', async ({
    db,
    dir,
  }) => {
    const env = { ...envFor(db.url), MIGRATIONS_DIR: await writeMigrations(dir, FILES) };
    await createTenants(db, 'company_a');
    expect((await runCli(['up', '1'], { env })).code).toBe(0); // public.companies exists
    const app = new pg.Client({ connectionString: db.url });
    await app.connect();
    try {
      await app.query('BEGIN');
      await app.query('LOCK TABLE companies IN ROW EXCLUSIVE MODE'); // conflicts with SHARE
      // The blocker check off: the lock is taken before the run, and what is tested is lock_timeout's retry.
      const child = spawnCli(['up', '--json', '--ddl-lock-timeout', '200ms', '--blocker-timeout', '0'], { env });
      const done = collect(child);
      await new Promise<void>((resolve) => child.stderr!.on('data', (d) => String(d).includes('retry 1') && resolve()));
      await app.query('COMMIT');
      const r = await done;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(
        /company_a: could not get a lock in time \(.*LOCK TABLE public\.companies IN SHARE MODE.*\); retry 1 in 0\.5 s/,
      );
      const out = JSON.parse(r.stdout);
      expect(out.applied.map((a: { version: string }) => a.version)).toEqual([
        '20250101000100',
        '20250101000200',
        '20250101000300',
      ]);
      expect(await applied(db, 'company_a')).toEqual(['20250101000100', '20250101000200', '20250101000300']);
      expect(await tables(db, 'company_a')).toEqual(['first', 'second', 'third']);
    } finally {
      await app.end();
    }
  });

  test('a connection killed in its second file: the first, sent with it, is reported rolled back, as it is', async ({
    db,
    dir,
  }) => {
    const env = { ...envFor(db.url), MIGRATIONS_DIR: await writeMigrations(dir, FILES) };
    await createTenants(db, 'company_a');
    expect((await runCli(['up', '1'], { env })).code).toBe(0);
    const child = spawnCli(['up', '--json'], { env });
    const done = collect(child);
    const sleeping = `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'migrate-tool' AND wait_event = 'PgSleep'`;
    for (let i = 0; i < 200 && !(await db.query(sleeping)).rowCount; i++)
      await new Promise((res) => setTimeout(res, 25));
    await db.query(`SELECT pg_terminate_backend(pid) FROM (${sleeping}) s`);
    const r = await done;
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.applied).toEqual([]);
    expect(out.failed).toEqual([expect.objectContaining({ schema: 'company_a', version: '20250101000200', line: 1 })]);
    expect(out.skipped).toEqual([
      {
        schema: 'company_a',
        version: '20250101000100',
        reason: 'rolled back: it shared a transaction with version 20250101000200, which failed before it committed',
      },
      { schema: 'company_a', version: '20250101000300', reason: 'version 20250101000200 failed in this schema' },
    ]);
    expect(await applied(db, 'company_a')).toEqual([]);
    expect(await tables(db, 'company_a')).toEqual([]);
    expect((await runCli(['up'], { env })).code).toBe(0);
    expect(await tables(db, 'company_a')).toEqual(['first', 'second', 'third']);
  });
});
