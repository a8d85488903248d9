// up and down on a real Citus coordinator: batches that hold the DDL Citus forwards to its workers by
// the text of the query (CREATE and DROP INDEX, ADD CONSTRAINT, RENAME), a CONCURRENTLY file, a
// late tenant, and a failing file that must leave nothing behind, on the workers too.
import { envFor, runCli } from '../support/cli';
import { citusSchema, citusTitle, citusMissing, describe, expect, test } from '../support/citus';
import type { TestDatabase } from '../support/db';
import { createTenants, writeMigrations, type Files } from '../support/migrations';
import { FORWARDED, indexOnWorkers } from './support';

const TENANT_VERSIONS = 4;

const rows = async (db: TestDatabase, schema: string) =>
  (
    await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM migrate_tool.migrations WHERE schema_name = $1`, [
      schema,
    ])
  ).rows[0]!.n;

describe.skipIf(citusMissing)(citusTitle('up and down on a Citus coordinator'), () => {
  test('up runs DDL that Citus forwards by query text in every tenant schema, a late tenant catches up, and down undoes it all', async ({
    db,
    dir,
  }) => {
    const env = { ...envFor(db.url), MIGRATIONS_DIR: await writeMigrations(dir, FORWARDED) };
    await createTenants(db, 'company_a', 'company_b');
    const up = await runCli(['up'], { env });
    expect(up.stderr + up.stdout).toContain('Migration complete!');
    expect(up.code).toBe(0);
    await createTenants(db, 'company_c');
    const late = await runCli(['up'], { env });
    expect(late.code).toBe(0);

    for (const s of ['company_a', 'company_b', 'company_c']) {
      expect(await rows(db, s)).toBe(TENANT_VERSIONS);
      // Each tenant schema is distributed, its tables in one colocation group of their own.
      expect(await citusSchema(db, s)).toEqual({ distributed: true, colocations: 1, tables: 1 });
      expect(await indexOnWorkers(db, `${s}.items`, 'items_name_idx')).toBe(1);
      expect(await indexOnWorkers(db, `${s}.items`, 'items_title_idx')).toBe(1);
      // The constraint is on the shard: the worker refuses the row.
      await expect(db.query(`INSERT INTO ${s}.items (title) VALUES (repeat('x', 30))`)).rejects.toThrow(
        /items_name_short/,
      );
    }
    // The state stays local on the coordinator.
    expect((await citusSchema(db, 'migrate_tool')).distributed).toBe(false);

    const down = await runCli(['down', String(TENANT_VERSIONS)], { env });
    expect(down.stderr + down.stdout).not.toMatch(/error|[1-9][\d,]* failed|Rollback failed/i);
    expect(down.code).toBe(0);
    for (const s of ['company_a', 'company_b', 'company_c']) {
      expect(await rows(db, s)).toBe(0);
      expect((await db.query(`SELECT to_regclass($1) AS t`, [`${s}.items`])).rows[0].t).toBeNull();
    }
    expect(await rows(db, 'public')).toBe(1);
  });

  test('a failing file in a chain leaves nothing on the workers and no state row, keeps the files before it, and names its statement', async ({
    db,
    dir,
  }) => {
    const files = {
      ...FORWARDED,
      'tenant/20250101000300_rename.up.sql':
        'CREATE INDEX items_id_name_idx ON items (id, name);\nALTER TABLE items ADD CONSTRAINT bad CHECK (nowhere > 0);',
    };
    delete (files as Files)['tenant/20250101000400_concurrently.up.sql'];
    delete (files as Files)['tenant/20250101000400_concurrently.down.sql'];
    const env = { ...envFor(db.url), MIGRATIONS_DIR: await writeMigrations(dir, files) };
    await createTenants(db, 'company_a', 'company_b');
    const r = await runCli(['up', '--json'], { env });
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as {
      failed: Array<{ schema: string; version: string; file: string; line: number; statement: string; error: string }>;
    };
    expect(out.failed.map((f) => f.schema).sort()).toEqual(['company_a', 'company_b']);
    for (const f of out.failed) {
      expect(f.version).toBe('20250101000300');
      expect(f.line).toBe(2);
      expect(f.statement).toBe('ALTER TABLE items ADD CONSTRAINT bad CHECK (nowhere > 0)');
      expect(f.error).toContain('nowhere');
    }
    for (const s of ['company_a', 'company_b']) {
      // The two files before it committed; the failing one left neither its index nor its row.
      expect(await rows(db, s)).toBe(2);
      expect(await indexOnWorkers(db, `${s}.items`, 'items_name_idx')).toBe(1);
      expect(await indexOnWorkers(db, `${s}.items`, 'items_id_name_idx')).toBe(0);
      expect(
        (
          await db.query(
            `SELECT count(*)::int AS n FROM pg_indexes WHERE schemaname = $1 AND indexname = 'items_id_name_idx'`,
            [s],
          )
        ).rows[0].n,
      ).toBe(0);
    }
  });
});
