// The engine's operations, as the library exposes them and the CLI calls them. Each one loads
// and checks the folder, connects, takes the run lock where it changes anything, and returns
// a result instead of exiting.
import type pg from 'pg';
import { refuseDistributedState } from '../db/citus';
import { withSession } from '../db/borrowed';
import { withRunLock } from '../db/run-lock';
import { isMigrateToolError, OperationError, type MigrateToolError } from '../errors';
import { operation, remedy } from '../remedy';
import { loadMigrations, type MigrationFolder } from './files';
import { verifySum } from './checksum';
import { loadCheckedFolder } from './folder-cache';
import { connectOptions, resolved, type EngineOptions, type Resolved, type RunResult } from './options';
import { tenantsInScope } from '../tenants/scope';
import { planDown, planUp, type Plan, type PlanOptions } from './plan';
import { afterRun, runPlan } from './change';
import { ensureStateTable, readState, STATE_SCHEMA, type DatabaseState } from './state';
import { readStateFor } from './state';
import { ensureCounts, pruneDropped } from './state';
import { readTenantState } from './state';
import type { SparesReport } from './spares';
import { currentFailures, readRuns, type CurrentFailure, type RolloutStage, type RunRecord } from './state';
import { latestVersion } from '../tenants/report';

type StateReader = (db: pg.Client) => Promise<DatabaseState>;
import {
  statusReport,
  tenantStatuses,
  tenantVersions,
  unknownVersions,
  versionReport,
  withFailure,
  type StatusReport,
  type TenantStatus,
  type VersionReport,
} from './report';
import {
  applyForce,
  changes,
  forceRefusal,
  parseForceTarget,
  planForce,
  type ForceRequest,
  type ForceResult,
} from './force';

export interface RunOptions extends PlanOptions {
  /** Plan only: nothing is locked or changed. */
  dryRun?: boolean;
  /** This run is one stage of a staged rollout (fleet/rollout.ts): kept with its record (runs.ts). */
  rolloutStage?: RolloutStage;
}

export interface Outcome {
  plan: Plan;
  folder: MigrationFolder;
  /** Absent on a dry run. */
  result?: RunResult;
  /** Versions the database has and the folder lacks (an older release runs against a newer database). */
  unknownVersions: string[];
  /** The spare tenant schemas `migrate` kept (tenantSpares), when there are or were any. */
  spares?: SparesReport;
}

/** Applies pending migrations: global ones in public, tenant ones in every tenant schema. */
export function migrate(options: EngineOptions, run: RunOptions = {}): Promise<Outcome> {
  return change(options, run, planUp);
}

/** Rolls back the `steps` (default 1) most recent versions, in every schema that has them. */
export function rollback(options: EngineOptions, run: RunOptions = {}): Promise<Outcome> {
  return change(options, { steps: 1, ...run }, planDown);
}

/** Brings one tenant schema up to date: what an application calls right after creating a company. */
export function migrateTenant(options: EngineOptions, schema: string): Promise<Outcome> {
  return change(options, { tenant: schema, tenantOnly: true }, planUp, schema);
}

export async function status(options: EngineOptions): Promise<StatusReport> {
  const { folder, state, opts } = await readOnly(options);
  return statusReport(folder, state, opts.tenantPattern);
}

export async function version(options: EngineOptions): Promise<VersionReport> {
  const { folder, state, opts } = await readOnly(options);
  return versionReport(folder, state, opts.tenantPattern);
}

/** Every tenant schema's line; `failed` on those whose last recorded run failed them (runs.ts). */
export async function tenants(options: EngineOptions): Promise<TenantStatus[]> {
  return (await overview(options)).tenants;
}

export interface Overview {
  /** The latest version applied in public, or null. */
  globalVersion: string | null;
  /** The folder's newest tenant version, or null: a schema at it is up to date. */
  latestTenantVersion: string | null;
  tenants: TenantStatus[];
  /** A global migration that a recorded run failed, while public still lacks it (runs.ts). */
  publicFailed?: CurrentFailure;
  /** The newest recorded `up` or `down` run that had work, if any is kept. */
  lastRun?: RunRecord;
  /** When the last run was a stage of a rollout: that rollout's kept stages, oldest first (the last run last). */
  rollout?: RunRecord[];
}

