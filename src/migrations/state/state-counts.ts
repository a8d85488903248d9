// Per schema, how many versions are recorded and the highest: kept by a trigger on the state table,
// in the same transaction as every row written, whoever writes it (this release, an older one,
// `force`, `adopt`, a hand-written INSERT). With it, a summary read (state-summary.ts) of 10,000
// schemas reads 10,000 small rows instead of counting 2,000,000.
//
// Checked, not trusted: a read uses the counts only while the trigger exists and fires always
// (ENABLE ALWAYS: also under session_replication_role = replica, as pg_restore --disable-triggers
// sets it). Otherwise it counts the rows itself. The function runs as the table's owner (SECURITY
// DEFINER, fixed search_path), so a role granted only the state table's rows keeps it up to date.
import pg from 'pg';
import { STATE_SCHEMA } from '../../config/reserved';
import { inOneRoundTrip, oneQueryText } from '../../db/transaction';
import { pruneDroppedSchemas, STATE_TABLE } from './state';
import type { Queryable } from '../../db/queryable';

export const COUNTS_TABLE = `${STATE_SCHEMA}.schema_counts`;
const TRIGGER = 'migrations_schema_counts';

/**
 * Set (transaction-local) to a schema whose count row the tool writes itself, once, in the same
 * transaction (recountSql): a new schema's chain writes 200 rows, a spare's handover moves them.
 * Counted row by row, they would cost an upsert each and leave as many dead versions of the row.
 */
export const COUNTED_SETTING = 'migrate_tool.counted_schema';

/** The count row of `schema` from its rows, whatever was there: after a write under COUNTED_SETTING. */
export function recountSql(schema: string): string[] {
  const name = pg.escapeLiteral(schema);
  return [
    `DELETE FROM ${COUNTS_TABLE} WHERE schema_name = ${name}`,
    `INSERT INTO ${COUNTS_TABLE} (schema_name, versions, latest)
  SELECT ${name}, count(*), max(version) FROM ${STATE_TABLE} WHERE schema_name = ${name} HAVING count(*) > 0`,
  ];
}

const COUNT_FUNCTION = `
CREATE OR REPLACE FUNCTION ${STATE_SCHEMA}.count_versions() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    DELETE FROM ${COUNTS_TABLE};
    RETURN NULL;
  END IF;
  IF TG_OP = 'UPDATE' AND OLD.schema_name = NEW.schema_name AND OLD.version = NEW.version THEN
    RETURN NULL;
  END IF;
  -- Rows of the schema the tool counts itself in this transaction (COUNTED_SETTING, recountSql).
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.schema_name = current_setting('${COUNTED_SETTING}', true)
     AND (TG_OP = 'INSERT' OR OLD.schema_name <> NEW.schema_name) THEN
    RETURN NULL;
  END IF;
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    -- The highest version may be the one that went: read it again (one probe of the primary key).
    UPDATE ${COUNTS_TABLE} c SET versions = c.versions - 1,
           latest = (SELECT max(m.version) FROM ${STATE_TABLE} m WHERE m.schema_name = OLD.schema_name)
     WHERE c.schema_name = OLD.schema_name;
    DELETE FROM ${COUNTS_TABLE} WHERE schema_name = OLD.schema_name AND versions = 0;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO ${COUNTS_TABLE} AS c VALUES (NEW.schema_name, 1, NEW.version)
      ON CONFLICT (schema_name) DO UPDATE SET versions = c.versions + 1, latest = greatest(c.latest, EXCLUDED.latest);
  END IF;
  RETURN NULL;
END
$fn$;
`;

/** Creates the counts from the rows there are; run when the state table is created, or once on an older one. */
export const COUNTS_DDL = `
DROP TRIGGER IF EXISTS ${TRIGGER} ON ${STATE_TABLE};
DROP TRIGGER IF EXISTS ${TRIGGER}_truncate ON ${STATE_TABLE};
DROP TABLE IF EXISTS ${COUNTS_TABLE};
CREATE TABLE ${COUNTS_TABLE} (
  schema_name text    PRIMARY KEY,
  versions    integer NOT NULL,
  latest      text
);
COMMENT ON TABLE ${COUNTS_TABLE} IS 'migrate-tool: per schema, the number of rows in migrations and the highest version; kept by trigger ${TRIGGER}';
INSERT INTO ${COUNTS_TABLE} SELECT schema_name, count(*), max(version) FROM ${STATE_TABLE} GROUP BY schema_name;
${COUNT_FUNCTION}CREATE TRIGGER ${TRIGGER} AFTER INSERT OR DELETE OR UPDATE OF schema_name, version ON ${STATE_TABLE}
  FOR EACH ROW EXECUTE FUNCTION ${STATE_SCHEMA}.count_versions();
CREATE TRIGGER ${TRIGGER}_truncate AFTER TRUNCATE ON ${STATE_TABLE} FOR EACH STATEMENT EXECUTE FUNCTION ${STATE_SCHEMA}.count_versions();
ALTER TABLE ${STATE_TABLE} ENABLE ALWAYS TRIGGER ${TRIGGER};
ALTER TABLE ${STATE_TABLE} ENABLE ALWAYS TRIGGER ${TRIGGER}_truncate;
`;

