// The online features on a real Citus coordinator, schema-based sharding, where a tenant's tables
// live on a worker and the tool's state (migrate_tool.*) on the coordinator: a backfill's batch
// updates a worker's table and its progress row in one transaction; plan reads a tenant table's
// size through the coordinator; a contract file waits, then runs, as on one server.
import { migrate, plan, status } from '../../src/index';
import { citusMissing, citusTitle, describe, expect, test } from '../support/citus';
import { createTenants, writeMigrations } from '../support/migrations';

const FILES = {
  'tenant/20250101000100_items.up.sql':
    'CREATE TABLE items (id int PRIMARY KEY, c int);\nINSERT INTO items SELECT g, NULL FROM generate_series(1, 2500) g;',
  'tenant/20250101000200_fill_c.up.sql': '-- migrate:backfill\nUPDATE items SET c = id * 2 WHERE c IS NULL;',
  'tenant/20250101000300_c_not_null.up.sql': 'ALTER TABLE items ALTER COLUMN c SET NOT NULL;',
  'tenant/20250101000400_drop_old.up.sql': '-- migrate:contract\nALTER TABLE items DROP COLUMN c;',
};

describe.skipIf(citusMissing)(citusTitle('backfill, plan and contract on a Citus coordinator'), () => {
  test('a backfill runs in batches on the workers, keeps its progress on the coordinator, and is recorded; plan sees the table; the contract waits, then runs', async ({
    db,
    dir,
  }) => {
    const migrationsDir = await writeMigrations(dir, FILES);
    await createTenants(db, 'company_a', 'company_b');
    const batches: number[] = [];
    const options = {
      connection: db.url,
      migrationsDir,
      backfillBatch: 1000,
      onEvent: (e: { type: string; rowsDone?: number }) => void (e.type === 'backfill' && batches.push(e.rowsDone!)),
    };
    await migrate(options, { steps: 1 });

    const planned = await plan(options);
    const step = planned.steps.find((s) => s.statement.includes('SET NOT NULL'))!;
    expect(step.lock).toBe('AccessExclusiveLock');
    expect(step.schemas.map((s) => s.schema).sort()).toEqual(['company_a', 'company_b']);

    const first = await migrate(options);
    expect(first.result!.failed).toEqual([]);
    // 2,500 rows in batches of 1,000: three batches per schema, progress counted as they commit.
    expect(batches.filter((n) => n === 2500)).toHaveLength(2);
    expect(Math.max(...batches)).toBe(2500);
    for (const schema of ['company_a', 'company_b']) {
      const r = await db.query(`SELECT count(*)::int AS n FROM ${schema}.items WHERE c = id * 2`);
      expect(r.rows[0].n).toBe(2500);
    }
    expect((await db.query('SELECT count(*)::int AS n FROM migrate_tool.backfills')).rows[0].n).toBe(0);
    // The contract file waits for `up --contract`.
    expect(first.plan.contractsWaiting?.length).toBe(1);
    const report = await status(options);
    expect(report.contracts?.map((w) => [w.ready, w.schemas])).toEqual([[3, 3]]);

    const contract = await migrate(options, { contract: true });
    expect(contract.result!.failed).toEqual([]);
    const c = await db.query(
      `SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'c'`,
    );
    expect(c.rows[0].n).toBe(0);
  });
});
