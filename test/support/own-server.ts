// A throwaway PostgreSQL of a test's own, for what must not be done to the shared server: tiny
// max_connections, filling it up. initdb + pg_ctl from the installed PostgreSQL, on a free port;
// logins need a password (SCRAM), as on every server the suite uses.
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { handToTools, runAsPostgres, toolFolder } from './as-postgres';
import { freePort } from './server';

function binDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  return versions.map((v) => join(root, v, 'bin')).find((d) => existsSync(join(d, 'initdb')));
}

export const ownServerMissing = binDir() ? undefined : 'no PostgreSQL server binaries under /usr/lib/postgresql';

export interface OwnServer {
  /** A superuser URL, with its password, to the `postgres` database. */
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** `password` is the superuser's; a random one by default. */
export async function startOwnServer(
  settings: Record<string, string | number>,
  password = randomBytes(9).toString('base64url'),
): Promise<OwnServer> {
  const bin = binDir()!;
  const dir = await toolFolder('mt-own-pg-');
  const data = join(dir, 'data');
  const port = await freePort();
  const pwfile = join(dir, 'pwfile');
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  await handToTools(pwfile);
  try {
    await runAsPostgres(join(bin, 'initdb'), [
      '-D',
      data,
      '-U',
      'postgres',
      `--pwfile=${pwfile}`,
      '--auth=scram-sha-256',
      '-E',
      'UTF8',
      '--no-sync',
    ]);
  } finally {
    await rm(pwfile, { force: true });
  }
  return started(bin, dir, data, port, settings, password);
}

/** A streaming replica of `primary` (pg_basebackup -R: its data and its password), on a port of its own. */
export async function startReplica(primary: OwnServer): Promise<OwnServer> {
  const bin = binDir()!;
  const dir = await toolFolder('mt-own-replica-');
  const data = join(dir, 'data');
  const port = await freePort();
  const password = decodeURIComponent(new URL(primary.url).password);
  const from = ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres'];
  await runAsPostgres(join(bin, 'pg_basebackup'), [...from, '-D', data, '-R', '-X', 'stream'], {
    PGPASSWORD: password,
  });
  return started(bin, dir, data, port, {}, password);
}

/** Starts the cluster in `data` on `port`; stopping it removes `dir`. */
async function started(
  bin: string,
  dir: string,
  data: string,
  port: number,
  settings: Record<string, string | number>,
  password: string,
): Promise<OwnServer> {
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`),
  ].join(' ');
  await runAsPostgres(join(bin, 'pg_ctl'), ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', 'start']);
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    port,
    async stop() {
      await runAsPostgres(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}
