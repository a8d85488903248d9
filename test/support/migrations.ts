// Writes a migrations folder for a test, with its migrate.sum, through the library itself.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { rewriteSum } from '../../src/migrations/create';

export type Files = Record<string, string>;

export async function writeMigrations(dir: string, files: Files, { sum = true } = {}): Promise<string> {
  const root = join(dir, 'migrations');
  await mkdir(join(root, 'tenant'), { recursive: true });
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, rel)), { recursive: true });
    await writeFile(join(root, rel), text);
  }
  if (sum) await rewriteSum(root);
  return root;
}

/** A small two-scope app: one global table, two tenant migrations, all reversible. */
export const BASIC: Files = {
  '20250101000000_init.up.sql': 'CREATE TABLE companies (id serial PRIMARY KEY, name text NOT NULL);',
  '20250101000000_init.down.sql': 'DROP TABLE companies;',
  'tenant/20250101000100_employees.up.sql': 'CREATE TABLE employees (id serial PRIMARY KEY, name text NOT NULL);',
  'tenant/20250101000100_employees.down.sql': 'DROP TABLE employees;',
  'tenant/20250101000200_employee_email.up.sql': 'ALTER TABLE employees ADD COLUMN email text;',
  'tenant/20250101000200_employee_email.down.sql': 'ALTER TABLE employees DROP COLUMN email;',
};

/** Creates tenant schemas (empty, as an application creates them for a new company). */
export async function createTenants(db: { query(sql: string): Promise<unknown> }, ...names: string[]): Promise<void> {
  for (const name of names) await db.query(`CREATE SCHEMA "${name}"`);
}
