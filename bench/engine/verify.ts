// Proof that a timed run did its work: the objects of the three migrations exist in exactly the
// schemas it was asked to migrate, and (for the tools) each recorded them, so a broken run
// cannot pass for a fast one.
import { withClient } from '../lib/db';
import { PENDING, TENANT_LIKE } from './fixture';

export interface Applied {
  columns: number;
  tables: number;
  indexes: number;
}

export async function countApplied(url: string): Promise<Applied> {
  return withClient(url, async (c) => {
    const { rows } = await c.query<{ columns: string; tables: string; indexes: string }>(
      `WITH t AS (
         SELECT c.relname, c.relkind, c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname LIKE $1)
       SELECT
         (SELECT count(*) FROM t JOIN pg_attribute a ON a.attrelid = t.oid
           WHERE t.relname = 'employees' AND t.relkind = 'r' AND a.attname = 'phone' AND NOT a.attisdropped) AS columns,
         (SELECT count(*) FROM t WHERE t.relname = 'reviews' AND t.relkind = 'r') AS tables,
         (SELECT count(*) FROM t WHERE t.relname = 'appointments_employee_id_starts_at_idx' AND t.relkind = 'i') AS indexes`,
      [TENANT_LIKE],
    );
    const r = rows[0]!;
    return { columns: Number(r.columns), tables: Number(r.tables), indexes: Number(r.indexes) };
  });
}

/** Throws unless each of the three migrations' objects exists in exactly `schemas` schemas. */
export async function verifyApplied(what: string, url: string, schemas: number): Promise<void> {
  const got = await countApplied(url);
  const wrong = Object.entries(got).filter(([, n]) => n !== schemas);
  if (wrong.length > 0) {
    throw new Error(
      `${what}: expected the new column, table and index in ${schemas} schemas each, found ${JSON.stringify(got)}`,
    );
  }
}

/** Rows a peer recorded in its per-schema table (`pgmigrations`, `schema_migrations`), summed over the tenants. */
export async function peerRecords(url: string, table: string): Promise<number> {
  return withClient(url, async (c) => {
    const { rows } = await c.query<{ n: string | null }>(
      `SELECT sum((xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I.%I', nspname, $2::text), false, true, '')))[1]::text::int) AS n
         FROM pg_namespace WHERE nspname LIKE $1`,
      [TENANT_LIKE, table],
    );
    return Number(rows[0]!.n ?? 0);
  });
}

/** Throws unless a peer recorded the baseline plus the three migrations in each of `schemas` schemas. */
export async function verifyPeerRecords(
  what: string,
  url: string,
  table: string,
  schemas: number,
  totalSchemas: number,
): Promise<void> {
  const got = await peerRecords(url, table);
  const expected = schemas * (1 + PENDING.length) + (totalSchemas - schemas);
  if (got !== expected)
    throw new Error(`${what}: expected ${expected} rows in ${table} over all tenants, found ${got}`);
}
