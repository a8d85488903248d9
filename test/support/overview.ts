// A database whose tenant schemas are in every state an overview tells apart: up to date, failed
// and left behind, failed and dirty, and created after the run (nothing applied).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { envFor } from './cli';
import { createDatabase, type TestDatabase } from './db';
import { inProcess } from './in-process';
import { BASIC, createTenants, writeMigrations, type Files } from './migrations';

export const [V2, V3, V4] = ['20250101000200', '20250101000300', '20250101000400'];

/**
 * BASIC, then V3 (transactional) that fails where an `audit` table exists, then V4 (no
 * transaction) that fails, leaving the schema dirty, where a table takes its index's name.
 */
const FILES: Files = {
  ...BASIC,
  'tenant/20250101000300_audit.up.sql': 'CREATE TABLE audit (id int);',
  'tenant/20250101000300_audit.down.sql': 'DROP TABLE audit;',
  'tenant/20250101000400_email_index.up.sql':
    '-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY employees_email_idx ON employees (email);\n',
  'tenant/20250101000400_email_index.down.sql':
    '-- migrate:no-transaction\nDROP INDEX CONCURRENTLY employees_email_idx;\n',
};

/**
 * company_a: up to date; company_b: failed at V3, left at V2; company_c: failed at V4, dirty;
 * company_d: created after the run, nothing applied.
 */
export async function mixedTenants(db: TestDatabase, dir: string): Promise<Record<string, string>> {
  const env = { ...envFor(db.url), MIGRATIONS_DIR: await writeMigrations(dir, FILES) };
  await createTenants(db, 'company_a', 'company_b', 'company_c');
  await db.query('CREATE TABLE company_b.audit (id int); CREATE TABLE company_c.employees_email_idx (x int)');
  expect((await inProcess(['up'], env)).code).toBe(1);
  await createTenants(db, 'company_d');
  return env;
}

/** What the state table says, counted by the server: how many tenant schemas have each highest version (null: none), newest first. */
export async function versionCounts(db: TestDatabase): Promise<Array<{ version: string | null; schemas: number }>> {
  const r = await db.query<{ version: string | null; schemas: number }>(
    `SELECT m.version, count(*)::int AS schemas
       FROM pg_namespace n LEFT JOIN LATERAL (SELECT max(version) AS version FROM migrate_tool.migrations WHERE schema_name = n.nspname) m ON true
      WHERE n.nspname LIKE 'company\\_%' GROUP BY m.version ORDER BY m.version DESC NULLS LAST`,
  );
  return r.rows;
}

/** The database's URL with its password (if any) by reference, as a targets file must hold it. */
export function fleetUrl(db: TestDatabase): string {
  const u = new URL(db.url);
  if (u.password) u.password = '${FLEET_PW}';
  return decodeURIComponent(u.toString());
}

/**
 * A fleet of two: `eu` (the test's database, mixedTenants) and `us` (a new database, company_x and
 * company_y up to date). `fn` gets the targets file and the environment that resolves its password.
 */
export async function withTwoTargets(
  db: TestDatabase,
  dir: string,
  fn: (targets: string, env: Record<string, string>, us: TestDatabase) => Promise<void>,
): Promise<void> {
  const env = await mixedTenants(db, dir);
  const us = await createDatabase();
  try {
    await createTenants(us, 'company_x', 'company_y');
    expect((await inProcess(['up'], { ...envFor(us.url), MIGRATIONS_DIR: env.MIGRATIONS_DIR! })).code).toBe(0);
    const targets = join(dir, 'targets.json');
    await writeFile(
      targets,
      JSON.stringify({
        targets: [
          { name: 'eu', url: fleetUrl(db) },
          { name: 'us', url: fleetUrl(us) },
        ],
      }),
    );
    await fn(targets, { ...env, FLEET_PW: env.POSTGRES_PASSWORD! }, us);
  } finally {
    await us.drop();
  }
}
