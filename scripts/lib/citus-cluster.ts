// A database of its own on a running Citus cluster, for the tests and the benchmark: created on every
// node (Citus propagates CREATE DATABASE when asked to), the extension created in each, and the
// coordinator and its workers registered in it, as `../shared/tools/citus up` does for the cluster's
// own database. The cluster is found at CITUS_URL (default: the local one, coordinator 127.0.0.1:5441).
import pg from 'pg';
import { withClient as withOneClient } from './pg-client';

export const CITUS_URL = process.env.CITUS_URL ?? 'postgres://postgres@127.0.0.1:5441/postgres';
/** The one command that starts the local cluster (from the checkout's folder). */
export const CITUS_START = '../shared/tools/citus up';

export interface CitusCluster {
  url: string;
  /** extversion, e.g. 13.2-1. */
  version: string;
  workers: Array<{ host: string; port: number }>;
}

/** A cluster that is not up answers at once or not at all: three seconds, then say so. */
function withClient<T>(
  url: string,
  fn: (c: pg.Client) => Promise<T>,
  options: Partial<pg.ClientConfig> = {},
): Promise<T> {
  return withOneClient(url, fn, { connectionTimeoutMillis: 3_000, ...options });
}

function urlFor(base: string, database: string, node?: { host: string; port: number }): string {
  const u = new URL(base);
  u.pathname = `/${database}`;
  if (node) [u.hostname, u.port] = [node.host, String(node.port)];
  return u.toString();
}

/** The cluster at `url`, or why it cannot be used (with the command that starts the local one). */
export async function findCluster(url = CITUS_URL): Promise<CitusCluster | string> {
  const where = `${new URL(url).hostname}:${new URL(url).port}`;
  const problem = await withClient(url, async (c) => {
    const v = await c.query<{ v: string | null }>(
      `SELECT (SELECT extversion FROM pg_extension WHERE extname = 'citus') AS v`,
    );
    if (!v.rows[0]?.v) return `no citus extension at ${where}`;
    const w = await c.query<{ host: string; port: number }>(
      `SELECT nodename AS host, nodeport AS port FROM pg_dist_node WHERE groupid <> 0 AND noderole = 'primary' ORDER BY nodeport`,
    );
    return w.rows.length
      ? { url, version: v.rows[0].v, workers: w.rows }
      : `the Citus coordinator at ${where} has no workers`;
  }).catch((error: Error) => `no Citus coordinator answers at ${where} (${error.message})`);
  return typeof problem === 'string' ? `${problem}; start a local cluster with \`${CITUS_START}\`` : problem;
}

/** A new database on every node of `cluster`; `drop` removes it from each. */
export async function createCitusDatabase(
  cluster: CitusCluster,
  name: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const quoted = pg.escapeIdentifier(name);
  await withClient(cluster.url, (c) => c.query(`CREATE DATABASE ${quoted}`), {
    options: '-c citus.enable_create_database_propagation=on',
  });
  for (const w of cluster.workers)
    await withClient(urlFor(cluster.url, name, w), (c) => c.query('CREATE EXTENSION citus'));
  const url = urlFor(cluster.url, name);
  const coordinator = new URL(cluster.url);
  await withClient(url, async (c) => {
    await c.query('CREATE EXTENSION citus');
    await c.query('SELECT citus_set_coordinator_host($1, $2)', [coordinator.hostname, Number(coordinator.port)]);
  });
  for (const w of cluster.workers)
    await retried(ESSENTIAL, () => withClient(url, (c) => c.query('SELECT citus_add_node($1, $2)', [w.host, w.port])));
  // Node by node: a propagated DROP fails when a worker still has a connection closing.
  const drop = `DROP DATABASE IF EXISTS ${quoted} WITH (FORCE)`;
  const dropOn = (nodeUrl: string) => retried(IN_USE, () => withClient(nodeUrl, (c) => c.query(drop)));
  return {
    url,
    async drop() {
      await dropOn(cluster.url);
      for (const w of cluster.workers) await dropOn(urlFor(cluster.url, 'postgres', w));
    },
  };
}

/**
 * What a busy machine makes Citus fail with now and then, where the same statement on a fresh
 * session a moment later succeeds: citus_add_node's "failure on connection marked as essential"
 * (no reason given), and a DROP DATABASE ... WITH (FORCE) that still finds the database in use
 * (both seen once each in CI runs; the cause is not reported).
 */
const ESSENTIAL = /marked as essential/;
const IN_USE = /is being accessed by other users/;

/** `work` on a fresh session up to three times while it fails with `transient`; then its error. */
async function retried(transient: RegExp, work: () => Promise<unknown>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await work();
      return;
    } catch (error) {
      if (attempt === 3 || !transient.test((error as Error).message)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1000 * attempt));
    }
  }
}
