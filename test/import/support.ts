// Fixtures in each source tool's own format (written here, for these tests), and the two ways the
// tests build a database: applying the original files with psql, and dumping a catalog to compare.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { clientTool } from '../support/client-tools';

export type Files = Record<string, string>;

export async function writeFiles(dir: string, files: Files): Promise<string> {
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, rel)), { recursive: true });
    await writeFile(join(dir, rel), text);
  }
  return dir;
}

/** Runs SQL files with psql, in order, each in `schema` (search_path), stopping at the first error. */
export async function psqlFiles(url: string, paths: string[], schema = 'public'): Promise<void> {
  for (const path of paths) {
    await clientTool('psql', url, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', path], {
      PGOPTIONS: `-c search_path=${schema}`,
    });
  }
}

export async function psql(url: string, sql: string): Promise<void> {
  await clientTool('psql', url, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', sql]);
}

/**
 * The catalog as pg_dump --schema-only prints it, without either tool's bookkeeping (this tool's
 * state schema, the other tool's history tables), so two databases built two ways compare equal.
 */
export async function catalog(url: string, historyTables: string[] = []): Promise<string> {
  const exclude = ['-N', 'migrate_tool', '-N', 'atlas_schema_revisions', ...historyTables.flatMap((t) => ['-T', t])];
  const stdout = await clientTool('pg_dump', url, ['--schema-only', '--no-owner', '--no-privileges', ...exclude]);
  return stdout
    .split('\n')
    .filter((l) => !l.startsWith('--') && !/^\\(un)?restrict /.test(l))
    .join('\n')
    .replace(/\n{2,}/g, '\n');
}

/** One small application, as SQL each tool's files carry: tables, an enum, a concurrent index. */
export const APP = {
  companies: 'CREATE TABLE companies (id serial PRIMARY KEY, name text NOT NULL);',
  plan: "CREATE TYPE plan AS ENUM ('free', 'paid');\nALTER TABLE companies ADD COLUMN plan plan NOT NULL DEFAULT 'free';",
  index: 'CREATE INDEX CONCURRENTLY companies_name_idx ON companies (name);',
  users: 'CREATE TABLE users (id serial PRIMARY KEY, company_id int REFERENCES companies, email text);',
};
