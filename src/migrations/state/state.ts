// Recorded state: one table, migrate_tool.migrations, holds a row per (schema, applied version)
// for public and every tenant schema. One table means the state of 1,000 schemas is one query,
// and it stays out of the schemas that the application (and Prisma) owns. See docs/design.md.
import pg from 'pg';
import { STATE_SCHEMA } from '../../config/reserved';
import { localSchemaDdl, refuseDistributedState } from '../../db/citus';
import { listTenantSchemas } from '../../tenants/discovery';
import type { Scope } from '../files';
import { invalidIndexesMatching, type InvalidIndex } from '../invalid-indexes';
import type { Queryable } from '../../db/queryable';

export { STATE_SCHEMA };
export const STATE_TABLE = `${STATE_SCHEMA}.migrations`;

/**
 * What lets status, version, tenants and a planning `up` read 10,000 schemas without reading every
 * row (state-summary.ts): checksums and the versions present, by version; the latest time each
 * version was recorded; the dirty rows. Deduplication keeps the first small (one entry per version
 * and checksum, holding the row pointers); the other two hold few or small entries.
 */
export const SUMMARY_INDEXES = [
  `CREATE INDEX IF NOT EXISTS migrations_version_checksum_idx ON ${STATE_TABLE} (version, checksum);`,
  `CREATE INDEX IF NOT EXISTS migrations_version_applied_at_idx ON ${STATE_TABLE} (version, applied_at);`,
  `CREATE INDEX IF NOT EXISTS migrations_dirty_idx ON ${STATE_TABLE} (schema_name) WHERE dirty;`,
];
export const SUMMARY_INDEX_NAMES = [
  'migrations_version_checksum_idx',
  'migrations_version_applied_at_idx',
  'migrations_dirty_idx',
];

const DDL = `
CREATE SCHEMA IF NOT EXISTS ${STATE_SCHEMA};
CREATE TABLE IF NOT EXISTS ${STATE_TABLE} (
  schema_name text        NOT NULL,
  version     text        NOT NULL CHECK (version ~ '^[0-9]{14}$'),
  name        text        NOT NULL,
  scope       text        NOT NULL CHECK (scope IN ('global', 'tenant')),
  checksum    text        NOT NULL,
  applied_at  timestamptz NOT NULL DEFAULT now(),
  duration_ms integer,
  dirty       boolean     NOT NULL DEFAULT false,
  forced      boolean     NOT NULL DEFAULT false,
  PRIMARY KEY (schema_name, version)
);
COMMENT ON TABLE ${STATE_TABLE} IS 'migrate-tool: applied migrations per schema; dirty = a no-transaction migration started and did not finish';
${SUMMARY_INDEXES.join('\n')}
`;

export interface AppliedRow {
  version: string;
  name: string;
  checksum: string;
  appliedAt: Date;
  durationMs: number | null;
  dirty: boolean;
  forced: boolean;
}

export interface SchemaState {
  schema: string;
  applied: ReadonlyMap<string, AppliedRow>;
  /** The version a no-transaction migration was left unfinished at. */
  dirtyAt?: string;
  /** Indexes whose build did not finish: unusable, and skipped by `IF NOT EXISTS`. */
  invalidIndexes: InvalidIndex[];
  /**
   * Set by a summary read (state-summary.ts): the schema holds exactly the folder's first `prefix`
   * tenant versions, clean, with the folder's checksums, and nothing else. `applied` is then a
   * map shared by every schema with that prefix, whose rows carry the latest `appliedAt` of that
   * version in any tenant schema, not this schema's own.
   */
  prefix?: number;
}

export interface DatabaseState {
  public: SchemaState;
  /** Every schema matching the tenant pattern, by name. */
  tenants: SchemaState[];
  /** Summary reads: per tenant version, the latest time a tenant schema recorded it clean. */
  latestApplied?: ReadonlyMap<string, Date>;
  /** A read of one tenant's state: the versions the folder lacks, found in any schema (the others are not listed). */
  unknownVersions?: string[];
  /** A read of one tenant's state: the folder's contract versions that another schema holds (contract.ts). */
  contractsRun?: ReadonlySet<string>;
}

/**
 * Creates the state table on the first run. Called under the run lock, so nothing creates it
 * between the check and the DDL. Once it exists no DDL runs: even IF NOT EXISTS needs CREATE on
 * the schema, and COMMENT needs the owner, which a role granted only the table's rows lacks.
 */
