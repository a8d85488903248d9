// Invalid indexes: what a CREATE INDEX CONCURRENTLY leaves behind when it does not finish (lock
// timeout, cancel, a duplicate key, a lost connection). PostgreSQL keeps the index, marked
// indisvalid = false: it is never used for reads yet slows every write, and a re-run's
// `IF NOT EXISTS` skips it as if it were built. So the engine never records a migration as
// applied over one, and the read-only views name them.
import pg from 'pg';
import { notReserved } from '../config/reserved';
import type { Queryable } from '../db/queryable';

export interface InvalidIndex {
  schema: string;
  index: string;
  table: string;
  oid: number;
}

const SELECT = `
SELECT n.nspname AS schema, c.relname AS index, t.relname AS "table", c.oid::int AS oid
  FROM pg_index i
  JOIN pg_class c ON c.oid = i.indexrelid
  JOIN pg_class t ON t.oid = i.indrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE NOT i.indisvalid`;

/** Invalid indexes in one schema. */
export async function invalidIndexesIn(db: Queryable, schema: string): Promise<InvalidIndex[]> {
  const r = await db.query<InvalidIndex>(`${SELECT} AND n.nspname = $1::name ORDER BY c.relname`, [schema]);
  return r.rows;
}

/** Invalid indexes in public and every schema matching the tenant pattern, in one query. */
export async function invalidIndexesMatching(db: Queryable, tenantPattern: string): Promise<InvalidIndex[]> {
  const r = await db.query<InvalidIndex>(
    `${SELECT} AND (n.nspname = 'public' OR (n.nspname LIKE $1 AND ${notReserved('n.nspname')})) ORDER BY n.nspname, c.relname`,
    [tenantPattern],
  );
  return r.rows;
}

/** Those in `now` that were not in `before`: what happened in between created them. */
export function appeared(before: InvalidIndex[], now: InvalidIndex[]): InvalidIndex[] {
  const seen = new Set(before.map((i) => i.oid));
  return now.filter((i) => !seen.has(i.oid));
}

export function qualified(i: Pick<InvalidIndex, 'schema' | 'index'>): string {
  return `${pg.escapeIdentifier(i.schema)}.${pg.escapeIdentifier(i.index)}`;
}

/** `company_a.appointments_starts_at_idx, ...` for messages. */
export function names(list: InvalidIndex[]): string {
  return list.map((i) => `${i.schema}.${i.index}`).join(', ');
}

/** The statements that remove them without blocking the table's traffic. */
export function dropStatements(list: InvalidIndex[]): string {
  return list.map((i) => `DROP INDEX CONCURRENTLY IF EXISTS ${qualified(i)};`).join(' ');
}

export async function dropIndexes(db: Queryable, list: InvalidIndex[]): Promise<void> {
  for (const i of list) await db.query(`DROP INDEX CONCURRENTLY IF EXISTS ${qualified(i)}`);
}
