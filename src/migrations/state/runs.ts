// What the last runs did: one row per `up` or `down` run that had work, in migrate_tool.runs,
// written under the run lock once the run ends. The state table says what each schema has; this
// says what a run tried and how it went (its stages, which schemas failed and why, the slowest),
// which the state cannot: a failed transactional migration leaves no row behind.
import { STATE_SCHEMA } from '../../config/reserved';
import type { Direction, RunResult, StageTiming } from '../options';
import type { DatabaseState, SchemaState } from './state';
import type { Queryable } from '../../db/queryable';

export const RUNS_TABLE = `${STATE_SCHEMA}.runs`;
/** Runs kept: enough to find a schema's last failure after a few retries, small enough to read at once. */
export const RUNS_KEPT = 20;
const SLOWEST = 10;
/** An error message is kept this long in a run's record: the first lines say what failed. */
const ERROR_CHARS = 500;

const DDL = `CREATE TABLE IF NOT EXISTS ${RUNS_TABLE} (
  id          bigserial   PRIMARY KEY,
  started_at  timestamptz NOT NULL,
  finished_at timestamptz NOT NULL,
  direction   text        NOT NULL CHECK (direction IN ('up', 'down')),
  summary     jsonb       NOT NULL
);
COMMENT ON TABLE ${RUNS_TABLE} IS 'migrate-tool: the last ${RUNS_KEPT} up/down runs that had work: stages, failures, slowest schemas';`;

export interface StageRecord extends StageTiming {
  /** Migrations applied (or rolled back) and failed in this stage, one per schema and version. */
  done: number;
  failed: number;
}

/** Which staged rollout (its start time) and which of its stages (`canary`, `wave 2/5`) a run was. */
export interface RolloutStage {
  id: string;
  stage: string;
}

export interface RunRecord {
  id: number;
  /** Only when the run was a stage of a rollout. */
  rollout?: RolloutStage;
  direction: Direction;
  startedAt: string;
  finishedAt: string;
  ms: number;
  interrupted: boolean;
  /** Schemas: with work done, failed, only skipped; and migrations done (one per schema and version). */
  counts: { migrated: number; failed: number; skipped: number; migrations: number };
  stages: StageRecord[];
  failed: Array<{ schema: string; version: string; error: string }>;
  slowest: Array<{ schema: string; ms: number }>;
}

const INSUFFICIENT_PRIVILEGE = '42501';

/** The record of a finished run, from its result and its start time. */
export function runRecord(
  result: RunResult,
  started: Date,
  finished: Date,
  rollout?: RolloutStage,
): Omit<RunRecord, 'id'> {
  const stages = (result.timing?.stages ?? []).map((s) => {
    const versions = new Set(s.versions);
    const count = (list: Array<{ version: string }>) => list.filter((e) => versions.has(e.version)).length;
    return { ...s, done: count(result.done), failed: count(result.failed) };
  });
  const migrated = new Set(result.done.map((d) => d.schema));
  const failed = new Set(result.failed.map((f) => f.schema));
  const skipped = new Set(result.skipped.map((s) => s.schema).filter((s) => !migrated.has(s) && !failed.has(s)));
  const slowest = [...(result.timing?.schemaMs ?? [])]
    .sort((a, b) => b[1] - a[1])
    .slice(0, SLOWEST)
    .map(([schema, ms]) => ({ schema, ms: Math.round(ms) }));
  return {
    direction: result.direction,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    ms: finished.getTime() - started.getTime(),
    interrupted: result.interrupted,
    counts: { migrated: migrated.size, failed: failed.size, skipped: skipped.size, migrations: result.done.length },
    stages,
    failed: result.failed.map((f) => ({ schema: f.schema, version: f.version, error: f.error.slice(0, ERROR_CHARS) })),
    slowest,
    ...(rollout ? { rollout } : {}),
  };
}

/**
 * Writes a run's record and keeps the newest RUNS_KEPT. A role that may not create or write the
 * table (granted only the state's rows) keeps no records: the run itself is not failed for it.
 */
export async function recordRun(db: Queryable, record: Omit<RunRecord, 'id'>): Promise<boolean> {
  try {
    const exists = await db.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [RUNS_TABLE]);
    if (!exists.rows[0]?.t) await db.query(DDL);
    const { direction, startedAt, finishedAt, ...summary } = record;
    await db.query(
      `WITH added AS (INSERT INTO ${RUNS_TABLE} (started_at, finished_at, direction, summary) VALUES ($1, $2, $3, $4) RETURNING id)
       DELETE FROM ${RUNS_TABLE} WHERE id <= (SELECT max(id) - $5 FROM added)`,
      [startedAt, finishedAt, direction, JSON.stringify(summary), RUNS_KEPT],
    );
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === INSUFFICIENT_PRIVILEGE) return false;
    throw error;
  }
}

/** The kept runs, newest first; none when the table does not exist or may not be read. */
export async function readRuns(db: Queryable): Promise<RunRecord[]> {
  const exists = await db.query<{ t: string | null; r: boolean }>(
    `SELECT to_regclass($1) AS t, to_regclass($1) IS NOT NULL AND has_table_privilege(to_regclass($1), 'SELECT') AS r`,
    [RUNS_TABLE],
  );
  if (!exists.rows[0]?.r) return [];
  const rows = await db.query<{
    id: string;
    started_at: Date;
    finished_at: Date;
    direction: Direction;
    summary: Omit<RunRecord, 'id' | 'direction' | 'startedAt' | 'finishedAt'>;
  }>(`SELECT id, started_at, finished_at, direction, summary FROM ${RUNS_TABLE} ORDER BY id DESC`);
  return rows.rows.map((r) => ({
    ...r.summary,
    id: Number(r.id),
    direction: r.direction,
    startedAt: r.started_at.toISOString(),
    finishedAt: r.finished_at.toISOString(),
  }));
}

export interface CurrentFailure {
  schema: string;
  version: string;
  direction: Direction;
  error: string;
  /** When the run that failed it ended. */
  at: string;
}

/**
 * Schemas whose newest recorded failure still holds: an `up` that failed at V while the schema
 * still lacks V (clean): a later run that got past it, or a `force` that recorded it, ends it. A
 * `down` that failed at V only while the schema still has V and no run came after it: a schema
 * left at V on purpose looks the same as one whose rollback failed, so the next run ends it.
 */
export function currentFailures(
  runs: RunRecord[],
  state: DatabaseState,
  tenantVersions: string[],
): Map<string, CurrentFailure> {
  const schemas = new Map<string, SchemaState>([state.public, ...state.tenants].map((s) => [s.schema, s]));
  const position = new Map(tenantVersions.map((v, i) => [v, i]));
  const seen = new Set<string>();
  const out = new Map<string, CurrentFailure>();
  for (const [i, run] of runs.entries()) {
    for (const f of run.failed) {
      if (seen.has(f.schema)) continue;
      seen.add(f.schema);
      const s = schemas.get(f.schema);
      if (!s) continue; // dropped since
      const has = hasVersion(s, f.version, position);
      if (run.direction === 'up' ? !has : has && i === 0)
        out.set(f.schema, { ...f, direction: run.direction, at: run.finishedAt });
    }
  }
  return out;
}

function hasVersion(s: SchemaState, version: string, position: ReadonlyMap<string, number>): boolean {
  if (s.prefix !== undefined) return (position.get(version) ?? Infinity) < s.prefix;
  const row = s.applied.get(version);
  return Boolean(row && !row.dirty);
}
