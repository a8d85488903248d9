// The engine's operations, as the library exposes them and the CLI calls them. Each one loads
// and checks the folder, connects, takes the run lock where it changes anything, and returns
// a result instead of exiting.
import type pg from 'pg';
import { refuseDistributedState } from '../db/citus';
import { withSession } from '../db/borrowed';
import { fitWorkers } from '../db/capacity';
import { withRunLock } from '../db/run-lock';
import { WorkerConnections } from '../db/workers';
import { isMigrateToolError, OperationError, type MigrateToolError } from '../errors';
import { operation, remedy } from '../remedy';
import { loadMigrations, type MigrationFolder } from './files';
import { verifySum } from './checksum';
import { loadCheckedFolder } from './folder-cache';
import { resolved, type EngineOptions, type Resolved, type RunResult } from './options';
import { tenantsInScope } from '../tenants/scope';
import { planDown, planUp, type Plan, type PlanOptions } from './plan';
import { executePlan } from './runner';
import { ensureStateTable, readState, STATE_SCHEMA, type DatabaseState } from './state';
import { readStateFor } from './state';
import { ensureCounts, pruneDropped } from './state';
import { oneChain, onlyIn, runInOneTransaction } from './new-tenant';
import { readTenantState } from './state';
import { keepSpares, takeSpare, wholeChain, type SparesReport } from './spares';
import { currentFailures, readRuns, recordRun, runRecord, type CurrentFailure, type RolloutStage, type RunRecord } from './state';
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
import { applyForce, changes, forceRefusal, parseForceTarget, planForce, type ForceRequest, type ForceResult } from './force';

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
export async function force(options: EngineOptions, target: string, run: Omit<ForceRequest, 'target'> & { dryRun?: boolean } = {}): Promise<ForceResult> {
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

/** `newTenant`: migrateTenant's schema, whose state alone is read and whose chain may run as one (new-tenant.ts). */
async function change(
  options: EngineOptions,
  run: RunOptions,
  plan: (f: MigrationFolder, s: DatabaseState, p: PlanOptions) => Plan,
  newTenant?: string,
): Promise<Outcome> {
  const opts = resolved(options);
  // An application calls migrateTenant again and again: it reads the folder again only when it changed.
  const folder = newTenant ? await loadCheckedFolder(opts.migrationsDir) : await loadMigrations(opts.migrationsDir);
  if (!newTenant) await verifySum(opts.migrationsDir, folder.checksums);
  if (run.dryRun) {
    const { state } = await readOnly(options, folder);
    return { plan: plan(folder, state, run), folder, unknownVersions: unknownVersions(folder, [state.public, ...state.tenants]) };
  }
  let finished: RunResult | undefined;
  const check = (state: DatabaseState) => ({
    p: plan(folder, state, run),
    unknown: state.unknownVersions ?? unknownVersions(folder, [state.public, ...state.tenants]),
  });
  const read: StateReader = newTenant ? (c) => readTenantState(c, opts.tenantPattern, folder, newTenant) : (c) => readStateFor(c, opts.tenantPattern, folder);
  return locked(
    opts,
    check,
    async (lockClient, { p, unknown }, underLock, unreachable) => {
      // Interrupted before it starts, the chain is left to executePlan, which starts nothing then.
      // A bare schema takes a spare when there is one that fits; otherwise its chain runs as one.
      const alone = newTenant !== undefined && !underLock.signal?.aborted && onlyIn(p, newTenant);
      const spare = alone && wholeChain(p, folder) ? await takeSpare(lockClient, p, newTenant, underLock) : undefined;
      const chain = spare ?? (alone && oneChain(p, newTenant) ? await runInOneTransaction(lockClient, p, newTenant, underLock) : undefined);
      if (chain) return { plan: p, folder, result: chain, unknownVersions: unknown };
      const concurrency = p.steps.length ? await capConcurrency(lockClient, underLock) : underLock.concurrency;
      const workers = new WorkerConnections(opts.connection, {
        connectTimeoutMs: opts.connectTimeoutMs,
        onShrink: (size, reason) => opts.emit({ type: 'concurrency:capped', requested: concurrency, allowed: size, reason }),
      });
      // The server stopped answering: what the workers wait for will never come; the server rolls back.
      unreachable.addEventListener('abort', () => workers.severAll(), { once: true });
      // A second Ctrl-C cancels the statements that run; the server rolls their transactions back.
      const cancel = () => void lockClient.query('SELECT pg_cancel_backend(pid) FROM unnest($1::int[]) AS pid', [workers.busyPids()]).catch(() => {});
      opts.hardSignal?.addEventListener('abort', cancel, { once: true });
      try {
        const started = new Date();
        // The run's own sessions are never blockers of its statements.
        const lockPid = underLock.blockerTimeoutMs && p.steps.length ? await backendPid(lockClient) : undefined;
        const ownPids = () => [...(lockPid === undefined ? [] : [lockPid]), ...workers.busyPids()];
        const result = await executePlan(p, { ...underLock, concurrency, ownPids }, workers);
        finished = result;
        await flushCommits(lockClient);
        if (p.steps.length || result.failed.length) await keepRecord(lockClient, runRecord(result, started, new Date(), run.rolloutStage), underLock);
        // Spares are kept to the folder's end: only after a whole run of it that left nothing failed.
        const whole = p.direction === 'up' && !newTenant && !run.tenant && !run.tenants && run.steps === undefined;
        // While contract files wait, spares built to the folder's end would hand a new schema the contract early.
        const clean = whole && !p.contractsWaiting && !result.failed.length && !result.interrupted && !underLock.signal?.aborted;
        const spares = clean ? await keepSpares(lockClient, folder, opts.tenantSpares ?? 0, underLock) : undefined;
        return { plan: p, folder, result, unknownVersions: unknown, ...(spares ? { spares } : {}) };
      } finally {
        opts.hardSignal?.removeEventListener('abort', cancel);
        await workers.close();
      }
    },
    read,
    { prune: !newTenant },
  ).catch((error: unknown) => {
    // The run as a whole failed (the lock was lost) after schemas had finished or failed: the
    // caller still gets what happened in each, to report beside the error.
    throw finished && isMigrateToolError(error) ? new PartialRunError(error, finished) : error;
  });
}

/** The run's record is for reading later: failing to write it is said, and fails nothing that ran. */
async function keepRecord(client: pg.Client, record: Parameters<typeof recordRun>[1], opts: Resolved): Promise<void> {
  try {
    await recordRun(client, record);
  } catch (error) {
    opts.emit({
      type: 'note',
      message: `this run's record (migrate_tool.runs, read for failed schemas and reports) was not written: ${(error as Error).message}`,
    });
  }
}

async function backendPid(client: pg.Client): Promise<number> {
  return (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
}

/** A run that failed as a whole after it had done work: `result` says what finished and what failed. */
export class PartialRunError extends OperationError {
  constructor(
    from: MigrateToolError,
    readonly result: RunResult,
  ) {
    super(from.message, from.code, from.remedy, { cause: from });
  }
}

/** --concurrency, or fewer workers if the server cannot take that many more connections (said so). */
async function capConcurrency(client: pg.Client, opts: Resolved): Promise<number> {
  const { workers, capacity } = await fitWorkers(client, opts.concurrency);
  if (workers < opts.concurrency)
    opts.emit({
      type: 'concurrency:capped',
      requested: opts.concurrency,
      allowed: workers,
      reason: `the server accepts ${capacity.free} more connection${capacity.free === 1 ? '' : 's'} (${capacity.limitedBy})`,
    });
  return workers;
}

/** `summary`: read the state as state-summary.ts does (reports and planning), else every row; `withRuns`: the kept runs too. */
async function readOnly(options: EngineOptions, loaded?: MigrationFolder, summary = true, withRuns = false) {
  const opts = resolved(options);
  const folder = loaded ?? (await loadMigrations(opts.migrationsDir));
  const { state, runs } = await withSession(opts, connectOpts(opts), async (c) => {
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
    ...connectOpts(opts),
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

/**
 * Migrations commit asynchronously (execute.ts); one synchronous commit here waits until the WAL
 * is on disk up to this point, which covers every commit before it. So when a run reports success
 * its work is as durable as if each commit had waited, for one disk flush instead of thousands.
 * (txid_current() gives this autocommit statement a transaction id, hence a commit record.)
 */
async function flushCommits(client: pg.Client): Promise<void> {
  await client.query(`SET synchronous_commit = on; SELECT txid_current()`);
}

function connectOpts(opts: Resolved) {
  return {
    connectTimeoutMs: opts.connectTimeoutMs,
    waitMs: opts.waitMs,
    signal: opts.signal,
    onWait: (message: string) => opts.emit({ type: 'connect:waiting', message }),
  };
}
