// Migration files on disk: `<14-digit version>_<name>.up.sql` and `.down.sql`, global ones at the
// top of the folder, tenant ones in `tenant/`. Loading validates the whole folder and names every
// bad file at once, before anything touches a database.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors';
import { checksum } from './checksum';
import { isNoTransaction, splitStatements, transactionControl, type Statement } from './sql-split';

export type Scope = 'global' | 'tenant';
export const TENANT_DIR = 'tenant';
/**
 * Names keep what the peers allow (`add-users`, `AddUsers`, `v1.2_fix`), so imported histories stay
 * recognisable, but only characters that make a file on every platform: no `<>:"/\|?*`, spaces or
 * control characters, and no trailing dot (Windows drops it). The version prefix means no name can
 * form a Windows reserved device name (CON, NUL, ...).
 */
export const FILE_RE = /^(\d{14})_([A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?)\.(up|down)\.sql$/;

export interface MigrationSql {
  /** Path relative to the migrations folder, e.g. `tenant/20251210215900_init_tenant.up.sql`. */
  file: string;
  text: string;
  checksum: string;
  noTransaction: boolean;
  statements: Statement[];
}

export interface Migration {
  version: string;
  name: string;
  scope: Scope;
  up: MigrationSql;
  down?: MigrationSql;
}

export interface MigrationFolder {
  dir: string;
  /** In version order: one timeline for both scopes. */
  migrations: Migration[];
  /** Every migration file's checksum, by relative path (what migrate.sum holds). */
  checksums: Map<string, string>;
}

export async function loadMigrations(dir: string, opts: { allowEmpty?: boolean } = {}): Promise<MigrationFolder> {
  const top = await listSql(dir, true);
  const tenant = await listSql(join(dir, TENANT_DIR), false);
  const problems: string[] = [];
  const byKey = new Map<string, { version: string; name: string; scope: Scope; up?: string; down?: string }>();
  const files = [...top.map((f) => ({ f, scope: 'global' as Scope })), ...tenant.map((f) => ({ f, scope: 'tenant' as Scope }))];
  for (const { f, scope } of files) {
    const rel = scope === 'tenant' ? `${TENANT_DIR}/${f}` : f;
    const m = FILE_RE.exec(f);
    if (!m) {
      problems.push(`${rel}: name must be <14-digit version>_<name>.up.sql or .down.sql, the name made of letters, digits, _, - and . (e.g. 20251210215800_init_schema.up.sql)`);
      continue;
    }
    const [, version, name, direction] = m as unknown as [string, string, string, 'up' | 'down'];
    const key = `${scope}/${version}_${name}`;
    const entry = byKey.get(key) ?? { version, name, scope };
    entry[direction] = rel;
    byKey.set(key, entry);
  }

  const checksums = new Map<string, string>();
  const migrations: Migration[] = [];
  const seen = new Map<string, string>();
  for (const entry of byKey.values()) {
    if (!entry.up) {
      problems.push(`${entry.down}: has no matching .up.sql`);
      continue;
    }
    const other = seen.get(entry.version);
    if (other) {
      problems.push(`${entry.up}: version ${entry.version} is already used by ${other}; versions are unique across both folders`);
      continue;
    }
    seen.set(entry.version, entry.up);
    const up = await readSql(dir, entry.up, checksums, problems);
    const down = entry.down ? await readSql(dir, entry.down, checksums, problems) : undefined;
    if (up.statements.length === 0 && !opts.allowEmpty) problems.push(`${entry.up}: is empty; write its SQL or delete the pair`);
    migrations.push({ version: entry.version, name: entry.name, scope: entry.scope, up, down });
  }
  if (problems.length) {
    throw new UsageError(`Invalid migration files: ${problems.join('; ')}`, 'fix or rename the files named', 'BAD_MIGRATION_FILES');
  }
  migrations.sort((a, b) => (a.version < b.version ? -1 : a.version > b.version ? 1 : 0));
  return { dir, migrations, checksums };
}

async function listSql(dir: string, required: boolean): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((e) => e.isFile() && e.name.endsWith('.sql')).map((e) => e.name).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    if (required) {
      throw new UsageError(`Migrations folder ${dir} does not exist`, 'set MIGRATIONS_DIR or pass --dir, or run `migrate-tool create NAME`', 'NO_MIGRATIONS_DIR');
    }
    return [];
  }
}

async function readSql(dir: string, rel: string, checksums: Map<string, string>, problems: string[]): Promise<MigrationSql> {
  const text = await readFile(join(dir, rel), 'utf8');
  const sum = checksum(text);
  checksums.set(rel, sum);
  const sql = { file: rel, text, checksum: sum, noTransaction: isNoTransaction(text), statements: splitStatements(text) };
  const control = sql.noTransaction ? undefined : transactionControl(sql.statements);
  if (control) {
    const word = control.text.split(/\s/)[0]!.toUpperCase();
    problems.push(`${rel}:${control.line}: ${word}: the file already runs in a transaction of its own, and a COMMIT in it leaves the file half applied when a later statement fails; remove BEGIN/COMMIT, or put -- migrate:no-transaction on the first line`);
  }
  return sql;
}
