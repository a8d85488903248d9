// `up --contract` over a fleet of two real servers: every target is read before a contract file
// runs anywhere, so one target that lags refuses it on all of them.
import { afterAll, beforeAll } from 'vitest';
import { runCli, type CliResult } from '../support/cli';
import { describe, expect, test } from '../support/fixtures';
import { writeMigrations, type Files } from '../support/migrations';
import type { OwnServer } from '../support/own-server';
import { dbUrl, FLEET_PASSWORD, fleetDoc, freshDatabase, query, startServers, writeTargets } from '../fleet/support';

let servers: OwnServer[] = [];
beforeAll(async () => {
  servers = await startServers(2);
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

const RELEASE_1: Files = {
  '20250101000000_init.up.sql': 'CREATE TABLE companies (id serial PRIMARY KEY);',
  'tenant/20250101000100_employees.up.sql': 'CREATE TABLE employees (id serial PRIMARY KEY, name text);',
};
const RELEASE_2: Files = {
  ...RELEASE_1,
  'tenant/20250102000000_add_full_name.up.sql': 'ALTER TABLE employees ADD COLUMN full_name text;',
  'tenant/20250102000100_drop_name.up.sql': '-- migrate:contract\nALTER TABLE employees DROP COLUMN name;',
};

async function fleetCli(args: string[], migrations: string): Promise<CliResult> {
  const result = await runCli(args, { env: { FLEET_PW: FLEET_PASSWORD, MIGRATIONS_DIR: migrations } });
  expect(result.stdout + result.stderr, 'the password never shows').not.toContain(FLEET_PASSWORD);
  return result;
}

async function columns(url: string, schema: string): Promise<string> {
  const r = await query(
    url,
    `SELECT string_agg(column_name, ',' ORDER BY ordinal_position) AS c FROM information_schema.columns WHERE table_schema = '${schema}' AND table_name = 'employees'`,
  );
  return r.rows[0]!.c as string;
}

describe('up --contract over a fleet', () => {
  test('one lagging target refuses the contract on every target; once it caught up, it runs on all', async ({
    dir,
  }) => {
    const migrations = await writeMigrations(dir, RELEASE_1);
    const eu = dbUrl(servers[0]!, await freshDatabase(servers[0]!, ['company_a']));
    const us = dbUrl(servers[1]!, await freshDatabase(servers[1]!, ['company_c']));
    const file = await writeTargets(dir, [
      { name: 'eu-1', port: servers[0]!.port, database: new URL(eu).pathname.slice(1) },
      { name: 'us-1', port: servers[1]!.port, database: new URL(us).pathname.slice(1) },
    ]);
    expect((await fleetCli(['up', '--targets', file], migrations)).code).toBe(0);
    await writeMigrations(dir, RELEASE_2);
    // Release 2's expand reaches eu-1 only: us-1 still lacks full_name.
    expect((await fleetCli(['up', '--targets', file, '--target', 'eu-1'], migrations)).code).toBe(0);

    const refused = await fleetCli(['up', '--contract', '--targets', file], migrations);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'Contract files not run on any target: 1 schema lacks a version before a contract file (us-1:company_c); nothing was run',
    );
    expect(await columns(eu, 'company_a')).toBe('id,name,full_name');
    expect(await columns(us, 'company_c')).toBe('id,name');

    const caughtUp = await fleetCli(['up', '--targets', file, '--json'], migrations);
    expect(caughtUp.code).toBe(0);
    const doc = fleetDoc<{ targets: Array<{ name: string; contractsWaiting?: unknown[] }> }>(caughtUp.stdout);
    expect(doc.targets.map((t) => t.contractsWaiting?.length)).toEqual([1, 1]);

    const ran = await fleetCli(['up', '--contract', '--targets', file], migrations);
    expect(ran.code, ran.stderr + ran.stdout).toBe(0);
    expect(await columns(eu, 'company_a')).toBe('id,full_name');
    expect(await columns(us, 'company_c')).toBe('id,full_name');
  });
});
