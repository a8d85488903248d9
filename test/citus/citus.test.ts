// Citus support seen from plain PostgreSQL: detection says "not Citus", the local-schema SQL is valid
// and changes nothing beyond its own transaction, the refusal's words, and `up` on plain PostgreSQL
// sends none of it. The same on a real cluster: the other files of this folder.
import { describe, expect, test } from '../support/fixtures';
import { envFor, runCli } from '../support/cli';
import { BASIC, createTenants, writeMigrations } from '../support/migrations';
import { citusInfo, distributedStateError, localSchemaDdl, refuseDistributedState } from '../../src/db/citus';

const q = (db: { query(sql: string, params?: unknown[]): Promise<{ rows: unknown[] }> }) => ({
  query: (sql: string, params?: unknown[]) => db.query(sql, params),
});

describe('citus', () => {
  test('detection returns nothing on plain PostgreSQL, and the refusal lets it through', async ({ db }) => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const client = q(db) as any;
    expect(await citusInfo(client, 'migrate_tool')).toBeUndefined();
    await expect(refuseDistributedState(client, 'migrate_tool')).resolves.toBeUndefined();
  });

  test('the local-schema DDL is valid without Citus and its setting ends with its transaction', async ({ db }) => {
    await db.query(localSchemaDdl('CREATE SCHEMA kept_local; CREATE TABLE kept_local.t (id int);'));
    expect((await db.query(`SELECT to_regclass('kept_local.t') AS t`)).rows[0].t).toBe('kept_local.t');
    // SET LOCAL: the next statement of the session sees no trace of it.
    const after = await db.query(`SELECT current_setting('citus.enable_schema_based_sharding', true) AS v`);
    expect([null, '']).toContain(after.rows[0].v);
  });

  test('a distributed state schema is refused with the way to undistribute it', () => {
    const e = distributedStateError('migrate_tool', {
      version: 'Citus 13.2.0 on x86_64-pc-linux-gnu, compiled by gcc',
      distributed: true,
    });
    expect(e.message).toContain('Citus 13.2.0');
    expect(e.message).not.toContain('x86_64');
    expect(e.advice).toBe(
      "make it a local schema on the coordinator: SELECT citus_schema_undistribute('migrate_tool'); then run again",
    );
  });

  test('up on plain PostgreSQL creates the state as before, and a failing tenant migration names its schema', async ({
    db,
    dir,
  }) => {
    const files = {
      ...BASIC,
      'tenant/20250101000300_fk.up.sql':
        'ALTER TABLE employees ADD COLUMN company_id int REFERENCES public.nowhere (id);',
    };
    const env = { ...envFor(db.url), MIGRATIONS_DIR: await writeMigrations(dir, files) };
    await createTenants(db, 'company_a');
    const r = await runCli(['up'], { env });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/company_a/);
    expect(
      (await db.query(`SELECT count(*)::int AS n FROM migrate_tool.migrations WHERE schema_name = 'company_a'`)).rows[0]
        .n,
    ).toBe(2);
  });
});
