// The state rows a restore keeps (backup/kept.ts): the rows of the schemas the archive does not hold,
// read before the restore and written back in its transaction, as SQL for its script.
import pg from 'pg';
import { COUNTED_SETTING, COUNTS_TABLE } from './state-counts';
import { STATE_TABLE } from './state';

import type { Queryable } from '../../db/queryable';

export interface SchemaRows {
  schema: string;
  rows: number;
  /** The rows as json_agg wrote them: every column, by name. */
  json: string;
}

/** The state rows of `schemas`, per schema, as json (every column): what a restore must keep. */
export async function readKeptRows(db: Queryable, schemas: string[]): Promise<SchemaRows[]> {
  if (!schemas.length || !(await tableExists(db, STATE_TABLE))) return [];
  const r = await db.query<SchemaRows>(
    `SELECT m.schema_name AS schema, count(*)::int AS rows, pg_catalog.json_agg(m ORDER BY m.version)::text AS json
       FROM ${STATE_TABLE} m WHERE m.schema_name = ANY($1::text[]) GROUP BY 1 ORDER BY 1`,
    [schemas],
  );
  return r.rows;
}

/**
 * The rows as they were read, whatever columns the table has (json_populate_recordset maps them by
 * name), after any stale rows of those names. Each schema's rows go in under COUNTED_SETTING, so the
 * count trigger lets them through (400,000 rows: 77 s counted one by one here, 17.5 s this way); the counts of
 * every kept schema are then written once from the rows, where the restored database has counts.
 */
export function writeBackSql(state: SchemaRows[], counts: boolean): string[] {
  const names = `ARRAY[${state.map((s) => pg.escapeLiteral(s.schema)).join(', ')}]::text[]`;
  const out = [`DELETE FROM ${STATE_TABLE} WHERE schema_name = ANY(${names});\n`];
  for (const s of state) {
    out.push(`SELECT pg_catalog.set_config('${COUNTED_SETTING}', ${pg.escapeLiteral(s.schema)}, true);\n`);
    out.push(
      `INSERT INTO ${STATE_TABLE} SELECT * FROM pg_catalog.json_populate_recordset(NULL::${STATE_TABLE}, ${pg.escapeLiteral(s.json)});\n`,
    );
  }
  out.push(`SELECT pg_catalog.set_config('${COUNTED_SETTING}', '', true);\n`);
  if (counts)
    out.push(
      `DELETE FROM ${COUNTS_TABLE} WHERE schema_name = ANY(${names});\n`,
      `INSERT INTO ${COUNTS_TABLE} (schema_name, versions, latest) SELECT schema_name, count(*), max(version) FROM ${STATE_TABLE} WHERE schema_name = ANY(${names}) GROUP BY 1;\n`,
    );
  return out;
}

/**
 * Whether the counts table exists once the archive is restored: the archive's, if it holds the state
 * table (`archived`: the relations the archive holds), else the one there is.
 */
export async function countsAfterRestore(db: Queryable, archived: ReadonlySet<string>): Promise<boolean> {
  return archived.has(STATE_TABLE) ? archived.has(COUNTS_TABLE) : tableExists(db, COUNTS_TABLE);
}

async function tableExists(db: Queryable, name: string): Promise<boolean> {
  const r = await db.query<{ t: string | null }>(`SELECT pg_catalog.to_regclass($1)::text AS t`, [name]);
  return Boolean(r.rows[0]?.t);
}
