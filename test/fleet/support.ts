// A small fleet for the tests: PostgreSQL servers of their own (initdb, each on its own port), a
// fresh database per test on each, tenants in them, and a targets file pointing at them with the
// password only by ${VAR} reference.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import pg from 'pg';
import { expect } from 'vitest';
import { ROOT } from '../support/cli';
import { startOwnServer, type OwnServer } from '../support/own-server';
import { freePort } from '../support/server';

/** The password the targets file refers to, every fleet server's superuser's; it may never be printed. */
export const FLEET_PASSWORD = 'Fleet-Secret-9d41e';

export async function startServers(n: number): Promise<OwnServer[]> {
  const servers: OwnServer[] = [];
  try {
    for (let i = 0; i < n; i++)
      servers.push(await startOwnServer({ fsync: 'off', max_connections: 40 }, FLEET_PASSWORD));
  } catch (error) {
    await Promise.all(servers.map((s) => s.stop()));
    throw error;
  }
  return servers;
}

export function dbUrl(server: OwnServer, database: string): string {
  const url = new URL(server.url);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function query(url: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A fresh database on the server with these tenant schemas (and an optional setup script). */
export async function freshDatabase(server: OwnServer, schemas: string[], setup = ''): Promise<string> {
  const name = `fleet_${randomBytes(4).toString('hex')}`;
  await query(server.url, `CREATE DATABASE ${name}`);
  const url = dbUrl(server, name);
  if (schemas.length || setup) await query(url, `${schemas.map((s) => `CREATE SCHEMA ${s};`).join('')}${setup}`);
  return name;
}

export interface FleetTarget {
  name: string;
  port: number;
  database: string;
  labels?: Record<string, string>;
}

export async function writeTargets(
  dir: string,
  targets: FleetTarget[],
  extra: Record<string, unknown> = {},
): Promise<string> {
  const file = join(dir, 'targets.json');
  const doc = {
    targets: targets.map((t) => ({
      name: t.name,
      url: `postgres://postgres:\${FLEET_PW}@127.0.0.1:${t.port}/${t.database}`,
      ...(t.labels ? { labels: t.labels } : {}),
    })),
    ...extra,
  };
  await writeFile(file, JSON.stringify(doc, null, 2));
  return file;
}

/** A port with nothing listening: a target that cannot be reached. */
export const deadPort = () => freePort();

export async function tables(url: string, schema: string): Promise<string[]> {
  const r = await query(
    url,
    `SELECT table_name FROM information_schema.tables WHERE table_schema = '${schema}' ORDER BY 1`,
  );
  return r.rows.map((row) => row.table_name as string);
}

const validate = new Ajv({ allErrors: true, strict: true }).compile(
  JSON.parse(readFileSync(join(ROOT, 'docs/schema/fleet.schema.json'), 'utf8')),
);

/** Parses a --json document and checks it against docs/schema/fleet.schema.json. */
export function fleetDoc<T>(stdout: string): T {
  const doc = JSON.parse(stdout);
  expect(validate(doc), `${JSON.stringify(validate.errors)}\n${stdout}`).toBe(true);
  return doc as T;
}

/** A targets file naming test databases (on the suite's server), the password (if any) only by reference to GATES_PW. */
export async function targetsFileFor(
  dir: string,
  dbs: Array<[string, { url: string }]>,
  rollout?: Record<string, unknown>,
) {
  const file = join(dir, 'targets.json');
  const targets = dbs.map(([name, db]) => {
    const u = new URL(db.url);
    if (u.password) u.password = 'PW_REF';
    return { name, url: u.toString().replace('PW_REF', '${GATES_PW}') };
  });
  await writeFile(file, JSON.stringify({ targets, ...(rollout ? { rollout } : {}) }));
  const password = new URL(dbs[0]![1].url).password;
  return { file, env: { GATES_PW: password ? decodeURIComponent(password) : 'unused' } };
}
