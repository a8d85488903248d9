// Programs that PostgreSQL's tools start (initdb, pg_ctl, pgbouncer) refuse to run as root: when
// the suite runs as root they run as the `postgres` user, in a folder that user can read.
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { chmod, chown, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** A fresh folder the tools' user owns (mkdtemp makes 0700 folders owned by the caller). */
export async function toolFolder(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await chmod(dir, 0o755);
  const user = postgresUser();
  if (user) await chown(dir, user.uid, user.gid);
  return dir;
}

/** Gives a file written by this process to the tools' user (when running as root), so a 0600 file stays readable by them. */
export async function handToTools(file: string): Promise<void> {
  const user = postgresUser();
  if (user) await chown(file, user.uid, user.gid);
}

export function spawnAsPostgres(command: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
  return spawn(command, args, { stdio: 'pipe', ...opts, ...postgresUser() });
}

/** `env` is added to this process's environment (PGPASSWORD for a client tool, say). */
export function runAsPostgres(command: string, args: string[], env?: Record<string, string>): Promise<string> {
  const child = spawnAsPostgres(command, args, env ? { env: { ...process.env, ...env } } : {});
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`${command} exited ${code}: ${output}`)),
    );
  });
}

/** Resolves once something accepts TCP connections on the port. */
export async function waitForPort(port: number, timeoutMs = 15_000): Promise<void> {
  const { connect } = await import('node:net');
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
}