export async function ensureStateTable(db: Queryable): Promise<void> {
  // On a Citus coordinator the state stays a local table there, never a distributed schema (db/citus.ts).
  const citus = await refuseDistributedState(db, STATE_SCHEMA);
  if (!(await stateTableExists(db))) return void (await db.query(citus ? localSchemaDdl(DDL) : DDL));
  // A table made by an earlier release gets the summary's indexes once (a few seconds at 2,000,000
  // rows, under the run lock). A role granted only the rows cannot create them: reads then take the
  // full path, slower and equally right.
  if ((await summaryIndexes(db)) === SUMMARY_INDEX_NAMES.length) return;
  try {
    await db.query(SUMMARY_INDEXES.join('\n'));
  } catch (error) {
    if ((error as { code?: string }).code !== INSUFFICIENT_PRIVILEGE) throw error;
  }
}

const INSUFFICIENT_PRIVILEGE = '42501';

/** How many of the summary's indexes exist and are valid. */
export async function summaryIndexes(db: Queryable): Promise<number> {
  const r = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE i.indrelid = to_regclass($1) AND i.indisvalid AND c.relname = ANY($2::text[])`,
    [STATE_TABLE, SUMMARY_INDEX_NAMES],
  );
  return r.rows[0]?.n ?? 0;
}

async function stateTableExists(db: Queryable): Promise<boolean> {
  const r = await db.query<{ t: string | null }>(`SELECT to_regclass($1) AS t`, [STATE_TABLE]);
  return Boolean(r.rows[0]?.t);
}

/** The whole database's state in four queries, however many tenant schemas there are. */
export async function readState(db: Queryable, tenantPattern: string): Promise<DatabaseState> {
  const byName = new Map<string, SchemaState>();
  const state: DatabaseState = { public: emptySchema('public'), tenants: [] };
  byName.set('public', state.public);
  for (const nspname of await listTenantSchemas(db, tenantPattern)) {
    const s = emptySchema(nspname);
    state.tenants.push(s);
    byName.set(nspname, s);
  }
  for (const i of await invalidIndexesMatching(db, tenantPattern)) byName.get(i.schema)?.invalidIndexes.push(i);
  if (!(await stateTableExists(db))) return state;

  const rows = await db.query<StateRow>(
    `SELECT ${ROW_COLUMNS} FROM ${STATE_TABLE} WHERE schema_name = 'public' OR schema_name LIKE $1 ORDER BY schema_name, version`,
    [tenantPattern],
  );
  addRows(byName, rows.rows);
  return state;
}

/**
 * The distinct versions recorded anywhere, as `d(v)` (its last row NULL), found by one index probe
 * each (a loose index scan) rather than by reading every row: the start of a WITH query.
 */
export const DISTINCT_VERSIONS = `WITH RECURSIVE d(v) AS (
       (SELECT version FROM ${STATE_TABLE} ORDER BY version LIMIT 1)
       UNION ALL
       SELECT (SELECT version FROM ${STATE_TABLE} WHERE version > d.v ORDER BY version LIMIT 1) FROM d WHERE d.v IS NOT NULL)`;

/** Per schema of `schemas`, its recorded versions in order and whether one is dirty (drift). */
export async function readRecordedVersions(
  db: Queryable,
  schemas: string[],
): Promise<Map<string, { versions: string[]; dirty: boolean }>> {
  if (!(await stateTableExists(db))) return new Map();
  const r = await db.query<{ schema_name: string; versions: string[]; dirty: boolean }>(
    `SELECT schema_name, array_agg(version ORDER BY version) AS versions, bool_or(dirty) AS dirty
       FROM ${STATE_TABLE} WHERE schema_name = ANY($1::text[]) GROUP BY schema_name`,
    [schemas],
  );
  return new Map(r.rows.map((row) => [row.schema_name, { versions: row.versions, dirty: row.dirty }]));
}

export const ROW_COLUMNS = 'schema_name, version, name, checksum, applied_at, duration_ms, dirty, forced';

export interface StateRow {
  schema_name: string;
  version: string;
  name: string;
  checksum: string;
  applied_at: Date;
  duration_ms: number | null;
  dirty: boolean;
  forced: boolean;
}

/** Rows (ordered by schema and version) into the schemas they belong to; rows of other schemas are skipped. */
export function addRows(byName: Map<string, SchemaState>, rows: StateRow[]): void {
  for (const r of rows) {
    const s = byName.get(r.schema_name);
    if (!s) continue; // a schema that was dropped: its rows are pruned by the next `up`
    (s.applied as Map<string, AppliedRow>).set(r.version, {
      version: r.version,
      name: r.name,
      checksum: r.checksum,
      appliedAt: r.applied_at,
      durationMs: r.duration_ms,
      dirty: r.dirty,
      forced: r.forced,
    });
    if (r.dirty) s.dirtyAt = r.version;
  }
}

export function emptySchema(schema: string): SchemaState {
  return { schema, applied: new Map(), invalidIndexes: [] };
}

/** Rows of tenant schemas that no longer exist: a schema created again later must start from nothing. */
export async function pruneDroppedSchemas(db: Queryable): Promise<number> {
  const r = await db.query(
    `DELETE FROM ${STATE_TABLE} m
      WHERE m.schema_name <> 'public'
        AND NOT EXISTS (SELECT 1 FROM pg_namespace n WHERE n.nspname = m.schema_name)`,
  );
  return r.rowCount ?? 0;
}

export interface RecordInput {
  schema: string;
  version: string;
  name: string;
  scope: Scope;
  checksum: string;
  durationMs?: number | null;
  dirty?: boolean;
  forced?: boolean;
}

// One row per (schema, version): recording a version again replaces its row.
const RECORD = `INSERT INTO ${STATE_TABLE} (schema_name, version, name, scope, checksum, applied_at, duration_ms, dirty, forced)`;
const REPLACE = `ON CONFLICT (schema_name, version) DO UPDATE
       SET name = EXCLUDED.name, scope = EXCLUDED.scope, checksum = EXCLUDED.checksum, applied_at = EXCLUDED.applied_at,
           duration_ms = EXCLUDED.duration_ms, dirty = EXCLUDED.dirty, forced = EXCLUDED.forced`;

export async function recordApplied(db: Queryable, r: RecordInput): Promise<void> {
  // Named, so each connection parses it once, not once per schema and file.
  await db.query({
    name: 'migrate_tool_record_applied',
    text: `${RECORD}\n     VALUES ($1, $2, $3, $4, $5, now(), $6, $7, $8)\n     ${REPLACE}`,
    values: [
      r.schema,
      r.version,
      r.name,
      r.scope,
      r.checksum,
      r.durationMs ?? null,
      r.dirty ?? false,
      r.forced ?? false,
    ],
  });
}

/**
 * recordApplied's row (clean, not forced) as literal SQL, for statements sent together in one
 * simple query, where there are no parameters: `appliedAt` and `durationMs` are SQL expressions.
 */
export function recordAppliedSql(
  r: Pick<RecordInput, 'schema' | 'version' | 'name' | 'checksum'> & { scope: string },
  at: { appliedAt: string; durationMs: string },
): string {
  const values = [r.schema, r.version, r.name, r.scope, r.checksum].map((v) => pg.escapeLiteral(v)).join(', ');
  return `${RECORD}\n     VALUES (${values}, ${at.appliedAt}, ${at.durationMs}, false, false)\n     ${REPLACE}`;
}

export async function markDirty(db: Queryable, schema: string, version: string): Promise<void> {
  await db.query(`UPDATE ${STATE_TABLE} SET dirty = true WHERE schema_name = $1 AND version = $2`, [schema, version]);
}

export async function deleteApplied(db: Queryable, schema: string, version: string): Promise<void> {
  await db.query(`DELETE FROM ${STATE_TABLE} WHERE schema_name = $1 AND version = $2`, [schema, version]);
}

/** deleteApplied as literal SQL, as recordAppliedSql. */
export function deleteAppliedSql(schema: string, version: string): string {
  return `DELETE FROM ${STATE_TABLE} WHERE schema_name = ${pg.escapeLiteral(schema)} AND version = ${pg.escapeLiteral(version)}`;
}

/** What `force` writes, in the caller's transaction: each schema's rows above `version` replaced by `rows`, forced. */
export interface ForcedRows {
  schemas: string[];
  /** The version forced to: rows above it go (null: every row). */
  version: string | null;
  /** The rows recorded as forced, column by column. */
  rows: { schema: string[]; version: string[]; name: string[]; scope: string[]; checksum: string[] };
  /** Dirty rows kept, recorded as forced with the checksum of the file as it is now (when there is one). */
  cleared: Array<{ schema: string; version: string; checksum: string | undefined }>;
}

export async function writeForced(db: Queryable, f: ForcedRows): Promise<void> {
  await db.query(
    `DELETE FROM ${STATE_TABLE} WHERE schema_name = ANY($1::text[]) AND ($2::text IS NULL OR version > $2)`,
    [f.schemas, f.version],
  );
  await db.query(
    `INSERT INTO ${STATE_TABLE} (schema_name, version, name, scope, checksum, forced)
       SELECT s, v, n, sc, c, true FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS u(s, v, n, sc, c)`,
    [f.rows.schema, f.rows.version, f.rows.name, f.rows.scope, f.rows.checksum],
  );
  for (const c of f.cleared) {
    await db.query(
      `UPDATE ${STATE_TABLE} SET dirty = false, forced = true, checksum = COALESCE($3, checksum) WHERE schema_name = $1 AND version = $2`,
      [c.schema, c.version, c.checksum],
    );
  }
}
