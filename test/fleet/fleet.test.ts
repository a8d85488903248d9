// A fleet of two real servers (and a third target where nothing listens): one job over every
// target, one report, one exit code; a target that fails fails alone, and a re-run finishes.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { runCli, type CliResult } from '../support/cli';
import { describe, expect, test } from '../support/fixtures';
import { BASIC, writeMigrations } from '../support/migrations';
import type { OwnServer } from '../support/own-server';
import {
  deadPort,
  dbUrl,
  FLEET_PASSWORD,
  fleetDoc,
  freshDatabase,
  query,
  startServers,
  tables,
  writeTargets,
} from './support';

let servers: OwnServer[] = [];
beforeAll(async () => {
  servers = await startServers(2);
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

async function fleetCli(args: string[], migrations: string, extraEnv: Record<string, string> = {}): Promise<CliResult> {
  const result = await runCli(args, { env: { FLEET_PW: FLEET_PASSWORD, MIGRATIONS_DIR: migrations, ...extraEnv } });
  expect(result.stdout + result.stderr, 'the password never shows').not.toContain(FLEET_PASSWORD);
  return result;
}

/** Two targets (company_a, company_b on eu-1; company_c on us-1), every migration applied. */
async function migratedFleet(dir: string) {
  const migrations = await writeMigrations(dir, BASIC);
  const eu = await freshDatabase(servers[0]!, ['company_a', 'company_b']);
  const us = await freshDatabase(servers[1]!, ['company_c']);
  const file = await writeTargets(dir, [
    { name: 'eu-1', port: servers[0]!.port, database: eu },
    { name: 'us-1', port: servers[1]!.port, database: us },
  ]);
  expect((await fleetCli(['up', '--targets', file], migrations)).code).toBe(0);
  return { migrations, eu, us, file };
}

describe('a command over a fleet', () => {
  test('up runs on every target; an unreachable one fails alone (exit 1); a re-run finishes what is missing', async ({
    dir,
  }) => {
    const migrations = await writeMigrations(dir, BASIC);
    // company_b already has an employees table, so its first tenant migration fails there.
    const eu = await freshDatabase(
      servers[0]!,
      ['company_a', 'company_b'],
      'CREATE TABLE company_b.employees (x int);',
    );
    const us = await freshDatabase(servers[1]!, ['company_c']);
    const file = await writeTargets(dir, [
      { name: 'eu-1', port: servers[0]!.port, database: eu },
      { name: 'us-1', port: servers[1]!.port, database: us },
      { name: 'gone', port: await deadPort(), database: 'nowhere' },
    ]);

    const first = await fleetCli(['up', '--targets', file], migrations);
    expect(first.code).toBe(1);
    // Every target named before anything runs, in one Target database line.
    expect(first.stderr).toMatch(
      /Target database: 3 targets \(env: dev\): eu-1 = \S+ on 127\.0\.0\.1:\d+ as postgres; us-1 = .*; gone = nowhere on/,
    );
    expect(first.stdout).toMatch(/== gone: nowhere on 127\.0\.0\.1:\d+ as postgres ==\nerror: .*(refused|connect)/i);
    expect(first.stdout).toContain('up over 3 targets: 1 ok, 2 failed (eu-1, gone)');
    // What a target logs while it runs reaches stderr as it happens, named; its section on stdout
    // is its result, written once (nothing it logged is printed again there).
    expect(first.stderr).toMatch(/^\[us-1\] Migrating to version \d+ \(\w+\) in public$/m);
    expect(first.stdout).not.toContain('Migrating to version');
    expect(first.stdout).toMatch(
      /== us-1: [^\n]+ ==\nSummary: 2 schemas migrated[^\n]*\n[^\n]*\nMigration complete!\n/,
    );
    expect(await tables(dbUrl(servers[0]!, eu), 'company_a')).toEqual(['employees']);
    expect(await tables(dbUrl(servers[1]!, us), 'company_c')).toEqual(['employees']);
    expect(await tables(dbUrl(servers[1]!, us), 'public')).toEqual(['companies']);

    await query(dbUrl(servers[0]!, eu), 'DROP TABLE company_b.employees');
    const again = await fleetCli(['up', '--targets', file, '--target', 'eu-1,us-1', '--json'], migrations);
    expect(again.code).toBe(0);
    const doc = fleetDoc(again.stdout) as {
      targets: Array<{ name: string; applied: Array<{ schema: string }>; failed: unknown[] }>;
    };
    expect(doc.targets.map((t) => t.name)).toEqual(['eu-1', 'us-1']);
    // Only what was missing: company_b's two tenant migrations, nothing on us-1.
    expect(doc.targets[0]!.applied.map((a) => a.schema)).toEqual(['company_b', 'company_b']);
    expect(doc.targets[1]!.applied).toEqual([]);
  });

  test('--target by label limits the run; version and status report per target', async ({ dir }) => {
    const migrations = await writeMigrations(dir, BASIC);
    const eu = await freshDatabase(servers[0]!, ['company_a']);
    const us = await freshDatabase(servers[1]!, ['company_c']);
    const file = await writeTargets(dir, [
      { name: 'eu-1', port: servers[0]!.port, database: eu, labels: { region: 'eu' } },
      { name: 'us-1', port: servers[1]!.port, database: us, labels: { region: 'us' } },
    ]);
    const up = await fleetCli(['up', '--targets', file, '--target', 'region=eu'], migrations);
    expect(up.code).toBe(0);
    expect(up.stderr).toMatch(/Target database: 1 target .*eu-1 = /);
    expect(await tables(dbUrl(servers[1]!, us), 'company_c')).toEqual([]);

    const version = await fleetCli(['version', '--json'], migrations, { MIGRATE_TARGETS: file });
    expect(version.code).toBe(0);
    const doc = fleetDoc(version.stdout) as { targets: Array<{ name: string; version: string | null }> };
    expect(doc.targets).toEqual([
      expect.objectContaining({ name: 'eu-1', version: '20250101000200' }),
      expect.objectContaining({ name: 'us-1', version: null }),
    ]);

    const status = await fleetCli(['status', '--exit-code', '--targets', file], migrations);
    expect(status.code).toBe(3); // us-1 has everything pending
    expect(status.stdout).toMatch(/== eu-1: [\s\S]*applied[\s\S]*== us-1: [\s\S]*pending/);
    // A target with pending migrations is a finding, not "ok", in the one-line summary.
    expect(status.stdout).toContain('status over 2 targets: 1 ok, 1 with findings (us-1)');
  });

  test('a targets file with problems is refused whole, one line each, before connecting (exit 2)', async ({ dir }) => {
    const migrations = await writeMigrations(dir, BASIC);
    const eu = await freshDatabase(servers[0]!, ['company_a']);
    const { writeFile } = await import('node:fs/promises');
    const file = `${dir}/bad.json`;
    await writeFile(
      file,
      JSON.stringify({
        targets: [
          { name: 'eu-1', url: `postgres://postgres:\${FLEET_PW}@127.0.0.1:${servers[0]!.port}/${eu}`, region: 'eu' },
          { name: 'eu-1', url: `postgres://postgres:${FLEET_PASSWORD}@127.0.0.1:${servers[0]!.port}/${eu}` },
          { name: 'us-1', url: `postgres://postgres:\${NOT_SET_PW}@127.0.0.1:${servers[1]!.port}/x` },
        ],
      }),
    );
    const r = await fleetCli(['up', '--targets', file], migrations);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('targets[0]: unknown key "region"');
    expect(r.stderr).toContain('target eu-1: the name is used twice');
    expect(r.stderr).toContain('target eu-1: the url has a password written in it');
    expect(r.stderr).toContain('target us-1: environment variable NOT_SET_PW is not set');
    expect(r.stderr).not.toContain('Target database');
    const state = await query(
      dbUrl(servers[0]!, eu),
      `SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = 'migrate_tool'`,
    );
    expect(state.rows[0].n).toBe(0); // nothing was touched
  });

  test('backup writes one file per target, in a folder named after it; down in prod is confirmed once for the fleet', async ({
    dir,
  }) => {
    const { migrations, eu, us, file } = await migratedFleet(dir);

    const backup = await fleetCli(['backup', '--targets', file], migrations, { BACKUP_DIR: join(dir, 'backups') });
    expect(backup.code).toBe(0);
    expect(readdirSync(join(dir, 'backups', 'eu-1'))).toEqual([
      expect.stringMatching(new RegExp(`^backup_${eu}_\\d{8}_\\d{6}\\.dump$`)),
    ]);
    expect(readdirSync(join(dir, 'backups', 'us-1'))).toEqual([
      expect.stringMatching(new RegExp(`^backup_${us}_\\d{8}_\\d{6}\\.dump$`)),
    ]);

    // No terminal and no --yes: refused, naming how many targets and schemas would change.
    const refused = await fleetCli(['down', '--targets', file, '--env', 'prod'], migrations);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      'Refusing to run down on 2 targets, changing 3 schemas, in prod without confirmation',
    );
    expect(await tables(dbUrl(servers[1]!, us), 'company_c')).toEqual(['employees']);
    const down = await fleetCli(['down', '--targets', file, '--env', 'prod', '--yes'], migrations);
    expect(down.code).toBe(0);
    expect(down.stdout).toContain('down over 2 targets: 2 ok');
  });

  test('--fail-fast starts no other target after one fails', async ({ dir }) => {
    const migrations = await writeMigrations(dir, BASIC);
    const us = await freshDatabase(servers[1]!, ['company_c']);
    const file = await writeTargets(dir, [
      { name: 'gone', port: await deadPort(), database: 'nowhere' },
      { name: 'us-1', port: servers[1]!.port, database: us },
    ]);
    const r = await fleetCli(
      ['up', '--targets', file, '--fail-fast', '--targets-concurrency', '1', '--json'],
      migrations,
    );
    expect(r.code).toBe(1);
    const doc = fleetDoc(r.stdout) as { targets: Array<{ name: string; error?: { message: string } }> };
    expect(doc.targets[1]).toMatchObject({ name: 'us-1', error: { message: expect.stringContaining('not started') } });
    expect(await tables(dbUrl(servers[1]!, us), 'public')).toEqual([]);
  });
  test('drift over the fleet: none on a clean fleet (exit 0); an extra index on one target is found there alone (exit 3, --json per target)', async ({
    dir,
  }) => {
    const { migrations, us, file } = await migratedFleet(dir);
    const clean = await fleetCli(['drift', '--targets', file], migrations);
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.stdout).toContain('drift over 2 targets: 2 ok');

    await query(dbUrl(servers[1]!, us), 'CREATE INDEX stray_idx ON company_c.employees (name)');
    const found = await fleetCli(['drift', '--targets', file], migrations);
    expect(found.code, found.stderr).toBe(3);
    expect(found.stdout).toMatch(/== us-1: [\s\S]*company_c[\s\S]*stray_idx/);
    expect(found.stdout).toContain('drift over 2 targets: 1 ok, 1 with findings (us-1)');
    const json = await fleetCli(['drift', '--json', '--targets', file], migrations);
    const doc = fleetDoc(json.stdout) as { targets: Array<{ name: string } & Record<string, unknown>> };
    expect(doc.targets.map((t) => t.name)).toEqual(['eu-1', 'us-1']);
    expect(JSON.stringify(doc.targets[1])).toContain('company_c');
    expect(JSON.stringify(doc.targets[0])).not.toContain('stray_idx');
  });
});
