// Recorded state: one table, migrate_tool.migrations, holds a row per (schema, applied version)
// for public and every tenant schema. One table means the state of 1,000 schemas is one query,
// and it stays out of the schemas that the application (and Prisma) owns. See docs/design.md.
import pg from 'pg';
import { STATE_SCHEMA } from '../config/reserved';
import { localSchemaDdl, refuseDistributedState } from '../db/citus';
import { listTenantSchemas } from '../tenants/discovery';
import type { Scope } from './files';
import { invalidIndexesMatching, type InvalidIndex } from './invalid-indexes';

export { STATE_SCHEMA };
export const STATE_TABLE = `${STATE_SCHEMA}.migrations`;

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
  applied: Map<string, AppliedRow>;
  /** The version a no-transaction migration was left unfinished at. */
  dirtyAt?: string;
  /** Indexes whose build did not finish: unusable, and skipped by `IF NOT EXISTS`. */
  invalidIndexes: InvalidIndex[];
}

export interface DatabaseState {
  public: SchemaState;
  /** Every schema matching the tenant pattern, by name. */
  tenants: SchemaState[];
}

type Queryable = Pick<pg.ClientBase, 'query'>;

/**
 * Creates the state table on the first run. Called under the run lock, so nothing creates it
 * between the check and the DDL. Once it exists no DDL runs: even IF NOT EXISTS needs CREATE on
 * the schema, and COMMENT needs the owner, which a role granted only the table's rows lacks.
 */
export async function ensureStateTable(db: Queryable): Promise<void> {
  // On a Citus coordinator the state stays a local table there, never a distributed schema (db/citus.ts).
  const citus = await refuseDistributedState(db, STATE_SCHEMA);
  if (!(await stateTableExists(db))) await db.query(citus ? localSchemaDdl(DDL) : DDL);
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

  const rows = await db.query<{
    schema_name: string;
    version: string;
    name: string;
    checksum: string;
    applied_at: Date;
    duration_ms: number | null;
    dirty: boolean;
    forced: boolean;
  }>(
    `SELECT schema_name, version, name, checksum, applied_at, duration_ms, dirty, forced
       FROM ${STATE_TABLE}
      WHERE schema_name = 'public' OR schema_name LIKE $1
      ORDER BY schema_name, version`,
    [tenantPattern],
  );
  for (const r of rows.rows) {
    const s = byName.get(r.schema_name);
    if (!s) continue; // a schema that was dropped: its rows are pruned by the next `up`
    s.applied.set(r.version, {
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
  return state;
}

function emptySchema(schema: string): SchemaState {
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

export async function recordApplied(db: Queryable, r: RecordInput): Promise<void> {
  // Named, so each connection parses it once, not once per schema and file.
  await db.query({
    name: 'migrate_tool_record_applied',
    text: `INSERT INTO ${STATE_TABLE} (schema_name, version, name, scope, checksum, applied_at, duration_ms, dirty, forced)
     VALUES ($1, $2, $3, $4, $5, now(), $6, $7, $8)
     ON CONFLICT (schema_name, version) DO UPDATE
       SET name = EXCLUDED.name, scope = EXCLUDED.scope, checksum = EXCLUDED.checksum, applied_at = EXCLUDED.applied_at,
           duration_ms = EXCLUDED.duration_ms, dirty = EXCLUDED.dirty, forced = EXCLUDED.forced`,
    values: [r.schema, r.version, r.name, r.scope, r.checksum, r.durationMs ?? null, r.dirty ?? false, r.forced ?? false],
  });
}

export async function markDirty(db: Queryable, schema: string, version: string): Promise<void> {
  await db.query(`UPDATE ${STATE_TABLE} SET dirty = true WHERE schema_name = $1 AND version = $2`, [schema, version]);
}

export async function deleteApplied(db: Queryable, schema: string, version: string): Promise<void> {
  await db.query(`DELETE FROM ${STATE_TABLE} WHERE schema_name = $1 AND version = $2`, [schema, version]);
}
