// What the lock model reads from a database when the caller has one: a column's current type (a
// binary-coercible ALTER COLUMN TYPE does not rewrite) and the table an index belongs to (DROP
// INDEX and REINDEX INDEX lock it without naming it). Unqualified names resolve by the
// connection's search_path, as the migration's statements will.
import pg from 'pg';
import type { Queryable } from '../db/queryable';
import type { TableLock } from './lock-modes';
import type { ColumnTypeLookup, VolatilityLookup } from './locks-alter';

const qualified = (t: { schema?: string; table: string }) =>
  (t.schema ? `${pg.escapeIdentifier(t.schema)}.` : '') + pg.escapeIdentifier(t.table);

/** A ColumnTypeLookup answered by the catalog (format_type's text), for statementLocks' options. */
export function catalogColumnTypes(client: Queryable): ColumnTypeLookup {
  return async (t, column) =>
    (
      await client.query(
        'SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = $2 AND attnum > 0 AND NOT attisdropped',
        [qualified(t), column],
      )
    ).rows[0]?.type ?? undefined;
}

/** A VolatilityLookup answered by the catalog: the most volatile of the function's overloads visible by that name. */
export function catalogFunctionVolatility(client: Queryable): VolatilityLookup {
  return async (names) => {
    const name = names[names.length - 1];
    const schema = names.length > 1 ? names[names.length - 2] : undefined;
    const { rows } = await client.query(
      `SELECT max(p.provolatile) AS v FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE p.proname = $1 AND (CASE WHEN $2::text IS NULL THEN pg_function_is_visible(p.oid) ELSE n.nspname = $2 END)`,
      [name, schema ?? null],
    );
    return rows[0]?.v ?? undefined;
  };
}

/** The locks with each index-flagged entry replaced by the table its index belongs to; an index not found stays as it is. */
export async function resolveIndexTables(client: Queryable, locks: TableLock[]): Promise<TableLock[]> {
  return Promise.all(
    locks.map(async (l) => {
      if (!l.index) return l;
      const { rows } = await client.query(
        `SELECT n.nspname AS schema, c.relname AS table FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace WHERE i.indexrelid = to_regclass($1)`,
        [qualified(l)],
      );
      if (!rows[0]) return l;
      const { index: _index, ...rest } = l;
      return { ...rest, schema: rows[0].schema, table: rows[0].table, what: `${l.what} ${l.table}` };
    }),
  );
}