/** What an operator looks at after a job (`report`): the tenants as `tenants` reads them, and the last run. */
export async function overview(options: EngineOptions): Promise<Overview> {
  const { folder, state, runs } = await readOnly(options, undefined, true, true);
  const failures = currentFailures(runs, state, tenantVersions(folder));
  return {
    globalVersion: latestVersion(state.public),
    latestTenantVersion: tenantVersions(folder).at(-1) ?? null,
    tenants: tenantStatuses(folder, state).map((t) => withFailure(t, failures.get(t.schema))),
    ...(failures.has('public') ? { publicFailed: failures.get('public')! } : {}),
    ...(runs[0] ? { lastRun: runs[0] } : {}),
    ...(runs[0]?.rollout ? { rollout: runs.filter((r) => r.rollout?.id === runs[0]!.rollout!.id).reverse() } : {}),
  };
}

/**
 * Records `target` as the current version without running SQL, clearing the dirty flag. Refused,
 * with nothing touched, when it would widen the damage (see forceRefusal); a dry run computes the
 * same per-schema change and the same refusal.
 */
export async function force(
  options: EngineOptions,
  target: string,
  run: Omit<ForceRequest, 'target'> & { dryRun?: boolean } = {},
): Promise<ForceResult> {
  const opts = resolved(options);
  const folder = await loadMigrations(opts.migrationsDir);
  const version = parseForceTarget(folder, target); // a bad version is refused before anything is touched
  const req: ForceRequest = { ...run, target };
  const planned = (state: DatabaseState): ForceResult => {
    const scope = run.tenant ? tenantsInScope(state.tenants, run.tenant) : [state.public, ...state.tenants];
    const plan = planForce(folder, scope, version);
    const refusal = forceRefusal(plan, req);
    if (refusal) throw refusal;
    return { version, schemas: scope.length, changed: plan.filter(changes).length, changes: plan };
  };
  // Force rewrites rows one by one: it reads them all (no summary).
  if (run.dryRun) return planned((await readOnly(options, folder, false)).state);
  // Planned again under the lock (the state may have moved since a preview), and before anything is written.
  return locked(
    opts,
    planned,
    async (client, result) => {
      await applyForce(client, folder, result.changes, version);
      return result;
    },
    (c) => readState(c, opts.tenantPattern),
  );
}

/**
 * migrate, rollback and migrateTenant, in five beats: lock, read, refuse (plan under the lock,
 * which throws), run (change.ts runPlan), release (withRunLock). `newTenant`: migrateTenant's
 * schema, whose state alone is read and whose chain may run as one (new-tenant.ts).
 */
async function change(options: EngineOptions, run: RunOptions, plan: Planner, newTenant?: string): Promise<Outcome> {
  const opts = resolved(options);
  const folder = await checkedFolder(opts, newTenant);
  if (run.dryRun) return preview(options, folder, run, plan);
  const req = { ...run, ...(newTenant === undefined ? {} : { newTenant }) };
  let finished: RunResult | undefined;
  const check = (state: DatabaseState) => ({ p: plan(folder, state, run), unknown: unknownIn(folder, state) });
  const read: StateReader = newTenant
    ? (c) => readTenantState(c, opts.tenantPattern, folder, newTenant)
    : (c) => readStateFor(c, opts.tenantPattern, folder);
  const body = async (
    client: pg.Client,
    { p, unknown }: ReturnType<typeof check>,
    underLock: Resolved,
    unreachable: AbortSignal,
  ): Promise<Outcome> => {
    const ran = await runPlan(client, p, folder, req, underLock, unreachable);
    finished = ran.result;
    const spares = await afterRun(client, p, folder, req, ran, underLock);
    return { plan: p, folder, result: ran.result, unknownVersions: unknown, ...(spares ? { spares } : {}) };
  };
  return locked(opts, check, body, read, { prune: !newTenant }).catch((error: unknown) => {
    // The run as a whole failed (the lock was lost) after schemas had finished or failed: the
    // caller still gets what happened in each, to report beside the error.
    throw finished && isMigrateToolError(error) ? new PartialRunError(error, finished) : error;
  });
}

