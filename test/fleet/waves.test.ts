// Staged rollouts: the canary alone first, then waves; a failure stops the rollout with nothing
// else started, and re-running `up` resumes from where it stopped. Over a fleet and on one database.
import { afterAll, beforeAll } from 'vitest';
import { envFor, runCli } from '../support/cli';
import { describe, expect, test } from '../support/fixtures';
import { BASIC, writeMigrations } from '../support/migrations';
import type { OwnServer } from '../support/own-server';
import { dbUrl, FLEET_PASSWORD, fleetDoc, freshDatabase, query, startServers, tables, writeTargets } from './support';

let servers: OwnServer[] = [];
beforeAll(async () => {
  servers = await startServers(2);
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

interface RolloutDoc {
  rollout: { canary: string[]; waves: string[][] };
  stages: Array<{ label: string; ok: boolean; failed: number }>;
  stopped?: string;
}

describe('a staged rollout', () => {
  test('over a fleet: a failing canary stops the rollout with nothing else migrated; re-running up resumes', async ({
    dir,
  }) => {
    const migrations = await writeMigrations(dir, BASIC);
    const eu = await freshDatabase(
      servers[0]!,
      ['company_a', 'company_bad', 'company_c'],
      'CREATE TABLE company_bad.employees (x int);',
    );
    const us = await freshDatabase(servers[1]!, ['company_d', 'company_e']);
    const file = await writeTargets(dir, [
      { name: 'eu-1', port: servers[0]!.port, database: eu },
      { name: 'us-1', port: servers[1]!.port, database: us },
    ]);
    const env = { FLEET_PW: FLEET_PASSWORD, MIGRATIONS_DIR: migrations };
    const args = ['up', '--targets', file, '--canary', 'eu-1:company_bad', '--waves', '2'];

    const first = await runCli(args, { env });
    expect(first.code).toBe(1);
    expect(first.stdout).toContain('Canary FAILED: 1 schema failed (budget 0)');
    expect(first.stdout).toContain('Rollout stopped after canary');
    expect(first.stdout).not.toMatch(/Wave 1/);
    // The global migrations ran with the canary; no other tenant schema was touched.
    expect(await tables(dbUrl(servers[1]!, us), 'public')).toEqual(['companies']);
    for (const [server, db, schema] of [
      [0, eu, 'company_a'],
      [0, eu, 'company_c'],
      [1, us, 'company_d'],
      [1, us, 'company_e'],
    ] as const)
      expect(await tables(dbUrl(servers[server]!, db), schema)).toEqual([]);

    await query(dbUrl(servers[0]!, eu), 'DROP TABLE company_bad.employees');
    const resumed = await runCli([...args, '--json'], { env });
    expect(resumed.code).toBe(0);
    const doc = fleetDoc(resumed.stdout) as RolloutDoc;
    // Round-robin across targets, each target's schemas by name: a wave spreads over the servers.
    expect(doc.rollout).toEqual({
      canary: ['eu-1:company_bad'],
      waves: [
        ['eu-1:company_a', 'us-1:company_d'],
        ['eu-1:company_c', 'us-1:company_e'],
      ],
    });
    expect(doc.stages.map((s) => [s.label, s.ok])).toEqual([
      ['canary', true],
      ['wave 1/2', true],
      ['wave 2/2', true],
    ]);
    expect(await tables(dbUrl(servers[1]!, us), 'company_e')).toEqual(['employees']);
    expect(resumed.stdout + resumed.stderr + first.stdout + first.stderr).not.toContain(FLEET_PASSWORD);
  });

  test('on one database: a wave over its failure budget stops the rollout; later waves are not started', async ({
    dir,
  }) => {
    const migrations = await writeMigrations(dir, BASIC);
    const schemas = ['company_01', 'company_02', 'company_03', 'company_04', 'company_05', 'company_06'];
    const db = await freshDatabase(servers[0]!, schemas, 'CREATE TABLE company_04.employees (x int);');
    const env = { ...envFor(dbUrl(servers[0]!, db)), MIGRATIONS_DIR: migrations };

    const plan = await runCli(['up', '--canary', '1', '--waves', '2', '--dry-run'], { env });
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('canary company_01 with the global migrations');
    expect(plan.stdout).toContain('wave 3/3: 1 schema: company_06');

    const first = await runCli(['up', '--canary', '1', '--waves', '2', '--json'], { env });
    expect(first.code).toBe(1);
    const doc = fleetDoc(first.stdout) as RolloutDoc;
    expect(doc.stages.map((s) => [s.label, s.ok, s.failed])).toEqual([
      ['canary', true, 0],
      ['wave 1/3', true, 0],
      ['wave 2/3', false, 1],
    ]);
    expect(doc.stopped).toBe('failed');
    expect(await tables(dbUrl(servers[0]!, db), 'company_05')).toEqual(['employees']); // its wave ran
    expect(await tables(dbUrl(servers[0]!, db), 'company_06')).toEqual([]); // the next did not start

    // With a budget of one failed schema per wave the rollout goes on past the failure (and still exits 1).
    const budget = await runCli(['up', '--waves', '50%', '--failure-budget', '1'], { env });
    expect(budget.code).toBe(1);
    expect(budget.stdout).toContain('Rollout finished with failures');
    expect(await tables(dbUrl(servers[0]!, db), 'company_06')).toEqual(['employees']);
  });

  test("a rollout's failures give the CLI's remedies, never the library's calls", async ({ dir }) => {
    const migrations = await writeMigrations(dir, BASIC);
    const db = await freshDatabase(servers[1]!, ['company_a', 'company_b']);
    const env = { ...envFor(dbUrl(servers[1]!, db)), MIGRATIONS_DIR: migrations };
    expect((await runCli(['up'], { env })).code).toBe(0);
    const LIBRARY = /force\(options|\bmigrate\(\)|\b\w+Ms\b|\{ tenant:/;

    // A dirty tenant schema is refused in its wave: its line says which command recovers it.
    await query(
      dbUrl(servers[1]!, db),
      "UPDATE migrate_tool.migrations SET dirty = true WHERE schema_name = 'company_b' AND scope = 'tenant'",
    );
    await writeMigrations(dir, {
      'tenant/20250601000000_more.up.sql': 'CREATE TABLE more (id int);',
      'tenant/20250601000000_more.down.sql': 'DROP TABLE more;',
    });
    const tenant = await runCli(['up', '--waves', '2'], { env });
    expect(tenant.code).toBe(1);
    expect(tenant.stdout).toMatch(/company_b failed at \d+: .*migrate-tool force/);
    expect(tenant.stdout).not.toMatch(LIBRARY);
    // And in its JSON document: each failure's advice, the same command.
    const json = await runCli(['up', '--waves', '2', '--json'], { env });
    const failed = (
      JSON.parse(json.stdout) as {
        targets: Array<{ failed: Array<{ schema: string; error: string; advice?: string }> }>;
      }
    ).targets.flatMap((t) => t.failed);
    expect(failed).toEqual([
      expect.objectContaining({
        schema: 'company_b',
        advice: expect.stringContaining('`migrate-tool force <version> --tenant company_b`'),
      }),
    ]);
    expect(json.stdout).not.toMatch(/force\(options|\{ tenant:/);

    // A dirty public fails the canary's run as a whole: the same.
    await query(dbUrl(servers[1]!, db), "UPDATE migrate_tool.migrations SET dirty = true WHERE schema_name = 'public'");
    const global = await runCli(['up', '--waves', '2'], { env });
    expect(global.code).toBe(1);
    expect(global.stdout).toMatch(/error: Schema public is dirty.*; fix: .*migrate-tool force/);
    expect(global.stdout).not.toMatch(LIBRARY);

    // Over a fleet, without a rollout: the target's error, the same.
    const file = await writeTargets(dir, [{ name: 'eu-1', port: servers[1]!.port, database: db }]);
    const fleet = await runCli(['up', '--targets', file, '--json'], {
      env: { FLEET_PW: FLEET_PASSWORD, MIGRATIONS_DIR: migrations },
    });
    expect(fleet.code).toBe(1);
    expect(fleet.stdout).toMatch(/migrate-tool force/);
    expect(fleet.stdout).not.toMatch(LIBRARY);
  });

  test('--pause without a terminal is refused before anything runs (exit 2)', async ({ dir }) => {
    const migrations = await writeMigrations(dir, BASIC);
    const db = await freshDatabase(servers[1]!, ['company_a']);
    const r = await runCli(['up', '--waves', '1', '--pause'], {
      env: { ...envFor(dbUrl(servers[1]!, db)), MIGRATIONS_DIR: migrations },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--pause needs a terminal');
    expect(await tables(dbUrl(servers[1]!, db), 'public')).toEqual([]);
  });
});
