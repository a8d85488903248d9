// Backup file names (`backup_<db>_<YYYYMMDD_HHMMSS>.dump`, UTC) and the retention rule: remove
// this database's backups older than N days, never another database's, never the newest.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

const STAMP = /^(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})$/;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The database name as it appears in a file name. Anything unsafe in a path is percent-encoded
 * rather than replaced, so two databases (`my db`, `my_db`) never share a prefix and retention for
 * one never removes the other's backups.
 */
export function fileSafe(database: string): string {
  return database.replace(/[^A-Za-z0-9_.-]/gu, (c) =>
    [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

export function stamp(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}_${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

export function backupName(database: string, at: Date): string {
  return `backup_${fileSafe(database)}_${stamp(at)}.dump`;
}

/** The time in a backup file name of this database (or of its unfinished temporary file), else undefined. */
export function backupTime(file: string, database: string): Date | undefined {
  const prefix = `backup_${fileSafe(database)}_`;
  const name = file.startsWith('.') && file.endsWith('.partial') ? file.slice(1, -'.partial'.length) : file;
  if (!name.startsWith(prefix) || !name.endsWith('.dump')) return undefined;
  const m = STAMP.exec(name.slice(prefix.length, -'.dump'.length));
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  return new Date(Date.UTC(y, mo - 1, d, h, mi, s));
}

export interface Pruned {
  removed: string[];
  /** Files that should have gone but could not be removed. */
  failed: string[];
}

/** Removes this database's backups older than `days` (by the time in their name), except `keep`. */
export async function pruneBackups(
  dir: string,
  database: string,
  days: number,
  keep: string,
  now = new Date(),
): Promise<Pruned> {
  const cutoff = now.getTime() - days * DAY_MS;
  const out: Pruned = { removed: [], failed: [] };
  let files: string[];
  try {
    files = await readdir(dir);
  } catch (error) {
    // A folder that can be written but not listed (mode -wx) took the backup all the same: that must not fail it.
    out.failed.push(`${dir} (cannot list the folder to find old backups: ${(error as Error).message})`);
    return out;
  }
  for (const file of files.sort()) {
    const at = backupTime(file, database);
    const path = join(dir, file);
    if (!at || at.getTime() >= cutoff || path === keep) continue;
    try {
      await rm(path);
      out.removed.push(path);
    } catch (error) {
      out.failed.push(`${path} (${(error as Error).message})`);
    }
  }
  return out;
}

/** The newest backup of this database in `dir` (by the time in its name), or undefined when there is none. */
export async function latestBackup(dir: string, database: string): Promise<string | undefined> {
  const files = await readdir(dir).catch(() => [] as string[]);
  let latest: { file: string; at: number } | undefined;
  for (const file of files) {
    const at = file.startsWith('.') ? undefined : backupTime(file, database)?.getTime();
    if (at !== undefined && (!latest || at > latest.at)) latest = { file, at };
  }
  return latest && join(dir, latest.file);
}
