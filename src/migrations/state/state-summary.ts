// The state as status, version, tenants and a planning `up` need it, without reading every row.
// Reading every row of 10,000 tenant schemas with 200 versions each into the process takes seconds
// (docs/performance.md, "Figures behind the code"). Most schemas hold exactly the folder's first k tenant versions, clean, with the folder's
// checksums: for those the server returns k, and only the schemas that differ are read row by row.
//
// A schema is taken as such a prefix only when each of these holds, which together make it exact:
// no row of it is dirty (partial index), none has a checksum other than the folder's for its
// version (two index probes per version), none has a version outside the folder's tenant list (the
// distinct versions, one index probe each), and its row count equals the position of its highest
// version in that list. Rows that are all tenant versions up to the highest, as many as the list
// has up to it, are that list's prefix. Everything is read in one snapshot (REPEATABLE READ).
//
// Without the indexes (a table made by an earlier release, not yet upgraded by an `up` run by its
// owner), every row is read as before: slower, and the same answer.
import type { MigrationFolder } from '../files';
import { isTenantSchemaSql, listTenantSchemas } from '../../tenants/discovery';
import { withSnapshot } from '../../db/transaction';
import { invalidIndexesMatching } from '../invalid-indexes';
import {
  addRows,
  DISTINCT_VERSIONS,
  emptySchema,
  readState,
  ROW_COLUMNS,
  STATE_TABLE,
  summaryIndexes,
  SUMMARY_INDEX_NAMES,
  type AppliedRow,
  type DatabaseState,
  type SchemaState,
  type StateRow,
} from './state';
import { countsKept, readCounts } from './state-counts';
import type { Queryable } from '../../db/queryable';

/** The state for reports and planning: a summary read when the indexes exist, else every row. */
export async function readStateFor(
  db: Queryable,
  tenantPattern: string,
  folder: MigrationFolder,
): Promise<DatabaseState> {
  // JIT would compile the probes below (their estimates look large) for longer than they run.
  return withSnapshot(
    db,
    async () => {
      const exists = await db.query<{ t: string | null }>(`SELECT to_regclass($1) AS t`, [STATE_TABLE]);
      const summary = exists.rows[0]?.t && (await summaryIndexes(db)) === SUMMARY_INDEX_NAMES.length;
      return summary ? await readSummary(db, tenantPattern, folder) : await readState(db, tenantPattern);
    },
    { setup: 'SET LOCAL jit = off' },
  );
}

async function readSummary(db: Queryable, tenantPattern: string, folder: MigrationFolder): Promise<DatabaseState> {
  const tenantMigrations = folder.migrations.filter((m) => m.scope === 'tenant');
  const versions = tenantMigrations.map((m) => m.version);
  const names = await listTenantSchemas(db, tenantPattern);
  const live = new Set(names);
  const differ = await notPrefixes(db, tenantMigrations, live);
  const prefixOf = await prefixLengths(db, tenantPattern, versions, live, differ);
  const latestApplied = await latestAppliedAt(db, tenantPattern, versions);

  const state: DatabaseState = { public: emptySchema('public'), tenants: [], latestApplied };
  const byName = new Map<string, SchemaState>([['public', state.public]]);
  const shared = prefixMaps(tenantMigrations, latestApplied);
  for (const schema of names) {
    const k = prefixOf.get(schema) ?? 0;
    const s: SchemaState = differ.has(schema)
      ? emptySchema(schema)
      : { schema, applied: shared(k), invalidIndexes: [], prefix: k };
    state.tenants.push(s);
    if (differ.has(schema)) byName.set(schema, s);
  }
  // Public and the schemas that are no prefix are read row by row.
  const rows = await db.query<StateRow>(
    `SELECT ${ROW_COLUMNS} FROM ${STATE_TABLE} WHERE schema_name = ANY($1::text[]) ORDER BY schema_name, version`,
    [[...byName.keys()]],
  );
  addRows(byName, rows.rows);
  const all = new Map(state.tenants.map((t) => [t.schema, t]));
  all.set('public', state.public);
  for (const i of await invalidIndexesMatching(db, tenantPattern)) all.get(i.schema)?.invalidIndexes.push(i);
  return state;
}

