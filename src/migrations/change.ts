// The run beat of migrate, rollback and migrateTenant (api.ts `change`), under the run lock: how
// the plan runs (runPlan: a spare, one transaction, or the workers), the workers with their
// cancel and cut wiring (onWorkers), and what is kept after a run on them (afterRun).
import type pg from 'pg';
import { fitWorkers } from '../db/capacity';
import { WorkerConnections } from '../db/workers';
import type { MigrationFolder } from './files';
import { onlyIn, oneChain, runInOneTransaction } from './new-tenant';
import type { Resolved, RunResult } from './options';
import type { Plan, PlanOptions } from './plan';
import { executePlan } from './runner';
import { keepSpares, takeSpare, wholeChain, type SparesReport } from './spares';
import { recordRun, runRecord, type RolloutStage } from './state';

/** What the caller asked for, as far as the run beat needs it. */
export interface RunRequest extends Pick<PlanOptions, 'tenant' | 'tenants' | 'steps'> {
  /** migrateTenant's schema: its bare chain may take a spare or run as one transaction. */
  newTenant?: string;
  rolloutStage?: RolloutStage;
}

/** How the plan ran: `started` only on the workers, whose runs are recorded (afterRun). */
export interface Ran {
  result: RunResult;
  started?: Date;
}

/**
 * Runs the plan the one way that fits it. A new tenant's bare schema takes a spare when there is
 * one that fits, else its chain runs as one transaction (new-tenant.ts); either may decline, having
 * changed nothing, and then, as for every other plan, the workers run it schema by schema.
 * Interrupted before it starts, the chain is left to executePlan, which starts nothing then.
 */
export async function runPlan(
  client: pg.Client,
  plan: Plan,
  folder: MigrationFolder,
  req: RunRequest,
  opts: Resolved,
  unreachable: AbortSignal,
): Promise<Ran> {
  const schema = req.newTenant;
  const alone = schema !== undefined && !opts.signal?.aborted && onlyIn(plan, schema);
  const spare = alone && wholeChain(plan, folder) ? await takeSpare(client, plan, schema, opts) : undefined;
  const chain =
    spare ?? (alone && oneChain(plan, schema) ? await runInOneTransaction(client, plan, schema, opts) : undefined);
  return chain ? { result: chain } : onWorkers(client, plan, opts, unreachable);
}

/** The plan on worker connections, which are cut when the server stops answering and cancelled on a second Ctrl-C. */
async function onWorkers(client: pg.Client, plan: Plan, opts: Resolved, unreachable: AbortSignal): Promise<Ran> {
  const concurrency = plan.steps.length ? await capConcurrency(client, opts) : opts.concurrency;
  const workers = new WorkerConnections(opts.connection, {
    connectTimeoutMs: opts.connectTimeoutMs,
    onShrink: (size, reason) =>
      opts.emit({ type: 'concurrency:capped', requested: concurrency, allowed: size, reason }),
  });
  // The server stopped answering: what the workers wait for will never come; the server rolls back.
  unreachable.addEventListener('abort', () => workers.severAll(), { once: true });
  // A second Ctrl-C cancels the statements that run; the server rolls their transactions back.
  const cancel = () =>
    void client
      .query('SELECT pg_cancel_backend(pid) FROM unnest($1::int[]) AS pid', [workers.busyPids()])
      .catch(() => {});
  opts.hardSignal?.addEventListener('abort', cancel, { once: true });
  try {
    const started = new Date();
    // The run's own sessions are never blockers of its statements.
    const lockPid = opts.blockerTimeoutMs && plan.steps.length ? await backendPid(client) : undefined;
    const ownPids = () => [...(lockPid === undefined ? [] : [lockPid]), ...workers.busyPids()];
    return { result: await executePlan(plan, { ...opts, concurrency, ownPids }, workers), started };
  } finally {
    opts.hardSignal?.removeEventListener('abort', cancel);
    await workers.close();
  }
}

/** After a run on the workers: its commits flushed, its record kept, and the spares kept after a whole clean `up`. */
export async function afterRun(
  client: pg.Client,
  plan: Plan,
  folder: MigrationFolder,
  req: RunRequest,
  ran: Ran,
  opts: Resolved,
): Promise<SparesReport | undefined> {
  const { result, started } = ran;
  if (!started) return undefined;
  await flushCommits(client);
  if (plan.steps.length || result.failed.length)
    await keepRecord(client, runRecord(result, started, new Date(), req.rolloutStage), opts);
  // Spares are kept to the folder's end: only after a whole run of it that left nothing failed.
  const whole = plan.direction === 'up' && !req.newTenant && !req.tenant && !req.tenants && req.steps === undefined;
  // While contract files wait, spares built to the folder's end would hand a new schema the contract early.
  const clean =
    whole && !plan.contractsWaiting && !result.failed.length && !result.interrupted && !opts.signal?.aborted;
  return clean ? keepSpares(client, folder, opts.tenantSpares ?? 0, opts) : undefined;
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

/**
 * Migrations commit asynchronously (chain.ts); one synchronous commit here waits until the WAL
 * is on disk up to this point, which covers every commit before it. So when a run reports success
 * its work is as durable as if each commit had waited, for one disk flush instead of thousands.
 * (txid_current() gives this autocommit statement a transaction id, hence a commit record.)
 */
async function flushCommits(client: pg.Client): Promise<void> {
  await client.query(`SET synchronous_commit = on; SELECT txid_current()`);
}
