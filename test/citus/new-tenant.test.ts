// A new tenant on a real Citus coordinator: migrateTenant() runs a bare schema's chain in one
// transaction, or hands it a spare that `up` built (tenantSpares), renamed. Either way the schema
// must be a distributed schema of its own, its tables in one colocation group placed on a worker,
// with the indexes and constraints its files build, and usable through the coordinator.
import { migrate, migrateTenant, status, type Event } from '../../src/index';
import { citusMissing, citusSchema, citusTitle, describe, expect, test } from '../support/citus';
import type { TestDatabase } from '../support/db';
import { createTenants, writeMigrations } from '../support/migrations';
import { FORWARDED, indexOnWorkers } from './support';

const VERSIONS = ['20250101000100', '20250101000200', '20250101000300', '20250101000400'];

/** The schema works as a tenant built by `up`: distributed alone, indexes and constraints on its shard, rows in and out. */
async function isWholeTenant(db: TestDatabase, schema: string, others: string[]): Promise<void> {
  expect(await citusSchema(db, schema)).toEqual({ distributed: true, colocations: 1, tables: 1 });
  const groups = await db.query<{ schema: string; colocation: number }>(
    `SELECT n.nspname AS schema, s.colocationid AS colocation FROM pg_dist_schema s JOIN pg_namespace n ON n.oid = s.schemaid WHERE n.nspname = ANY($1::text[])`,
    [[schema, ...others]],
  );
  expect(new Set(groups.rows.map((r) => r.colocation)).size).toBe(1 + others.length);
  for (const index of ['items_name_idx', 'items_title_idx'])
    expect(await indexOnWorkers(db, `${schema}.items`, index)).toBe(1);
  await db.query(`INSERT INTO ${schema}.items (title) VALUES ('first')`);
  expect((await db.query(`SELECT title FROM ${schema}.items`)).rows).toEqual([{ title: 'first' }]);
  await expect(db.query(`INSERT INTO ${schema}.items (title) VALUES (repeat('x', 30))`)).rejects.toThrow(
    /items_name_short/,
  );
  const rows = await db.query(`SELECT version FROM migrate_tool.migrations WHERE schema_name = $1 ORDER BY 1`, [
    schema,
  ]);
  expect(rows.rows.map((r) => r.version)).toEqual(VERSIONS);
}

describe.skipIf(citusMissing)(citusTitle('a new tenant on a Citus coordinator'), () => {
  test("migrateTenant runs a bare schema's chain in one transaction", async ({ db, dir }) => {
    // The chain is one transaction only without a no-transaction file: leave CONCURRENTLY out.
    const files = { ...FORWARDED };
    files['tenant/20250101000400_concurrently.up.sql'] = 'CREATE INDEX items_title_idx ON items (title);';
    files['tenant/20250101000400_concurrently.down.sql'] = 'DROP INDEX items_title_idx;';
    const migrationsDir = await writeMigrations(dir, files);
    await createTenants(db, 'company_a');
    expect((await migrate({ connection: db.url, migrationsDir })).result?.failed).toEqual([]);
    await createTenants(db, 'company_new');
    const events: Event[] = [];
    const out = await migrateTenant(
      { connection: db.url, migrationsDir, onEvent: (e) => events.push(e) },
      'company_new',
    );
    expect(out.result?.failed).toEqual([]);
    // One chain: every version started before any finished (file by file, each would start and finish in turn).
    const kinds = events.filter((e) => e.type === 'migration:start' || e.type === 'schema:done').map((e) => e.type);
    expect(kinds).toEqual([...VERSIONS.map(() => 'migration:start'), ...VERSIONS.map(() => 'schema:done')]);
    await isWholeTenant(db, 'company_new', ['company_a']);
  });

  test('a spare that up built is renamed to the new schema and is still a distributed schema of its own', async ({
    db,
    dir,
  }) => {
    const migrationsDir = await writeMigrations(dir, FORWARDED);
    await createTenants(db, 'company_a');
    const first = await migrate({ connection: db.url, migrationsDir, tenantSpares: 1 });
    expect(first.spares).toEqual({ ready: 1, built: 1, dropped: 0 });

    await createTenants(db, 'company_new');
    const events: Event[] = [];
    const out = await migrateTenant(
      { connection: db.url, migrationsDir, onEvent: (e) => events.push(e) },
      'company_new',
    );
    expect(out.result?.failed).toEqual([]);
    const taken = events.find((e) => e.type === 'tenant:spare') as { spare: string } | undefined;
    expect(taken?.spare).toMatch(/^migrate_tool_spare_/);
    expect((await db.query(`SELECT to_regnamespace($1) AS n`, [taken!.spare])).rows[0].n).toBeNull();
    await isWholeTenant(db, 'company_new', ['company_a']);
    expect((await status({ connection: db.url, migrationsDir })).tenants).toMatchObject({
      count: 2,
      behind: [],
      dirty: [],
    });
  });
});
