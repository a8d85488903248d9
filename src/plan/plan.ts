// `plan`: what each pending statement would lock, in which schema, on how big a table, and for
// about how long, before anything runs. The locks come from the lock model (migrations/locks.ts)
// with the catalog's answers (a column's current type, a function's volatility); sizes from
// pg_class; the time from one calibration of this server (db/calibrate.ts). Nothing is changed:
// the state is read, and the calibration's scratch table is rolled back.
import pg from 'pg';
import { withSession } from '../db/borrowed';
import { calibrate, DEFAULT_CALIBRATION, type Calibration } from '../db/calibrate';
import { refuseDistributedState } from '../db/citus';
import { loadMigrations, type Scope } from '../migrations/files';
import {
  blocksReads,
  blocksWrites,
  catalogColumnTypes,
  catalogFunctionVolatility,
  describeLocks,
  resolveIndexTables,
  type LockMode,
  type TableLock,
} from '../migrations/locks';
import { connectOptions, resolved, type EngineOptions } from '../migrations/options';
import { planUp, type PlanStep } from '../migrations/plan';
import { readStateFor, STATE_SCHEMA } from '../migrations/state';
import { estimateMs } from './estimate';

export interface LockPlanOptions {
  /** Only the next N pending versions. */
  steps?: number;
  /** Limit tenant work to this schema. */
  tenant?: string;
}

/** One table of one schema the statement would lock. */
export interface LockPlanSchema {
  schema: string;
  /** pg_table_size of the table (its data and TOAST, without indexes); 0 when it does not exist yet. */
  bytes: number;
  /** pg_class.reltuples: as of the last ANALYZE or VACUUM; 0 when never counted. */
  rows: number;
  /** About how long the lock is held, in ms, once granted; null when the statement hides what it locks. */
  estimateMs: number | null;
}

/** One table one pending statement locks (a foreign key: two steps, one per table). */
export interface LockPlanStep {
  version: string;
  file: string;
  line: number;
  statement: string;
  scope: Scope;
  /** null: the statement runs code the lock model cannot read (DO, CALL) and may lock anything. */
  table: string | null;
  lock: LockMode | null;
  rewrite: boolean;
  scan: boolean;
  blocksReads: boolean;
  blocksWrites: boolean;
  schemas: LockPlanSchema[];
}

export interface LockPlan {
  steps: LockPlanStep[];
  /** Tenant schemas `up` would refuse (dirty): not planned, and failed by the run until they are forced. */
  refused: Array<{ schema: string; version: string; error: string }>;
}

type Client = pg.Client;

/** What `up` would lock, read from the database and changing nothing. */
export async function plan(options: EngineOptions, run: LockPlanOptions = {}): Promise<LockPlan> {
  const opts = resolved(options);
  const folder = await loadMigrations(opts.migrationsDir, { allowEmpty: true });
  return withSession(opts, connectOptions(opts), async (client) => {
    await refuseDistributedState(client, STATE_SCHEMA);
    const state = await readStateFor(client, opts.tenantPattern, folder);
    const planned = planUp(folder, state, run);
    const pending = planned.steps.filter((s) => !s.recordOnly);
    const refused = planned.refused.map(({ schema, version, error }) => ({ schema, version, error }));
    const calibration = pending.length ? await calibrateOrDefault(client, opts.emit) : DEFAULT_CALIBRATION;
    const created = new Set<string>();
    const steps: LockPlanStep[] = [];
    try {
      for (const p of pending) steps.push(...(await stepsOf(client, p, calibration, created)));
    } finally {
      await client.query('RESET search_path');
    }
    return { steps, refused };
  });
}

async function calibrateOrDefault(
  client: Client,
  emit: (e: { type: 'note'; message: string }) => void,
): Promise<Calibration> {
  try {
    return await calibrate(client);
  } catch (error) {
    emit({
      type: 'note',
      message: `plan: could not time a scratch table (${(error as Error).message}); estimates use default rates`,
    });
    return DEFAULT_CALIBRATION;
  }
}

/**
 * The steps of one pending migration. The catalog questions are asked in its first schema, under
 * the search_path the run sets (that schema alone, public for a global migration); tables an earlier pending statement creates (`created`, by
 * scope) are new and empty, so nothing waits on them and they are left out.
 */
async function stepsOf(client: Client, p: PlanStep, c: Calibration, created: Set<string>): Promise<LockPlanStep[]> {
  const m = p.migration;
  const first = p.schemas[0]!;
  await client.query(`SET search_path TO ${pg.escapeIdentifier(first)}`);
  const lookups = { columnType: catalogColumnTypes(client), functionVolatility: catalogFunctionVolatility(client) };
  const steps: LockPlanStep[] = [];
  for (const s of m.up.statements) {
    const described = await describeLocks(s.text, lookups);
    const base = { version: m.version, file: m.up.file, line: s.line, statement: s.text.trim(), scope: m.scope };
    if (described.unknown) {
      const hidden = { table: null, lock: null, rewrite: false, scan: false, blocksReads: true, blocksWrites: true };
      steps.push({
        ...base,
        ...hidden,
        schemas: p.schemas.map((schema) => ({ schema, bytes: 0, rows: 0, estimateMs: null })),
      });
    }
    for (const l of await resolveIndexTables(client, described.locks)) {
      if (!l.schema && created.has(`${m.scope}:${l.table}`)) continue;
      steps.push({ ...base, ...lockFields(l), schemas: await sizes(client, p.schemas, l, c) });
    }
    for (const t of described.creates) if (!t.schema) created.add(`${m.scope}:${t.table}`);
  }
  return steps;
}

function lockFields(l: TableLock) {
  return {
    table: l.schema ? `${l.schema}.${l.table}` : l.table,
    lock: l.lock,
    rewrite: l.rewrite,
    scan: l.scan,
    blocksReads: blocksReads(l.lock),
    blocksWrites: blocksWrites(l.lock),
  };
}

/** The table's size in each schema (in its own schema when the statement names one), in one query. */
async function sizes(client: Client, schemas: string[], l: TableLock, c: Calibration): Promise<LockPlanSchema[]> {
  const where = schemas.map((s) => l.schema ?? s);
  const { rows } = await client.query(
    `SELECT coalesce(pg_table_size(r.oid), 0)::bigint AS bytes, greatest(coalesce(c.reltuples, 0), 0)::bigint AS rows
       FROM unnest($1::text[]) WITH ORDINALITY AS s(nsp, i)
       LEFT JOIN LATERAL (SELECT to_regclass(quote_ident(s.nsp) || '.' || quote_ident($2)) AS oid) r ON true
       LEFT JOIN pg_class c ON c.oid = r.oid
      ORDER BY s.i`,
    [where, l.table],
  );
  return schemas.map((schema, i) => {
    const bytes = Number(rows[i].bytes);
    return { schema, bytes, rows: Number(rows[i].rows), estimateMs: estimateMs(l, bytes, c) };
  });
}

/** The tenant schemas where some pending statement's lock is estimated over `maxMs`: `--largest-last` runs them last. */
export async function schemasOver(options: EngineOptions, maxMs: number): Promise<string[]> {
  const { steps } = await plan(options);
  const over = steps
    .filter((s) => s.scope === 'tenant')
    .flatMap((s) => s.schemas.filter((x) => (x.estimateMs ?? 0) > maxMs).map((x) => x.schema));
  return [...new Set(over)];
}
