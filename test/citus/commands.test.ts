// The read and record commands on a real Citus coordinator: version, status, tenants, force and
// drift over distributed tenant schemas, and a state schema that Citus distributed (left by an
// earlier release) refused with the way out that works.
import { envFor, runCli } from '../support/cli';
import { citusSchema, citusTitle, citusMissing, describe, expect, test } from '../support/citus';
import { createTenants, writeMigrations, BASIC } from '../support/migrations';
import { FORWARDED, indexOnWorkers } from './support';

const LAST = '20250101000400';

describe.skipIf(citusMissing)(citusTitle('the other commands on a Citus coordinator'), () => {
  test('version, status and tenants report, force records, and up re-runs what force took back', async ({
    db,
    dir,
  }) => {
    const env = { ...envFor(db.url), MIGRATIONS_DIR: await writeMigrations(dir, FORWARDED) };
    await createTenants(db, 'company_a', 'company_b');
    expect((await runCli(['up'], { env })).code).toBe(0);

    const version = await runCli(['version'], { env });
    expect(version.stdout).toMatch(new RegExp(`^${LAST}\\ndirty: false\\n`));
    expect(version.code).toBe(0);
    const status = await runCli(['status', '--json', '--exit-code'], { env });
    expect(status.code).toBe(0);
    const report = JSON.parse(status.stdout) as {
      migrations: Array<{ applied: boolean; tenantsApplied?: number }>;
      tenants: { count: number };
    };
    expect(report.migrations.every((m) => m.applied)).toBe(true);
    expect(report.tenants.count).toBe(2);

    // Take the CONCURRENTLY file back in company_a, its index dropped by hand (as its .down.sql would).
    await db.query('DROP INDEX company_a.items_title_idx');
    const force = await runCli(['force', '20250101000300', '--tenant', 'company_a', '--forget-applied'], { env });
    expect(force.code).toBe(0);
    const tenants = await runCli(['tenants', '--json'], { env });
    const list = (JSON.parse(tenants.stdout) as { tenants: Array<{ schema: string; version: string; behind: number }> })
      .tenants;
    expect(list.map((t) => [t.schema, t.version, t.behind])).toEqual([
      ['company_a', '20250101000300', 1],
      ['company_b', LAST, 0],
    ]);
    expect((await runCli(['status', '--exit-code'], { env })).code).toBe(3);
    expect((await runCli(['up'], { env })).code).toBe(0);
    expect(await indexOnWorkers(db, 'company_a.items', 'items_title_idx')).toBe(1);
    expect((await runCli(['status', '--exit-code'], { env })).code).toBe(0);
  });

  test('drift sees distributed tenant schemas as their migrations build them, and a change made through the coordinator', async ({
    db,
    dir,
  }) => {
    const env = { ...envFor(db.url), MIGRATIONS_DIR: await writeMigrations(dir, FORWARDED) };
    await createTenants(db, 'company_a', 'company_b');
    expect((await runCli(['up'], { env })).code).toBe(0);
    const clean = await runCli(['drift'], { env });
    expect(clean.stdout).toContain('3 match');
    expect(clean.code).toBe(0);

    await db.query('CREATE INDEX items_extra_idx ON company_b.items (id, title)');
    const drifted = await runCli(['drift', '--json'], { env });
    expect(drifted.code).toBe(3);
    const out = JSON.parse(drifted.stdout) as { groups: Array<{ schemas: string[]; summary: string }> };
    expect(out.groups.map((g) => g.schemas)).toEqual([['company_b']]);
    expect(out.groups[0]!.summary).toContain('items_extra_idx');
  });

  test('a state schema that Citus distributed is refused with the fix, and the fix works', async ({ db, dir }) => {
    const env = { ...envFor(db.url), MIGRATIONS_DIR: await writeMigrations(dir, BASIC) };
    // What a release before the local state schema left: CREATE SCHEMA with schema-based sharding on.
    await createTenants(db, 'migrate_tool', 'company_a');
    expect((await citusSchema(db, 'migrate_tool')).distributed).toBe(true);
    for (const argv of [['up'], ['status']]) {
      const r = await runCli(argv, { env });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/is a Citus distributed schema \(Citus 13\.\d+\.\d+\)/);
      expect(r.stderr).toContain("SELECT citus_schema_undistribute('migrate_tool')");
    }
    await db.query(`SELECT citus_schema_undistribute('migrate_tool')`);
    const up = await runCli(['up'], { env });
    expect(up.code).toBe(0);
    expect((await citusSchema(db, 'migrate_tool')).distributed).toBe(false);
    expect(await citusSchema(db, 'company_a')).toEqual({ distributed: true, colocations: 1, tables: 1 });
  });
});
