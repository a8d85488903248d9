// A real Citus cluster for the tests: a coordinator with two workers, schema-based sharding on, as
// `../shared/tools/citus up` starts it (coordinator 127.0.0.1:5441; CITUS_URL names another). Each
// test gets a database of its own: created on every node (Citus propagates CREATE DATABASE when
// asked to), the extension created in each, the coordinator and the workers registered in it, as on
// the cluster's own database. Where no coordinator answers, the tests are listed as not run.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { testDatabase, urlFor, type TestDatabase } from './db';
import { test as plain } from './fixtures';
import { notRun } from './not-run';

export const CITUS_URL = process.env.CITUS_URL ?? 'postgres://postgres@127.0.0.1:5441/postgres';
const START = '../shared/tools/citus up';

interface Node {
  host: string;
  port: number;
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>, options: Partial<pg.ClientConfig> = {}): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000, ...options });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The workers the cluster's own database knows, or why the cluster cannot be used. */
async function probe(): Promise<{ workers: Node[]; version: string } | string> {
  try {
    return await withClient(CITUS_URL, async (c) => {
      const v = await c.query<{ v: string | null }>(`SELECT (SELECT extversion FROM pg_extension WHERE extname = 'citus') AS v`);
      if (!v.rows[0]?.v) return `no citus extension in ${redacted()}`;
      const w = await c.query<Node>(
        `SELECT nodename AS host, nodeport AS port FROM pg_dist_node WHERE groupid <> 0 AND noderole = 'primary' ORDER BY nodeport`,
      );
      if (!w.rows.length) return `the Citus coordinator at ${redacted()} has no workers`;
      return { workers: w.rows, version: v.rows[0].v };
    });
  } catch (error) {
    return `no Citus coordinator answers at ${redacted()} (${(error as Error).message})`;
  }
}

function redacted(): string {
  const u = new URL(CITUS_URL);
  u.password = '';
  return `${u.hostname}:${u.port}`;
}

const found = await probe();
const cluster = typeof found === 'string' ? undefined : found;

/** Why the Citus tests cannot run here, with the command that makes them run; undefined when they can. */
export const citusMissing = typeof found === 'string' ? `${found}; start a local cluster with \`${START}\`` : undefined;

/** The suite's title, marked as not run where there is no cluster. */
export const citusTitle = (title: string) => notRun(`${title} (Citus ${cluster?.version ?? 'cluster'})`, citusMissing);

function nodeUrl(node: Node, database: string): string {
  const u = new URL(CITUS_URL);
  u.hostname = node.host;
  u.port = String(node.port);
  return urlFor(database, u.toString());
}

/** A database of its own on the cluster, a Citus database on every node, the workers registered. */
export async function createCitusDatabase(): Promise<TestDatabase> {
  if (!cluster) throw new Error(citusMissing);
  const name = `mt_citus_${randomBytes(6).toString('hex')}`;
  const propagate = { options: '-c citus.enable_create_database_propagation=on' };
  await withClient(CITUS_URL, (c) => c.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`), propagate);
  for (const w of cluster.workers) await withClient(nodeUrl(w, name), (c) => c.query('CREATE EXTENSION citus'));
  const url = urlFor(name, CITUS_URL);
  const coordinator = new URL(CITUS_URL);
  await withClient(url, async (c) => {
    await c.query('CREATE EXTENSION citus');
    await c.query('SELECT citus_set_coordinator_host($1, $2)', [coordinator.hostname, Number(coordinator.port)]);
    for (const w of cluster.workers) await c.query('SELECT citus_add_node($1, $2)', [w.host, w.port]);
  });
  // Node by node: a propagated DROP fails when a worker still has a connection closing.
  const drop = `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`;
  return testDatabase(name, url, async () => {
    await withClient(CITUS_URL, (c) => c.query(drop));
    for (const w of cluster.workers) await withClient(nodeUrl(w, 'postgres'), (c) => c.query(drop));
  });
}

/** test/support/fixtures.ts's fixtures, `db` being a database on the Citus cluster. */
export const test = plain.extend<{ db: TestDatabase }>({
  // eslint-disable-next-line no-empty-pattern
  db: async ({}, use) => {
    const db = await createCitusDatabase();
    await use(db);
    await db.drop();
  },
});

export { expect, describe } from 'vitest';

/** Queries on the coordinator that say how Citus holds a schema. */
export async function citusSchema(db: TestDatabase, schema: string): Promise<{ distributed: boolean; colocations: number; tables: number }> {
  const r = await db.query<{ distributed: boolean; colocations: number; tables: number }>(
    `SELECT EXISTS (SELECT 1 FROM pg_dist_schema WHERE schemaid = to_regnamespace($1)) AS distributed,
            (SELECT count(DISTINCT p.colocationid)::int FROM pg_dist_partition p JOIN pg_class c ON c.oid = p.logicalrelid
              WHERE c.relnamespace = to_regnamespace($1)) AS colocations,
            (SELECT count(*)::int FROM pg_dist_partition p JOIN pg_class c ON c.oid = p.logicalrelid
              WHERE c.relnamespace = to_regnamespace($1)) AS tables`,
    [schema],
  );
  return r.rows[0]!;
}
