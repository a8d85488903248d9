// Seed files on disk: `NN_name.json` data sets and `NN_name.sql` scripts, applied in name order.
// Loading checks every file completely and names every problem (file and row) before anything
// connects to a database.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors';
import { option, operation, remedy } from '../remedy';
import { splitStatements, type Statement } from '../migrations/sql-split';
import { parseDataSet, type DataSet } from './data-set';

export interface SqlSet {
  kind: 'sql';
  file: string;
  name: string;
  tenant: boolean;
  statements: Statement[];
}

export type SeedSet = DataSet | SqlSet;

/** First line of a `.sql` seed that runs in every tenant schema (search_path set to each). */
export const TENANT_SQL_MARKER = /^--\s*seed:tenant\s*$/;

export async function loadSeeds(dir: string): Promise<SeedSet[]> {
  const files = await listSeedFiles(dir);
  const problems: string[] = [];
  const sets: SeedSet[] = [];
  for (const file of files) {
    // An editor's byte order mark is not part of the JSON or the SQL.
    const text = (await readFile(join(dir, file), 'utf8')).replace(/^\uFEFF/, '');
    const set = file.endsWith('.sql') ? parseSqlSet(file, text, problems) : parseJsonSet(file, text, problems);
    if (set) sets.push(set);
  }
  if (problems.length) {
    throw new UsageError(
      `Invalid seed files, nothing was changed: ${problems.join('; ')}`,
      remedy`fix the files and rows named, then run ${operation('seed')} again`,
      'BAD_SEED_FILES',
    );
  }
  return sets;
}

async function listSeedFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    names = entries.filter((e) => e.isFile() && /\.(json|sql)$/.test(e.name)).map((e) => e.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new UsageError(
      `Seeds folder ${dir} does not exist`,
      remedy`set ${option('seedsDir')} to the folder of seed files`,
      'NO_SEEDS_DIR',
    );
  }
  if (names.length === 0) {
    throw new UsageError(
      `Seeds folder ${dir} holds no seed files (*.json, *.sql)`,
      remedy`set ${option('seedsDir')} to the folder of seed files`,
      'NO_SEEDS',
    );
  }
  // Code-point order, like migrations: 01_ < 02_ < 10_ whatever the locale.
  return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** `02_roles.json` -> `Roles`; `05_default_settings.sql` -> `Default Settings`. */
export function displayName(file: string): string {
  const base = file.replace(/\.(json|sql)$/, '').replace(/^\d+[_-]?/, '') || file;
  return base
    .split(/[_\s-]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join(' ');
}

function parseJsonSet(file: string, text: string, problems: string[]): DataSet | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    problems.push(`${file}: not valid JSON (${(error as Error).message})`);
    return undefined;
  }
  return parseDataSet(file, displayName(file), doc, problems);
}

function parseSqlSet(file: string, text: string, problems: string[]): SqlSet | undefined {
  const statements = splitStatements(text);
  if (statements.length === 0) {
    problems.push(`${file}: holds no SQL statement`);
    return undefined;
  }
  // The seed runs every set in one transaction of its own; a script must not end it.
  const control = statements.find((s) =>
    /^(begin|commit|rollback|end|start\s+transaction|savepoint|release)\b/i.test(s.text),
  );
  if (control) {
    problems.push(
      `${file}:${control.line}: ${control.text.split(/\s/)[0]} is not allowed: every seed set runs inside one transaction that seed itself commits`,
    );
    return undefined;
  }
  const firstLine = text.split('\n', 1)[0]!.trim();
  return { kind: 'sql', file, name: displayName(file), tenant: TENANT_SQL_MARKER.test(firstLine), statements };
}
