// On a Citus coordinator with schema-based sharding on, as far as a stand-in extension can show it
// (test/support/citus-standin.ts: citus_version(), pg_dist_schema, and CREATE SCHEMA made
// distributed while the setting is on): the state schema is created local, a distributed one (left
// by an older release) is refused with the way to undistribute it, and tenant schemas stay Citus's.
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { citusInfo } from '../../src/db/citus';
import { describe, expect, test } from '../support/fixtures';
import { envFor, runCli } from '../support/cli';
import { BASIC, writeMigrations } from '../support/migrations';
import { citusStandInMissing, startCitusStandIn, type StandIn } from '../support/citus-standin';

describe.skipIf(citusStandInMissing)(`a Citus coordinator (stand-in)${citusStandInMissing ? ` (skipped: ${citusStandInMissing})` : ''}`, () => {
  let server: StandIn;
  let url: string;
  let client: pg.Client;
  beforeAll(async () => {
    server = await startCitusStandIn();
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query('CREATE DATABASE coordinator');
    await admin.end();
    const u = new URL(server.url);
    u.pathname = '/coordinator';
    url = u.toString();
    client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('CREATE EXTENSION citus');
    // As on the cluster of the report: every new session has schema-based sharding on.
    await client.query('ALTER DATABASE coordinator SET citus.enable_schema_based_sharding = on');
    await client.end();
    client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('CREATE SCHEMA company_a; CREATE SCHEMA company_b');
  }, 180_000);
  afterAll(async () => {
    await client?.end().catch(() => {});
    await server?.stop();
  });

  const distributed = async (schema: string) =>
    (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_dist_schema WHERE schemaid = to_regnamespace($1)`, [schema])).rows[0]!.n;

  test('up keeps its state schema local, tenant schemas stay distributed, and a distributed state schema is refused with the fix', async ({ dir }) => {
    expect(await distributed('company_a')).toBe(1); // the stand-in distributes schemas as Citus does
    const env = { ...envFor(url), MIGRATIONS_DIR: await writeMigrations(dir, BASIC) };
    const first = await runCli(['up'], { env });
    expect(first.stderr + first.stdout).toContain('Migration complete!');
    expect(first.code).toBe(0);
    expect(await distributed('migrate_tool')).toBe(0);
    expect(await distributed('company_b')).toBe(1);
    expect((await runCli(['up'], { env })).stdout).toContain('no change');
    // The extension's own objects are not drift; the scratch database has no extension at all.
    const drift = await runCli(['drift'], { env });
    expect(drift.stdout).toContain('3 match');
    expect(drift.code).toBe(0);

    const info = await citusInfo(client, 'company_a');
    expect(info).toEqual({ version: expect.stringContaining('Citus 13.2.0'), distributed: true });

    // What an earlier release left: the state schema made distributed.
    await client.query(`INSERT INTO pg_dist_schema VALUES ('migrate_tool'::regnamespace, 2)`);
    for (const argv of [['up'], ['status']]) {
      const r = await runCli(argv, { env });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('is a Citus distributed schema (Citus 13.2.0 (stand-in))');
      expect(r.stderr).toContain("SELECT citus_schema_undistribute('migrate_tool')");
    }
    await client.query(`DELETE FROM pg_dist_schema WHERE schemaid = 'migrate_tool'::regnamespace`);
    expect((await runCli(['status', '--exit-code'], { env })).code).toBe(0);
  });
});
