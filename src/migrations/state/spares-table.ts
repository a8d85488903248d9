// The spares' rows (migrations/spares.ts): migrate_tool.spares lists the spare tenant schemas that
// were built whole, and a handover renames a spare's state rows to the new tenant's name.
import pg from 'pg';
import { SPARE_LIKE, STATE_SCHEMA } from '../../config/reserved';
import { STATE_TABLE } from './state';

import type { Queryable } from '../../db/queryable';

export const SPARES_TABLE = `${STATE_SCHEMA}.spares`;

const SPARES_DDL = `CREATE TABLE IF NOT EXISTS ${SPARES_TABLE} (
  schema_name text PRIMARY KEY,
  versions    text NOT NULL,
  built_by    name NOT NULL,
  built_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE ${SPARES_TABLE} IS 'migrate-tool: spare tenant schemas, built by up (tenantSpares) and taken by migrateTenant'`;

export async function sparesTableExists(db: Queryable): Promise<boolean> {
  const exists = await db.query<{ t: string | null }>(`SELECT to_regclass($1) AS t`, [SPARES_TABLE]);
  return Boolean(exists.rows[0]?.t);
}

export async function createSparesTable(db: Queryable): Promise<void> {
  await db.query(SPARES_DDL);
}

/**
 * The oldest spare this role built with `key`, whose clean rows are exactly `expected`, for the bare
 * schema `schema` (no privileges, default privileges or comment a rename would lose); undefined when
 * there is none, or no spares table.
 */
export async function pickSpare(
  db: Queryable,
  schema: string,
  key: string,
  expected: string,
): Promise<{ spare: string; owner: string; mine: boolean } | undefined> {
  const pick = await db
    .query<{ spare: string; owner: string; mine: boolean }>(
      // Names compared as `name`, so both lookups of pg_namespace use its index (10,000 schemas). The
      // spares are taken oldest first, and each one's rows are checked only until one passes.
      `SELECT c.spare, pg_get_userbyid(t.nspowner) AS owner, pg_get_userbyid(t.nspowner) = current_user AS mine
         FROM pg_namespace t,
              LATERAL (SELECT o.schema_name AS spare
                         FROM (SELECT s.schema_name FROM ${SPARES_TABLE} s WHERE s.versions = $2 AND s.built_by = current_user
                                ORDER BY s.built_at, s.schema_name OFFSET 0) o
                        WHERE EXISTS (SELECT 1 FROM pg_namespace n WHERE n.nspname = o.schema_name::name)
                          AND (SELECT string_agg(m.version || '=' || m.checksum, ',' ORDER BY m.version) FROM ${STATE_TABLE} m
                                WHERE m.schema_name = o.schema_name AND NOT m.dirty) = $3
                        LIMIT 1) c
        WHERE t.nspname = $1::name AND t.nspacl IS NULL
          AND NOT EXISTS (SELECT 1 FROM pg_default_acl d WHERE d.defaclnamespace = t.oid)
          AND NOT EXISTS (SELECT 1 FROM pg_description d WHERE d.objoid = t.oid AND d.classoid = 'pg_namespace'::regclass)`,
      [schema, key, expected],
    )
    .catch(() => ({ rows: [] })); // no spares table: none was ever kept
  return pick.rows[0];
}

/** Every spare, listed or only a schema (what an interrupted drop, or a hand, left), oldest first; fresh: built with `key` by this role, and there. */
export async function listSpares(db: Queryable, key: string): Promise<Array<{ schema: string; fresh: boolean }>> {
  const { rows } = await db.query<{ schema: string; fresh: boolean }>(
    `SELECT coalesce(s.schema_name, n.nspname::text) AS schema,
            coalesce(s.versions = $1 AND s.built_by = current_user AND n.oid IS NOT NULL, false) AS fresh
       FROM ${SPARES_TABLE} s FULL JOIN (SELECT oid, nspname FROM pg_namespace WHERE nspname LIKE ${SPARE_LIKE}) n
         ON n.nspname = s.schema_name
      ORDER BY s.built_at NULLS FIRST, 1`,
    [key],
  );
  return rows;
}

/** The spare listed, as literal SQL for a batch: written last in its build's transaction. */
export function recordSpareSql(spare: string, key: string): string {
  return `INSERT INTO ${SPARES_TABLE} (schema_name, versions, built_by) VALUES (${pg.escapeLiteral(spare)}, ${pg.escapeLiteral(key)}, current_user)`;
}

/** The spare no longer listed, as literal SQL for a batch. */
export function deleteSpareRowSql(spare: string): string {
  return `DELETE FROM ${SPARES_TABLE} WHERE schema_name = ${pg.escapeLiteral(spare)}`;
}

/** Every state row of `from` moved to `to`, as literal SQL for a batch; returns the rows as a chain's state rows do. */
export function renameSchemaRowsSql(from: string, to: string): string {
  return `UPDATE ${STATE_TABLE} SET schema_name = ${pg.escapeLiteral(to)} WHERE schema_name = ${pg.escapeLiteral(from)} RETURNING 'migrate_tool' AS recorded, version, duration_ms`;
}

/** Every state row of `schema` deleted, as literal SQL for a batch. */
export function deleteSchemaRowsSql(schema: string): string {
  return `DELETE FROM ${STATE_TABLE} WHERE schema_name = ${pg.escapeLiteral(schema)}`;
}