type Planner = (f: MigrationFolder, s: DatabaseState, p: PlanOptions) => Plan;

/** An application calls migrateTenant again and again: it reads the folder again only when it changed. */
async function checkedFolder(opts: Resolved, newTenant?: string): Promise<MigrationFolder> {
  if (newTenant) return loadCheckedFolder(opts.migrationsDir);
  const folder = await loadMigrations(opts.migrationsDir);
  await verifySum(opts.migrationsDir, folder.checksums);
  return folder;
}

/** A dry run: the plan from the state as read now, nothing locked. */
async function preview(
  options: EngineOptions,
  folder: MigrationFolder,
  run: RunOptions,
  plan: Planner,
): Promise<Outcome> {
  const { state } = await readOnly(options, folder);
  return { plan: plan(folder, state, run), folder, unknownVersions: unknownIn(folder, state) };
}

const unknownIn = (folder: MigrationFolder, state: DatabaseState) =>
  state.unknownVersions ?? unknownVersions(folder, [state.public, ...state.tenants]);

/** A run that failed as a whole after it had done work: `result` says what finished and what failed. */
export class PartialRunError extends OperationError {
  constructor(
    from: MigrateToolError,
    readonly result: RunResult,
  ) {
    super(from.message, from.code, from.remedy, { cause: from });
  }
}

/** `summary`: read the state as state-summary.ts does (reports and planning), else every row; `withRuns`: the kept runs too. */
async function readOnly(options: EngineOptions, loaded?: MigrationFolder, summary = true, withRuns = false) {
  const opts = resolved(options);
  const folder = loaded ?? (await loadMigrations(opts.migrationsDir));
  const { state, runs } = await withSession(opts, connectOptions(opts), async (c) => {
    await refuseDistributedState(c, STATE_SCHEMA); // Citus: before a read that would fail less clearly
    const state = summary ? await readStateFor(c, opts.tenantPattern, folder) : await readState(c, opts.tenantPattern);
    return { state, runs: withRuns ? await readRuns(c) : [] };
  });
  return { opts, folder, state, runs };
}

/**
 * Holds the run lock around `fn`. `check` plans (and refuses) from the state as read under the
 * lock, before the state table is created or pruned: a refusal leaves nothing behind. Reading
 * first is safe: readState skips the rows of dropped schemas that pruning deletes. If the lock's
 * connection dies, `fn` gets options whose signal aborts then (withRunLock), so no new work
 * starts, and the run ends as failed. `prune: false` (migrateTenant, which reads and changes one
 * schema) leaves deleting the rows of dropped schemas to the next run: a sign-up does not scan
 * every schema's count.
 */
async function locked<P, T>(
  opts: Resolved,
  check: (state: DatabaseState) => P,
  fn: (client: pg.Client, checked: P, underLock: Resolved, unreachable: AbortSignal) => Promise<T>,
  read: StateReader,
  { prune = true } = {},
): Promise<T> {
  const lockOptions = {
    ...connectOptions(opts),
    lockTimeoutMs: opts.lockTimeoutMs,
    onWaiting: (holder: string) => opts.emit({ type: 'lock:waiting', holder }),
    afterLoss: remedy`re-run ${operation('migrate')}: what finished is recorded`,
    client: opts.client,
  };
  return withRunLock(opts.connection, lockOptions, async ({ client, signal, unreachable }) => {
    await refuseDistributedState(client, STATE_SCHEMA); // Citus: before a read that would fail less clearly
    const checked = check(await read(client));
    await ensureStateTable(client);
    await ensureCounts(client);
    if (prune) await pruneDropped(client);
    return fn(client, checked, { ...opts, signal }, unreachable);
  });
}
