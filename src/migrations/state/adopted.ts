// What `adopt` records: state rows taken from another tool's history, without running SQL, and in
// migrate_tool.adopted (made by the first adopt) which tool and which entry of its history each came from.
import { STATE_SCHEMA } from '../../config/reserved';
import { STATE_TABLE } from './state';

import type { Queryable } from '../../db/queryable';

export const ADOPTED_TABLE = `${STATE_SCHEMA}.adopted`;

/** One adopted row per entry, column by column. */
export interface AdoptedRows {
  schema: string[];
  version: string[];
  name: string[];
  scope: string[];
  checksum: string[];
  /** The other tool's identifier of each. */
  original: string[];
}

/** Records the rows as forced (a row already recorded is left as it is) and where each came from; in the caller's transaction. */
export async function recordAdopted(db: Queryable, tool: string, rows: AdoptedRows): Promise<void> {
  const exists = await db.query<{ t: string | null }>(`SELECT to_regclass($1) AS t`, [ADOPTED_TABLE]);
  if (!exists.rows[0]?.t) {
    await db.query(`CREATE TABLE ${ADOPTED_TABLE} (
        schema_name text NOT NULL, version text NOT NULL, tool text NOT NULL, original text NOT NULL,
        adopted_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (schema_name, version))`);
    await db.query(
      `COMMENT ON TABLE ${ADOPTED_TABLE} IS 'migrate-tool: state rows recorded by adopt from another tool''s history, without running SQL'`,
    );
  }
  await db.query(
    `INSERT INTO ${STATE_TABLE} (schema_name, version, name, scope, checksum, forced)
       SELECT s, v, n, sc, c, true FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS u(s, v, n, sc, c)
       ON CONFLICT (schema_name, version) DO NOTHING`,
    [rows.schema, rows.version, rows.name, rows.scope, rows.checksum],
  );
  await db.query(
    `INSERT INTO ${ADOPTED_TABLE} (schema_name, version, tool, original)
       SELECT s, v, $3, o FROM unnest($1::text[], $2::text[], $4::text[]) AS u(s, v, o)
       ON CONFLICT (schema_name, version) DO UPDATE SET tool = EXCLUDED.tool, original = EXCLUDED.original, adopted_at = now()`,
    [rows.schema, rows.version, tool, rows.original],
  );
}
