// `create NAME` and `hash`: new migration pairs named with the current UTC time, and migrate.sum
// kept in step with the folder.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors';
import { option, remedy } from '../remedy';
import { checksum, readSum, writeSum } from './checksum';
import { loadMigrations, TENANT_DIR, type Scope } from './files';

export interface Created {
  version: string;
  scope: Scope;
  up: string;
  down: string;
}

export function timestampVersion(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/**
 * The version one second after `newest`. A hand-written version that names no real time
 * (`90000000000000`) gets the next number instead, which is still later.
 */
function nextVersion(newest: string): string {
  const iso = `${newest.slice(0, 4)}-${newest.slice(4, 6)}-${newest.slice(6, 8)}T${newest.slice(8, 10)}:${newest.slice(10, 12)}:${newest.slice(12, 14)}Z`;
  const t = Date.parse(iso);
  if (!Number.isNaN(t) && timestampVersion(new Date(t)) === newest) return timestampVersion(new Date(t + 1000));
  const next = String(BigInt(newest) + 1n).padStart(14, '0');
  if (next.length > 14)
    throw new UsageError(
      `No version is left after ${newest}`,
      'give that migration a real UTC timestamp as its version, then run hash',
      'NO_VERSION_LEFT',
    );
  return next;
}

/** Refuses a name that is not lowercase words; `diff` calls it before it does any work. */
export function checkMigrationName(name: string): void {
  if (!/^[a-z0-9][a-z0-9_]*$/.test(name)) {
    throw new UsageError(
      `Migration name "${name}" is not valid`,
      'use lowercase letters, digits and underscores, e.g. add_employee_bio',
      'BAD_NAME',
    );
  }
}

export interface CreateOptions {
  tenant?: boolean;
  now?: Date;
  /** SQL to follow each file's header (what `diff` generated), so a pair is written whole, once. */
  body?: { up: string; down: string };
}

/** Writes a pair, empty unless `body` is given; `now` is injectable so tests and `diff` control the version. */
export async function createMigration(dir: string, name: string, opts: CreateOptions = {}): Promise<Created> {
  checkMigrationName(name);
  const scope: Scope = opts.tenant ? 'tenant' : 'global';
  await writable(dir, () => mkdir(join(dir, TENANT_DIR), { recursive: true }));
  const folder = await loadMigrations(dir, { allowEmpty: true });
  // Two creates in one second, or a clock behind the newest version, still get a fresh, later version.
  const newest = folder.migrations.at(-1)?.version;
  let version = timestampVersion(opts.now ?? new Date());
  if (newest !== undefined && version <= newest) version = nextVersion(newest);
  const base = `${scope === 'tenant' ? `${TENANT_DIR}/` : ''}${version}_${name}`;
  const where =
    scope === 'tenant'
      ? 'runs in every tenant schema, with search_path set to it: write names unqualified'
      : 'runs once, in schema public';
  const files = {
    [`${base}.up.sql`]: `-- ${version}_${name} (${scope}): ${where}.\n${opts.body?.up ?? ''}`,
    [`${base}.down.sql`]: `-- Undo ${version}_${name}.\n${opts.body?.down ?? ''}`,
  };
  await writable(dir, async () => {
    for (const [rel, text] of Object.entries(files)) await writeFile(join(dir, rel), text, { flag: 'wx' });
    await addToSum(dir, Object.entries(files));
  });
  return { version, scope, up: join(dir, `${base}.up.sql`), down: join(dir, `${base}.down.sql`) };
}

/**
 * Adds entries to migrate.sum without blessing anything else that changed in the folder. With no
 * migrate.sum yet there is no record to keep, and one is started from the folder as it is.
 */
export async function addToSum(dir: string, files: Array<[string, string]>): Promise<void> {
  const existing = await readSum(dir);
  const sums = existing ?? (await loadMigrations(dir, { allowEmpty: true })).checksums;
  for (const [rel, text] of files) sums.set(rel, checksum(text));
  await writeSum(dir, sums);
}

/** `hash`: rewrites migrate.sum from the folder as it is. */
export async function rewriteSum(dir: string): Promise<{ path: string; files: number }> {
  const folder = await loadMigrations(dir, { allowEmpty: true });
  const path = await writable(dir, () => writeSum(dir, folder.checksums));
  return { path, files: folder.checksums.size };
}

/** A read-only folder (as baked into the image), or a file where the folder should be, gets advice, not a raw errno. */
async function writable<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR')
      throw new UsageError(
        `Migrations folder ${dir} is not a folder`,
        remedy`point ${option('migrationsDir')} at the folder that holds the .up.sql/.down.sql files`,
        'NO_MIGRATIONS_DIR',
      );
    if (code !== 'EACCES' && code !== 'EROFS' && code !== 'EPERM') throw error;
    throw new UsageError(
      `Cannot write to the migrations folder ${dir} (${code})`,
      'write migrations in a checkout, commit them, and rebuild the image',
      'READ_ONLY_FOLDER',
    );
  }
}
