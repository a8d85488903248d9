// Carries out a plan. Global migrations run in public one by one; a run of consecutive tenant
// migrations is fanned out, each schema taking its chain in order with bounded concurrency. In a
// schema's chain, consecutive transactional migrations run as one unit, in one transaction; a
// no-transaction or backfill migration is a unit of its own; the executor (executor.ts) forms the
// units and runs each by its strategy.
// A failing global migration stops the run. A failing tenant schema gets nothing more in this
// run, in this segment or any later one, so its history stays in order (unless fail-fast is set,
// the other schemas go on). The fan-out (tenants/fanout.ts) returns one result set per schema;
// they are collected here into the run's result, not thrown: the caller decides the exit code.
import type pg from 'pg';
import type { WorkerConnections } from '../db/workers';
import { chainsBySchema, runPerTenant, type TenantResult } from '../tenants/fanout';
import { BlockerFailure } from './blocker-check';
import { MigrationFailure } from './execute';
import { runUnit, unitsOf } from './executor';
import { isTransient, type PgError } from './failure';
import type { Migration } from './files';
import type { FailedEntry, Resolved, RunResult, RunTiming } from './options';
import { libraryWords } from '../remedy';
import { dirtyRemedy, type Plan, type PlanStep } from './plan';

export async function executePlan(plan: Plan, opts: Resolved, workers: WorkerConnections): Promise<RunResult> {
  const timing: RunTiming = { stages: [], schemaMs: new Map() };
  const result: RunResult = {
    direction: plan.direction,
    done: [],
    failed: [...plan.refused],
    skipped: [],
    interrupted: false,
    timing,
  };
  const segments = segment(plan.steps);

  for (const [i, seg] of segments.entries()) {
    // A schema whose migration failed earlier in the run must not get a later version on top of the gap.
    const failedIn = new Map(result.failed.map((f) => [f.schema, f.version]));
    announce(seg, failedIn, plan, opts);
    const chains = chainsBySchema(seg)
      .filter(({ schema, items }) => {
        if (failedIn.has(schema)) skip(result, schema, items, `version ${failedIn.get(schema)} failed in this schema`);
        return !failedIn.has(schema);
      })
      .map(({ schema, items }) => ({ schema, items: unitsOf(items) }));
    // The total is known before the first schema ends: a log can say 0/2000 while the first ones run.
    opts.emit({ type: 'progress', done: 0, total: chains.length });

    let finished = 0;
    const started = performance.now();
    const perTenant = await runPerTenant(chains, {
      concurrency: seg[0]!.migration.scope === 'global' ? 1 : opts.concurrency,
      runOne: (schema, unit: PlanStep[]) =>
        timed(timing.schemaMs, schema, () => runSchemaUnit(schema, unit, plan, opts, workers)),
      signal: opts.signal,
      failFast: opts.failFast,
      onTenantDone: () => opts.emit({ type: 'progress', done: ++finished, total: chains.length }),
    });
    for (const tenant of perTenant) collect(result, tenant);
    const ran = perTenant.filter((t) => t.results.some((r) => r.status !== 'NotExecuted')).length;
    const scope = seg[0]!.migration.scope;
    if (ran)
      timing.stages.push({
        scope,
        versions: seg.map((s) => s.migration.version),
        schemas: ran,
        ms: Math.round(performance.now() - started),
      });

    const stopReason = stopAfter(seg, result, plan, opts);
    if (stopReason) {
      for (const rest of segments.slice(i + 1))
        for (const { schema, items } of chainsBySchema(rest)) skip(result, schema, items, stopReason);
      break;
    }
  }
  result.interrupted = Boolean(opts.signal?.aborted);
  if (result.interrupted) opts.emit({ type: 'interrupted' });
  return result;
}

/** The segment's start events: each migration with the schemas that will run it (none failed earlier in the run). */
function announce(seg: PlanStep[], failedIn: Map<string, string>, plan: Plan, opts: Resolved): void {
  for (const step of seg) {
    const m = step.migration;
    const schemas = step.schemas.filter((s) => !failedIn.has(s)).length;
    const recordOnly = step.recordOnly === undefined ? {} : { recordOnly: step.recordOnly };
    if (schemas)
      opts.emit({
        type: 'migration:start',
        direction: plan.direction,
        version: m.version,
        name: m.name,
        scope: m.scope,
        schemas,
        ...recordOnly,
      });
  }
}

/** Why the run stops after this segment, if it does. */
function stopAfter(seg: PlanStep[], result: RunResult, plan: Plan, opts: Resolved): string | undefined {
  const globalFailed = seg[0]!.migration.scope === 'global' && result.failed.some((f) => f.schema === 'public');
  if (opts.signal?.aborted) return 'interrupted';
  if (globalFailed) return 'an earlier global migration failed';
  if (opts.failFast && result.failed.length > plan.refused.length) return 'fail-fast';
  return undefined;
}

