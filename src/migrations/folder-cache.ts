// The folder as an application's process sees it across calls: migrateTenant at every sign-up
// would otherwise read, check and split every file each time, which costs more than the rest of a
// call that takes a spare (docs/performance.md, "Figures behind the code"). A folder that loaded and matched migrate.sum is
// kept per path with the signature of everything loading read: each entry's name, size, change
// time and inode, for the folder, tenant/ and any subfolder (a new file there is refused). Any
// change to any of them, migrate.sum included, and the folder is loaded and checked again. The
// signature is read synchronously: a few hundred stat calls of cached inodes take about a
// millisecond, where as many asynchronous ones queue on libuv's four threads.
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { verifySum } from './checksum';
import { loadMigrations, type MigrationFolder } from './files';

const kept = new Map<string, { signature: string; folder: MigrationFolder }>();

/** loadMigrations and verifySum, or what they gave last time if nothing in the folder has changed. */
export async function loadCheckedFolder(dir: string): Promise<MigrationFolder> {
  const before = signature(dir);
  const hit = before === undefined ? undefined : kept.get(dir);
  if (hit && hit.signature === before) return hit.folder;
  const folder = await loadMigrations(dir);
  await verifySum(dir, folder.checksums);
  // Kept only if nothing changed while it loaded: otherwise the next call loads again.
  if (before !== undefined && signature(dir) === before) kept.set(dir, { signature: before, folder });
  return folder;
}

function signature(dir: string): string | undefined {
  try {
    const parts: string[] = [];
    const walk = (rel: string, depth: number) => {
      for (const name of readdirSync(join(dir, rel)).sort()) {
        const path = join(dir, rel, name);
        const s = lstatSync(path, { bigint: true });
        parts.push(`${rel}/${name}:${s.size}:${s.ctimeNs}:${s.mtimeNs}:${s.ino}`);
        if (s.isDirectory() && depth < 2) walk(join(rel, name), depth + 1);
      }
    };
    walk('', 0);
    return parts.join('\n');
  } catch {
    return undefined; // unreadable: loading says why
  }
}
