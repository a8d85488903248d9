// A fresh database per test, created on the suite's server and dropped afterwards,
// so test files and tests can run in parallel without seeing each other's schemas.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

export interface TestDatabase {
  name: string;
  url: string;
  /** A connection to this database, closed when the test ends. */
  // Rows untyped by default, as pg's own query(): a test reads the columns it selected.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  query<T extends pg.QueryResultRow = any>(sql: string, params?: unknown[]): Promise<pg.QueryResult<T>>;
  drop(): Promise<void>;
}

export function adminUrl(): string {
  return inject('adminUrl');
}

export function urlFor(database: string, base = adminUrl()): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function createDatabase(prefix = 'mt'): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`));
  return testDatabase(name, urlFor(name), () =>
    withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`)),
  );
}

/** A TestDatabase for a database made elsewhere: one connection opened at the first query, `dropDatabase` after it closes. */
export function testDatabase(name: string, url: string, dropDatabase: () => Promise<unknown>): TestDatabase {
  let client: pg.Client | undefined;
  return {
    name,
    url,
    async query(sql, params) {
      if (!client) {
        client = new pg.Client({ connectionString: url });
        await client.connect();
      }
      return client.query(sql, params as unknown[]);
    },
    async drop() {
      await client?.end().catch(() => {});
      client = undefined;
      await dropDatabase();
    },
  };
}
