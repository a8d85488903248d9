// `create NAME` and `hash`: new migration pairs named with the current UTC time, and migrate.sum
// kept in step with the folder.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors';
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

/** The UTC time a version names, or undefined when it names no real time (hand-written `99990000000000`). */
function versionTime(version: string): number | undefined {
  const iso = `${version.slice(0, 4)}-${version.slice(4, 6)}-${version.slice(6, 8)}T${version.slice(8, 10)}:${version.slice(10, 12)}:${version.slice(12, 14)}Z`;
  const t = Date.parse(iso);
  return Number.isNaN(t) || timestampVersion(new Date(t)) !== version ? undefined : t;
}

/** Refuses a name that is not lowercase words; `diff` calls it before it does any work. */
export function checkMigrationName(name: string): void {
  if (!/^[a-z0-9][a-z0-9_]*$/.test(name)) {
    throw new UsageError(`Migration name "${name}" is not valid`, 'use lowercase letters, digits and underscores, e.g. add_employee_bio', 'BAD_NAME');
  }
}

/** Writes an empty pair; `now` is injectable so tests and `diff` control the version. */
export interface CreateOptions {
  tenant?: boolean;
  now?: Date;
  /** SQL to follow each file's header (what `diff` generated), so a pair is written whole, once. */
  body?: { up: string; down: string };
}

export async function createMigration(dir: string, name: string, opts: CreateOptions = {}): Promise<Created> {
  checkMigrationName(name);
  const scope: Scope = opts.tenant ? 'tenant' : 'global';
  await writable(dir, () => mkdir(join(dir, TENANT_DIR), { recursive: true }));
  const folder = await loadMigrations(dir, { allowEmpty: true });
  // Two creates in one second, or a clock behind the newest version, still get a fresh, later version:
  // one second past the newest, computed rather than counted up to.
  const newest = folder.migrations.at(-1)?.version;
  const after = newest === undefined ? undefined : versionTime(newest);
  const t = Math.max((opts.now ?? new Date()).getTime(), after === undefined ? 0 : after + 1000);
  let version = timestampVersion(new Date(t));
  if (newest !== undefined && version <= newest) {
    // The newest version names no real time and lies ahead of the clock: the next number is still later.
    version = String(BigInt(newest) + 1n).padStart(14, '0');
    if (version.length > 14) throw new UsageError(`No version is left after ${newest}`, 'give that migration a real UTC timestamp as its version, then run hash', 'NO_VERSION_LEFT');
  }
  const base = `${scope === 'tenant' ? `${TENANT_DIR}/` : ''}${version}_${name}`;
  const where = scope === 'tenant' ? 'runs in every tenant schema, with search_path set to it: write names unqualified' : 'runs once, in schema public';
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
async function addToSum(dir: string, files: Array<[string, string]>): Promise<void> {
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

/** A read-only folder (as baked into the image) gets advice, not a raw EACCES. */
async function writable<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EROFS' && code !== 'EPERM') throw error;
    throw new UsageError(`Cannot write to the migrations folder ${dir} (${code})`, 'write migrations in a checkout, commit them, and rebuild the image', 'READ_ONLY_FOLDER');
  }
}
