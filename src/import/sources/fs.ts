// Reading a source folder: a missing or unreadable SRC is a usage error, before anything is written.
import { readdir, readFile } from 'node:fs/promises';
import type { Dirent } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../../errors';

export async function listEntries(dir: string): Promise<Dirent[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new UsageError(
        `Source folder ${dir} does not exist`,
        "give the folder that holds the other tool's migrations",
        'NO_SOURCE',
      );
    throw error;
  }
}

export function readText(dir: string, rel: string): Promise<string> {
  return readFile(join(dir, rel), 'utf8');
}

/** `3` and `0003` are the same golang-migrate version; ids are written without leading zeros. */
export function numericId(digits: string): string {
  return String(BigInt(digits));
}