/** Live schemas that cannot be a prefix: a dirty row, an edited checksum, a version the tenant list lacks. */
async function notPrefixes(
  db: Queryable,
  tenantMigrations: MigrationFolder['migrations'],
  live: ReadonlySet<string>,
): Promise<Set<string>> {
  const versions = tenantMigrations.map((m) => m.version);
  const checksums = tenantMigrations.map((m) => m.up.checksum);
  const dirty = await db.query<{ s: string }>(`SELECT DISTINCT schema_name AS s FROM ${STATE_TABLE} WHERE dirty`);
  const edited = await db.query<{ s: string }>(
    `SELECT DISTINCT m.schema_name AS s FROM unnest($1::text[], $2::text[]) AS f(v, c)
       CROSS JOIN LATERAL (SELECT schema_name FROM ${STATE_TABLE} WHERE version = f.v AND checksum < f.c
                           UNION ALL SELECT schema_name FROM ${STATE_TABLE} WHERE version = f.v AND checksum > f.c) m`,
    [versions, checksums],
  );
  // The distinct versions, one probe each (a loose index scan); those outside the tenant list, and where.
  const others = await db.query<{ s: string }>(
    `${DISTINCT_VERSIONS}
     SELECT DISTINCT m.schema_name AS s FROM d JOIN ${STATE_TABLE} m ON m.version = d.v
      WHERE d.v IS NOT NULL AND NOT (d.v = ANY($1::text[])) AND m.schema_name <> 'public'`,
    [versions],
  );
  return new Set([...dirty.rows, ...edited.rows, ...others.rows].map((r) => r.s).filter((s) => live.has(s)));
}

/**
 * Per live schema, its prefix length: its row count against the position of its highest version
 * (-1: not a prefix, added to `differ`), from the counts the trigger keeps (state-counts.ts), or
 * counted here when it is not there.
 */
async function prefixLengths(
  db: Queryable,
  tenantPattern: string,
  versions: string[],
  live: ReadonlySet<string>,
  differ: Set<string>,
): Promise<Map<string, number>> {
  const prefixOf = new Map<string, number>();
  const byLength = (await countsKept(db))
    ? await readCounts(db, tenantPattern, versions)
    : (
        await db.query<{ k: number; names: string[] }>(
          `SELECT k, array_agg(s) AS names FROM (
             SELECT schema_name AS s,
                    CASE WHEN count(*) = coalesce(array_position($2::text[], max(version)), -1) THEN count(*)::int ELSE -1 END AS k
               FROM ${STATE_TABLE} WHERE schema_name LIKE $1 GROUP BY schema_name) c
            GROUP BY k`,
          [tenantPattern, versions],
        )
      ).rows;
  for (const { k, names: group } of byLength) {
    for (const s of group) {
      if (!live.has(s)) continue;
      if (k < 0) differ.add(s);
      else prefixOf.set(s, k);
    }
  }
  return prefixOf;
}

/**
 * When each tenant version was last applied cleanly in a live tenant schema, as listTenantSchemas
 * finds them: the pattern (checked never to match public, pg_*, information_schema or the state
 * schema: options.ts) and a schema that exists.
 */
async function latestAppliedAt(db: Queryable, tenantPattern: string, versions: string[]): Promise<Map<string, Date>> {
  const latest = await db.query<{ v: string; at: Date | null }>(
    `SELECT f.v, (SELECT m.applied_at FROM ${STATE_TABLE} m
                   WHERE m.version = f.v AND NOT m.dirty AND ${isTenantSchemaSql('m.schema_name', '$2')}
                   ORDER BY m.applied_at DESC LIMIT 1) AS at
       FROM unnest($1::text[]) AS f(v)`,
    [versions, tenantPattern],
  );
  return new Map(latest.rows.filter((r) => r.at !== null).map((r) => [r.v, r.at!]));
}

/** One map per prefix length, shared by every schema of that length: memory follows the folder, not the tenants. */
function prefixMaps(tenantMigrations: MigrationFolder['migrations'], latestApplied: ReadonlyMap<string, Date>) {
  const maps = new Map<number, ReadonlyMap<string, AppliedRow>>();
  const epoch = new Date(0);
  return (k: number) => {
    let map = maps.get(k);
    if (!map) {
      map = new Map(
        tenantMigrations.slice(0, k).map((m) => [
          m.version,
          {
            version: m.version,
            name: m.name,
            checksum: m.up.checksum,
            appliedAt: latestApplied.get(m.version) ?? epoch,
            durationMs: null,
            dirty: false,
            forced: false,
          },
        ]),
      );
      maps.set(k, map);
    }
    return map;
  };
}
