// Which schemas are tenants: those matching the tenant pattern, never a system schema, public or
// this tool's own state schema, whatever the pattern (the pattern is also checked up front, in
// config/tenant-pattern.ts). Every room that needs the list of tenants asks here.
import type pg from 'pg';
import { STATE_SCHEMA } from '../config/reserved';

/** Anything that runs a query with parameters: a pg client or pool, or a caller's own wrapper. */
export interface Queryable {
  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

export async function listTenantSchemas(db: Queryable, tenantPattern: string): Promise<string[]> {
  const r = await db.query<{ nspname: string }>(
    `SELECT nspname FROM pg_namespace WHERE nspname LIKE $1 AND nspname NOT LIKE 'pg\\_%' AND nspname NOT IN ('public', 'information_schema', '${STATE_SCHEMA}') ORDER BY nspname`,
    [tenantPattern],
  );
  return r.rows.map((row) => row.nspname);
}