/**
 * One unit of a schema's chain on a worker connection, run by the executor: a no-transaction or
 * backfill migration, or consecutive transactional ones in one transaction. Its events are emitted as it ends; returns each one's ms
 * (a unit's migrations share its transaction, so each gets the transaction's time).
 */
async function runSchemaUnit(
  schema: string,
  unit: PlanStep[],
  plan: Plan,
  opts: Resolved,
  workers: WorkerConnections,
): Promise<number[]> {
  let client: pg.Client | undefined;
  let broken = false;
  try {
    client = await workers.acquire(); // failing to connect fails this schema, as a failing file does
    const migrations = unit.map((s) => s.migration);
    const ms = await runUnit(client, migrations, schema, plan.direction, opts, unit[0]!.previous);
    for (const { migration: m } of unit)
      opts.emit({ type: 'schema:done', direction: plan.direction, schema, version: m.version, ms });
    return unit.map(() => ms);
  } catch (error) {
    broken = !(error instanceof MigrationFailure) || error.connectionLost;
    const f = error instanceof MigrationFailure ? error : undefined;
    for (const { migration: m } of unit.slice(0, f?.kept ?? 0))
      opts.emit({ type: 'schema:done', direction: plan.direction, schema, version: m.version, ms: f!.keptMs });
    const step = unit[f?.at ?? 0]!;
    opts.emit({
      type: 'schema:failed',
      direction: plan.direction,
      schema,
      version: step.migration.version,
      error: toFailed(schema, step.migration, error, step.previous).error,
    });
    throw error;
  } finally {
    if (client) workers.release(client, broken);
  }
}

/** One schema's result set, into the run's done, failed and skipped lists, migration by migration. */
function collect(result: RunResult, { schema, results }: TenantResult<PlanStep[], number[]>): void {
  const failedUnit = results.find((r) => r.status === 'Error');
  const failure = failedUnit?.error instanceof MigrationFailure ? failedUnit.error : undefined;
  const [at, kept] = [failure?.at ?? 0, failure?.kept ?? 0];
  const failedAt = failedUnit?.item[at]!.migration.version;
  for (const r of results) {
    for (const [k, step] of r.item.entries()) {
      const m = step.migration;
      const done = (ms: number) => result.done.push({ version: m.version, name: m.name, scope: m.scope, schema, ms });
      if (r.status === 'Success') done(r.value![k]!);
      else if (r.status === 'Error' && k < kept) done(failure!.keptMs);
      else if (r.status === 'Error' && k === at) result.failed.push(toFailed(schema, m, r.error, step.previous));
      else if (r.status === 'Error' && k < at)
        result.skipped.push({
          schema,
          version: m.version,
          reason: `rolled back: it shared a transaction with version ${failedAt}, which failed before it committed`,
        });
      else {
        const reason =
          r.status === 'Error' || r.reason === 'earlier-error'
            ? `version ${failedAt} failed in this schema`
            : r.reason!;
        result.skipped.push({ schema, version: m.version, reason });
      }
    }
  }
}

function toFailed(schema: string, m: Migration, error: unknown, previous: string): FailedEntry {
  if (error instanceof MigrationFailure) {
    const { detail, hint, dirty } = error;
    const remedy = error.remedy ?? (dirty ? dirtyRemedy(schema, m.version, previous) : undefined);
    const advice = remedy && libraryWords(remedy);
    const sqlstate = (error.cause as PgError | undefined)?.code;
    // A blocker's session ends, and a re-run goes through: as transient as a lock_timeout.
    const transient =
      isTransient(sqlstate, error.connectionLost) || error instanceof BlockerFailure
        ? { transient: true as const }
        : {};
    const { file, line, statement } = error;
    return {
      schema,
      version: m.version,
      error: error.message,
      file,
      line,
      statement,
      detail,
      hint,
      dirty,
      remedy,
      advice,
      sqlstate,
      ...transient,
    };
  }
  return { schema, version: m.version, error: (error as Error).message };
}

function skip(result: RunResult, schema: string, steps: PlanStep[], reason: string) {
  for (const { migration } of steps) result.skipped.push({ schema, version: migration.version, reason });
}

/** Runs `fn`, adding its wall time to `schema`'s total, whether it succeeds or throws. */
async function timed<T>(totals: Map<string, number>, schema: string, fn: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await fn();
  } finally {
    totals.set(schema, (totals.get(schema) ?? 0) + performance.now() - started);
  }
}

/** Consecutive steps of the same tenant scope form one segment; each global step is its own. */
function segment(steps: PlanStep[]): PlanStep[][] {
  const out: PlanStep[][] = [];
  for (const step of steps) {
    const last = out.at(-1);
    if (last && step.migration.scope === 'tenant' && last[0]!.migration.scope === 'tenant') last.push(step);
    else out.push([step]);
  }
  return out;
}
