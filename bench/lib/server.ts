// Which PostgreSQL server a benchmark runs against: BENCH_DATABASE_URL (default: the local server on
// 127.0.0.1:5432) if it answers, otherwise an embedded PostgreSQL started from node_modules.
import pg from 'pg';
import { redact } from '../../src/config/connection';
import { startEmbedded } from '../../scripts/lib/embedded-postgres';

export const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface BenchServer {
  /** An admin connection URL (a superuser, database `postgres`). */
  url: string;
  /** One line saying which server this is, for the printed figures. */
  description: string;
  stop(): Promise<void>;
}

/** The server named by BENCH_DATABASE_URL if it answers, else a fresh embedded one. */
export async function benchServer(env: NodeJS.ProcessEnv = process.env): Promise<BenchServer> {
  const url = env.BENCH_DATABASE_URL || DEFAULT_URL;
  const probe = await serverVersion(url);
  if ('version' in probe) {
    // Set by bench/index.ts for its children, so they name the server it chose (e.g. an embedded one).
    const description = env.BENCH_SERVER_DESCRIPTION || `${redact(url, [])} (${probe.version})`;
    return { url, description, stop: async () => {} };
  }
  const embedded = await startEmbedded();
  const version = await serverVersion(embedded.url);
  const why = `${redact(url, [])} did not answer: ${probe.error}`;
  return {
    ...embedded,
    description: `embedded PostgreSQL from node_modules, ${embedded.url.replace(/\/\/.*@/, '//')} (${'version' in version ? version.version : '?'}; ${why})`,
  };
}

async function serverVersion(url: string): Promise<{ version: string } | { error: string }> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    const { rows } = await client.query<{ v: string }>(`SELECT current_setting('server_version') AS v`);
    return { version: `PostgreSQL ${rows[0]!.v}` };
  } catch (error) {
    return { error: (error as Error).message || String(error) };
  } finally {
    await client.end().catch(() => {});
  }
}
