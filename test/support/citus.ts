// A real Citus cluster for the tests: a coordinator with two workers, schema-based sharding on, as
// `../shared/tools/citus up` starts it (CITUS_URL names another). Each test gets a database of its
// own on every node (scripts/lib/citus-cluster.ts). Where no coordinator answers, the tests are
// listed as not run, with the command that starts one.
import { randomBytes } from 'node:crypto';
import { createCitusDatabase, findCluster } from '../../scripts/lib/citus-cluster';
import { testDatabase, type TestDatabase } from './db';
import { test as plain } from './fixtures';
import { notRun } from './not-run';

const found = await findCluster();
const cluster = typeof found === 'string' ? undefined : found;

/** Why the Citus tests cannot run here, with the command that makes them run; undefined when they can. */
export const citusMissing = typeof found === 'string' ? found : undefined;

/** The suite's title, marked as not run where there is no cluster. */
export const citusTitle = (title: string) => notRun(`${title} (Citus ${cluster?.version ?? 'cluster'})`, citusMissing);

/** test/support/fixtures.ts's fixtures, `db` being a database of its own on the Citus cluster. */
export const test = plain.extend<{ db: TestDatabase }>({
  // eslint-disable-next-line no-empty-pattern
  db: async ({}, use) => {
    if (!cluster) throw new Error(citusMissing);
    const name = `mt_citus_${randomBytes(6).toString('hex')}`;
    const made = await createCitusDatabase(cluster, name);
    const db = testDatabase(name, made.url, () => made.drop());
    await use(db);
    await db.drop();
  },
});

export { expect, describe } from 'vitest';

/** How Citus holds a schema, as the coordinator sees it. */
export async function citusSchema(
  db: TestDatabase,
  schema: string,
): Promise<{ distributed: boolean; colocations: number; tables: number }> {
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
