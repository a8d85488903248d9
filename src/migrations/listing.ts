// Which files of the migrations folder are migrations, and which entries are refused. Nothing that
// looks like a migration is skipped in silence: a `.sql` file (any case) is a migration and must be
// named like one, and `.sql` files where they are never read (a symbolic link, a folder other than
// `tenant/`) are refused. Names that do not end in `.sql` (README.md, migrate.sum, .gitkeep) and
// hidden entries are left alone: operators keep such things next to their migrations.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dirent } from 'node:fs';
import { UsageError } from '../errors';
import { option, operation, remedy } from '../remedy';

export type Scope = 'global' | 'tenant';
export const TENANT_DIR = 'tenant';

export interface ListedFile {
  /** Path relative to the migrations folder, e.g. `tenant/20251210215900_init_tenant.up.sql`. */
  rel: string;
  name: string;
  scope: Scope;
}

const SQL_NAME = /\.sql$/i;

/** Lists both scopes; refusals go to `problems`. A folder that cannot be listed at all throws. */
export async function listMigrationFiles(dir: string, problems: string[]): Promise<ListedFile[]> {
  const files: ListedFile[] = [];
  let tenant: Dirent | undefined;
  for (const entry of await entries(dir, '')) {
    if (entry.name === TENANT_DIR) tenant = entry;
    else await classify(dir, entry, '', 'global', files, problems);
  }
  if (tenant?.isDirectory()) {
    for (const entry of await entries(join(dir, TENANT_DIR), `${TENANT_DIR}/`))
      await classify(dir, entry, `${TENANT_DIR}/`, 'tenant', files, problems);
  } else if (tenant) {
    const what = tenant.isSymbolicLink() ? 'a symbolic link' : 'not a folder';
    problems.push(
      `${TENANT_DIR}: is ${what}; tenant migrations must live in a real folder named ${TENANT_DIR}/ inside the migrations folder`,
    );
  }
  return files;
}

async function classify(
  dir: string,
  entry: Dirent,
  prefix: string,
  scope: Scope,
  files: ListedFile[],
  problems: string[],
): Promise<void> {
  const rel = `${prefix}${entry.name}`;
  if (entry.name.startsWith('.')) return;
  if (entry.isSymbolicLink()) {
    // A link can lead outside the reviewed folder, and its target can change while the link (what
    // review and `git diff` show) does not. A link to a folder is judged as a folder would be.
    if (SQL_NAME.test(entry.name))
      problems.push(
        `${rel}: is a symbolic link; migration files must be regular files in the folder (a link can lead outside it and change without the folder changing); copy the file in place of the link`,
      );
    else if (await isFolder(join(dir, rel))) await refuseSqlInside(dir, rel, problems);
    return;
  }
  if (entry.isDirectory()) return refuseSqlInside(dir, rel, problems);
  if (!SQL_NAME.test(entry.name)) return;
  if (!entry.isFile()) problems.push(`${rel}: is not a regular file; migrations must be regular .sql files`);
  else files.push({ rel, name: entry.name, scope });
}

/** A folder that is never read must not hold migrations that look as if they would run. */
async function refuseSqlInside(dir: string, rel: string, problems: string[]): Promise<void> {
  const sql = await sqlFilesUnder(join(dir, rel));
  if (sql.length === 0) return;
  const where = rel.startsWith(`${TENANT_DIR}/`)
    ? `${TENANT_DIR}/ has no subfolders`
    : `only the top of the folder and ${TENANT_DIR}/ are read`;
  const shown = sql
    .slice(0, 3)
    .map((f) => `${rel}/${f}`)
    .join(', ');
  problems.push(
    `${rel}/: holds .sql files that would never run (${shown}${sql.length > 3 ? `, and ${sql.length - 3} more` : ''}): ${where}; move them there, or out of the migrations folder`,
  );
}

async function sqlFilesUnder(path: string): Promise<string[]> {
  try {
    const found = await readdir(path, { recursive: true });
    return found.filter((f) => SQL_NAME.test(f)).sort();
  } catch {
    return []; // a subfolder that cannot be read is not read by `up` either
  }
}

async function isFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false; // a dangling link: nothing there to run
  }
}

async function entries(path: string, rel: string): Promise<Dirent[]> {
  try {
    return (await readdir(path, { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
  } catch (error) {
    throw folderError(path, rel, (error as NodeJS.ErrnoException).code) ?? error;
  }
}

/** What an operator can fix about the folder gets exit 2 and advice; anything else stays as it is. */
function folderError(path: string, rel: string, code: string | undefined): UsageError | undefined {
  const what = rel ? `Migrations subfolder ${path}` : `Migrations folder ${path}`;
  const set = remedy`point ${option('migrationsDir')}`;
  switch (code) {
    case 'ENOENT':
      return new UsageError(
        `${what} does not exist`,
        remedy`set ${option('migrationsDir')}, or create its first migration with ${operation('createMigration')}`,
        'NO_MIGRATIONS_DIR',
      );
    case 'ENOTDIR':
      return new UsageError(
        `${what} is not a folder`,
        remedy`${set} at the folder that holds the .up.sql/.down.sql files`,
        'NO_MIGRATIONS_DIR',
      );
    case 'EACCES':
    case 'EPERM':
      return new UsageError(
        `${what} cannot be read (${code}: permission denied)`,
        remedy`let the user that runs migrate-tool read and enter it, or ${set} at a readable copy`,
        'UNREADABLE_MIGRATIONS_DIR',
      );
    default:
      return undefined;
  }
}