/** Whether both triggers exist and fire always, and this role may read the counts: only then are they used. */
export async function countsKept(db: Queryable): Promise<boolean> {
  return (await countsStatus(db)).kept;
}

/** countsKept, and whether the trigger's function is this release's (see COUNT_FUNCTION). */
async function countsStatus(db: Queryable): Promise<{ kept: boolean; current: boolean }> {
  const r = await db.query<{ kept: boolean; current: boolean }>(
    `SELECT (SELECT count(*) FROM pg_trigger WHERE tgrelid = to_regclass($1) AND tgname IN ($2, $3) AND tgenabled = 'A') = 2
            AND coalesce(has_table_privilege(to_regclass($4), 'SELECT'), false) AS kept,
            coalesce((SELECT prosrc LIKE '%' || $5 || '%' FROM pg_proc WHERE oid = to_regprocedure($6)), false) AS current`,
    [STATE_TABLE, TRIGGER, `${TRIGGER}_truncate`, COUNTS_TABLE, COUNTED_SETTING, `${STATE_SCHEMA}.count_versions()`],
  );
  return { kept: r.rows[0]?.kept === true, current: r.rows[0]?.current === true };
}

/**
 * On a state table without them (made by an earlier release), creates the counts, writes blocked
 * while they are counted. Needs the table's owner; any other role leaves things as they are.
 */
export async function ensureCounts(db: Queryable): Promise<void> {
  const status = await countsStatus(db);
  if (status.kept) {
    // Kept by an earlier release's function, which counts a new schema's rows one by one (right, slower).
    if (!status.current) await db.query(COUNT_FUNCTION).catch(() => {}); // only the owner may; anyone else leaves it
    return;
  }
  try {
    await inOneRoundTrip(db, [`LOCK TABLE ${STATE_TABLE} IN SHARE ROW EXCLUSIVE MODE`, COUNTS_DDL], oneQueryText);
  } catch (error) {
    if ((error as { code?: string }).code !== '42501') throw error;
  }
}

/**
 * The schemas matching the pattern by prefix length k: where the number of versions equals the
 * position of the highest in `versions` (1-based), k is that number; elsewhere -1. Grouped by k, so
 * 10,000 schemas come back as a few rows of name arrays, not 10,000 rows to parse.
 */
export async function readCounts(
  db: Queryable,
  tenantPattern: string,
  versions: string[],
): Promise<Array<{ k: number; names: string[] }>> {
  const r = await db.query<{ k: number; names: string[] }>(
    `SELECT k, array_agg(schema_name) AS names
       FROM (SELECT schema_name, CASE WHEN versions = coalesce(array_position($2::text[], latest), -1) THEN versions ELSE -1 END AS k
               FROM ${COUNTS_TABLE} WHERE schema_name LIKE $1 AND versions > 0) c
      GROUP BY k`,
    [tenantPattern, versions],
  );
  return r.rows;
}

/**
 * Deletes the rows of tenant schemas that no longer exist (see state.ts). With the counts, the
 * candidates are the counted schemas, not every row: a run with nothing to do stays quick.
 */
export async function pruneDropped(db: Queryable): Promise<number> {
  if (!(await countsKept(db))) return pruneDroppedSchemas(db);
  const gone = await db.query<{ s: string }>(
    `SELECT c.schema_name AS s FROM ${COUNTS_TABLE} c
      WHERE c.schema_name <> 'public' AND c.versions > 0 AND NOT EXISTS (SELECT 1 FROM pg_namespace n WHERE n.nspname = c.schema_name::name)`,
  );
  if (gone.rows.length === 0) return 0;
  const r = await db.query(`DELETE FROM ${STATE_TABLE} WHERE schema_name = ANY($1::text[])`, [
    gone.rows.map((g) => g.s),
  ]);
  return r.rowCount ?? 0;
}
