// Which schemas are tenants: those matching the tenant pattern, never a system schema, public or
// this tool's own state schema, whatever the pattern (the pattern is also checked up front, in
// config/tenant-pattern.ts). Every room that needs the list of tenants asks here.
import { notReserved } from '../config/reserved';
import type { Queryable } from '../db/queryable';

export async function listTenantSchemas(db: Queryable, tenantPattern: string): Promise<string[]> {
  // One array, not a row per schema: 10,000 rows cost more to parse (and collect) than to find.
  const r = await db.query<{ names: string[] }>(
    `SELECT coalesce(array_agg(nspname::text ORDER BY nspname), '{}') AS names FROM pg_namespace WHERE nspname LIKE $1 AND ${notReserved('nspname')}`,
    [tenantPattern],
  );
  return r.rows[0]?.names ?? [];
}

/**
 * SQL true when the schema named in `column` (a text column, e.g. of the state table) is a tenant
 * schema: it matches the pattern (`pattern`: SQL text, a parameter) and exists. The pattern is
 * checked never to match public, pg_*, information_schema or the state schema (config/tenant-pattern.ts),
 * so this is listTenantSchemas's rule, asked of a name rather than of pg_namespace.
 */
export function isTenantSchemaSql(column: string, pattern: string): string {
  return `${column} LIKE ${pattern} AND EXISTS (SELECT 1 FROM pg_namespace n WHERE n.nspname = ${column}::name)`;
}

/** Whether `schema` exists and is a tenant schema, without listing the others. */
export async function isTenantSchema(db: Queryable, tenantPattern: string, schema: string): Promise<boolean> {
  const r = await db.query(
    `SELECT 1 FROM pg_namespace WHERE nspname = $2::name AND nspname LIKE $1 AND ${notReserved('nspname')}`,
    [tenantPattern, schema],
  );
  return (r.rowCount ?? 0) > 0;
}
