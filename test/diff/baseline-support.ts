// Shared by the baseline tests: a history of global and tenant migrations (a tenant enum, a check
// constraint, a trigger, an inserted row), written by the tests, and collapsed with the real CLI.
import { readdir } from 'node:fs/promises';
import { expect } from 'vitest';
import type { TestDatabase } from '../support/db';
import { writeMigrations, type Files } from '../support/migrations';
import { cli } from './support';

export const HISTORY: Files = {
  '20250101000000_init.up.sql':
    "CREATE TABLE companies (id serial PRIMARY KEY, name text NOT NULL CHECK (name <> ''));\nINSERT INTO companies (name) VALUES ('system');",
  '20250101000000_init.down.sql': 'DROP TABLE companies;',
  'tenant/20250101000100_employees.up.sql': [
    "CREATE TYPE role AS ENUM ('admin', 'staff');",
    "CREATE TABLE employees (id serial PRIMARY KEY, company_id int REFERENCES public.companies (id), role role NOT NULL DEFAULT 'staff', name text NOT NULL, updated_at timestamptz);",
    'CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;',
    'CREATE TRIGGER employees_touch BEFORE UPDATE ON employees FOR EACH ROW EXECUTE FUNCTION touch();',
  ].join('\n'),
  'tenant/20250101000100_employees.down.sql': 'DROP TABLE employees;\nDROP FUNCTION touch();\nDROP TYPE role;',
  'tenant/20250101000200_name_index.up.sql': 'CREATE INDEX employees_name_idx ON employees (name);',
  'tenant/20250101000200_name_index.down.sql': 'DROP INDEX employees_name_idx;',
  '20250101000300_plan.up.sql': "ALTER TABLE companies ADD COLUMN plan text NOT NULL DEFAULT 'free';",
  '20250101000300_plan.down.sql': 'ALTER TABLE companies DROP COLUMN plan;',
};

export async function sqlFiles(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).filter((f) => f.endsWith('.sql')).sort();
}

/** Writes the history, collapses it, and returns the two baselines' files (relative to the folder). */
export async function baselined(
  db: TestDatabase,
  dir: string,
): Promise<{ migrations: string; global: string; tenant: string }> {
  const migrations = await writeMigrations(dir, HISTORY);
  const r = await cli(['diff', '--baseline', 'init'], { url: db.url, dir });
  expect(r.code, r.stderr).toBe(0);
  const added = (await sqlFiles(migrations)).filter((f) => f.includes('_init.up.sql') && !f.includes('20250101'));
  expect(added).toHaveLength(2);
  return {
    migrations,
    global: added.find((f) => !f.startsWith('tenant/'))!,
    tenant: added.find((f) => f.startsWith('tenant/'))!,
  };
}
