// Carries out a plan. Global migrations run in public one by one; a run of consecutive tenant
// migrations is fanned out, each schema taking its chain in order with bounded concurrency.
// A failing global migration stops the run. A failing tenant schema gets nothing more in this
// run, in this segment or any later one, so its history stays in order (unless fail-fast is set,
// the other schemas go on). Results are collected, not thrown: the caller decides the exit code.
import type pg from 'pg';
import type { WorkerConnections } from '../db/workers';
import { fanOut } from '../tenants/fanout';
import { MigrationFailure, runMigration } from './execute';
import type { Migration } from './files';
import type { FailedEntry, Resolved, RunResult } from './options';
import { dirtyAdvice, type Plan, type PlanStep } from './plan';

export async function executePlan(plan: Plan, o: Resolved, workers: WorkerConnections): Promise<RunResult> {
  const result: RunResult = { direction: plan.direction, done: [], failed: [...plan.refused], skipped: [], interrupted: false };
  const segments = segment(plan.steps);
  let stopReason: string | undefined;

  for (const [i, seg] of segments.entries()) {
    // A schema whose migration failed earlier in the run must not get a later version on top of the gap.
    const failedIn = new Map(result.failed.map((f) => [f.schema, f.version]));
    for (const step of seg) {
      const m = step.migration;
      const schemas = step.schemas.filter((s) => !failedIn.has(s)).length;
      const recordOnly = step.recordOnly === undefined ? {} : { recordOnly: step.recordOnly };
      if (schemas) o.emit({ type: 'migration:start', direction: plan.direction, version: m.version, name: m.name, scope: m.scope, schemas, ...recordOnly });
    }
    const chains = chainsBySchema(seg).filter(([schema, chain]) => {
      if (failedIn.has(schema)) skip(result, schema, chain, `version ${failedIn.get(schema)} failed in this schema`);
      return !failedIn.has(schema);
    });
    let finished = 0;
    const stop = () => Boolean(o.signal?.aborted) || (Boolean(o.failFast) && result.failed.length > plan.refused.length);
    const notStarted = await fanOut(chains, seg[0]!.migration.scope === 'global' ? 1 : o.concurrency, async ([schema, chain]) => {
      await runChain(schema, chain, plan, o, workers, result, stop);
      o.emit({ type: 'progress', done: ++finished, total: chains.length });
    }, stop);
    for (const [schema, chain] of notStarted) skip(result, schema, chain, o.signal?.aborted ? 'interrupted' : 'fail-fast');

    const globalFailed = seg[0]!.migration.scope === 'global' && result.failed.some((f) => f.schema === 'public');
    if (o.signal?.aborted) stopReason = 'interrupted';
    else if (globalFailed) stopReason = 'an earlier global migration failed';
    else if (stop()) stopReason = 'fail-fast';
    if (stopReason) {
      for (const rest of segments.slice(i + 1)) for (const [schema, chain] of chainsBySchema(rest)) skip(result, schema, chain, stopReason);
      break;
    }
  }
  result.interrupted = Boolean(o.signal?.aborted);
  if (result.interrupted) o.emit({ type: 'interrupted' });
  return result;
}

async function runChain(schema: string, chain: Migration[], plan: Plan, o: Resolved, workers: WorkerConnections, result: RunResult, stop: () => boolean) {
  for (const [k, m] of chain.entries()) {
    if (o.signal?.aborted || (k > 0 && stop())) return skip(result, schema, chain.slice(k), o.signal?.aborted ? 'interrupted' : 'fail-fast');
    let client: pg.Client | undefined;
    let broken = false;
    try {
      client = await workers.acquire(); // failing to connect fails this schema, as a failing file does
      const ms = await runMigration(client, m, schema, plan.direction, o, previousOf(plan, m));
      result.done.push({ version: m.version, name: m.name, scope: m.scope, schema, ms });
      o.emit({ type: 'schema:done', direction: plan.direction, schema, version: m.version, ms });
    } catch (error) {
      broken = !(error instanceof MigrationFailure) || error.connectionLost;
      const failure = toFailed(schema, m, error, previousOf(plan, m));
      result.failed.push(failure);
      o.emit({ type: 'schema:failed', direction: plan.direction, schema, version: m.version, error: failure.error });
      return skip(result, schema, chain.slice(k + 1), `version ${m.version} failed in this schema`);
    } finally {
      if (client) workers.release(client, broken);
    }
  }
}

function previousOf(plan: Plan, m: Migration): string {
  return plan.steps.find((s) => s.migration === m)!.previous;
}

function toFailed(schema: string, m: Migration, error: unknown, previous: string): FailedEntry {
  if (error instanceof MigrationFailure) {
    const { detail, hint, dirty } = error;
    const advice = dirty ? dirtyAdvice(schema, m.version, previous) : undefined;
    return { schema, version: m.version, error: error.message, file: error.file, line: error.line, statement: error.statement, detail, hint, dirty, advice };
  }
  return { schema, version: m.version, error: (error as Error).message };
}

function skip(result: RunResult, schema: string, chain: Migration[], reason: string) {
  for (const m of chain) result.skipped.push({ schema, version: m.version, reason });
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

/** For one segment: each schema with the migrations it needs, in plan order. */
function chainsBySchema(seg: PlanStep[]): Array<[string, Migration[]]> {
  const chains = new Map<string, Migration[]>();
  for (const step of seg) for (const schema of step.schemas) chains.set(schema, [...(chains.get(schema) ?? []), step.migration]);
  return [...chains];
}
