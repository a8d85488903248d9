// A real pgbouncer (Debian's package) in front of the suite's server, for the pooler tests.
// Absent pgbouncer, `pgbouncerMissing` says why the tests skip; .ci/run installs it.
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { handToTools, spawnAsPostgres, toolFolder, waitForPort } from './as-postgres';
import { freePort } from './server';

const BINARY = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'].find((p) => existsSync(p));

export const pgbouncerMissing = BINARY
  ? undefined
  : 'pgbouncer is not installed (apt-get install pgbouncer; .ci/run does)';

export interface Pgbouncer {
  port: number;
  stop(): Promise<void>;
}

/** Starts pgbouncer with `pool_mode` on a free loopback port, routing every database to `serverUrl`'s server. */
export async function startPgbouncer(serverUrl: string, poolMode: 'session' | 'transaction'): Promise<Pgbouncer> {
  const server = new URL(serverUrl);
  const port = await freePort();
  const dir = await toolFolder('mt-pgbouncer-');
  const user = decodeURIComponent(server.username);
  const password = decodeURIComponent(server.password);
  // With a password, clients authenticate to pgbouncer with it (SCRAM), and pgbouncer logs in to the
  // server with the same one from its user list; without, both legs trust. The list is its user's alone.
  const users = join(dir, 'users.txt');
  await writeFile(users, `"${user}" "${password.replace(/"/g, '""')}"\n`, { mode: 0o600 });
  await handToTools(users);
  await writeFile(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${server.hostname} port=${server.port || 5432}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      `auth_type = ${password ? 'scram-sha-256' : 'trust'}`,
      `auth_file = ${users}`,
      `pool_mode = ${poolMode}`,
      '',
    ].join('\n'),
  );
  const child = spawnAsPostgres(BINARY!, [join(dir, 'pgbouncer.ini')]);
  let log = '';
  child.stderr?.on('data', (d) => (log += d));
  child.stdout?.on('data', (d) => (log += d));
  try {
    await waitForPort(port);
  } catch (error) {
    child.kill();
    throw new Error(`pgbouncer did not start: ${log}`, { cause: error });
  }
  return {
    port,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null)
        return void (await rm(dir, { recursive: true, force: true }));
      const closed = new Promise((r) => child.once('close', r));
      child.kill('SIGINT');
      await closed;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
