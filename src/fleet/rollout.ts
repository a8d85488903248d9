// A staged rollout of `up`, over a fleet or one database: the canary alone first (with the global
// migrations of every target), then the waves, each an ordinary engine run per target limited to
// that wave's schemas, under that target's own run lock. A wave over its failure budget stops the
// rollout; nothing is kept between runs, so re-running resumes: what finished is no longer pending.
import { migrate, tenants } from '../migrations/api';
import type { EngineOptions, RunResult } from '../migrations/options';
import type { RolloutStage } from '../migrations/state';
import { overFleet, type FleetOptions } from './run';
import type { RolloutSpec, Target } from './targets';
import { planRollout, share, type Candidates, type RolloutPlan, type WaveItem } from './waves';

export interface RolloutTarget {
  target: Target;
  options: EngineOptions;
}

export interface StageRun {
  target: string;
  schemas: string[];
  result?: RunResult;
  error?: unknown;
}

export interface Stage {
  /** `canary`, or `wave 2/5`. */
  label: string;
  schemas: WaveItem[];
  runs: StageRun[];
  /** Tenant schemas that failed, and how many may (the failure budget; 0 for the canary). */
  failed: number;
  allowed: number;
  ok: boolean;
}

export interface RolloutReport {
  plan: RolloutPlan;
  /** Targets whose pending schemas could not be read: they take no part, and the run fails. */
  unreadable: StageRun[];
  stages: Stage[];
  /** Why the rollout stopped before the end: a stage failed, its gate did, --pause was declined, Ctrl-C. */
  stopped?: 'failed' | 'gate' | 'declined' | 'interrupted';
}

export interface RolloutHooks extends FleetOptions {
  /** After each stage that succeeded, the last included (soak, then gate): false stops the rollout as a failed stage does. */
  afterStage?: (done: Stage) => Promise<boolean>;
  /** Asked before each wave after the first stage (--pause); false stops the rollout. */
  beforeWave?: (next: { label: string; schemas: number }, done: Stage) => Promise<boolean>;
  onStage?: (stage: Stage) => void;
  /** Plan only. */
  dryRun?: boolean;
  /** Over a targets file: the canary may name `target:schema`. */
  fleet?: boolean;
}

/** Why the rollout stops after this stage, if it does: the stage failed, or the gate after it did. */
async function stopAfter(done: Stage, hooks: RolloutHooks): Promise<RolloutReport['stopped']> {
  const passed = done.ok && (!hooks.afterStage || (await hooks.afterStage(done)));
  if (hooks.signal?.aborted) return 'interrupted';
  if (!passed) return done.ok ? 'gate' : 'failed';
  return undefined;
}

export async function rollout(
  all: RolloutTarget[],
  spec: RolloutSpec,
  hooks: RolloutHooks = {},
): Promise<RolloutReport> {
  const byName = new Map(all.map((t) => [t.target.name, t]));
  // The candidates are read first, from every target: the plan is made before anything runs.
  const read = await overFleet(
    all.map((t) => t.target),
    { ...hooks, failFast: false },
    async (t) => {
      const options = byName.get(t.name)!.options;
      const list = await tenants(options);
      const pending = list.filter((s) => s.behind > 0 || s.dirty).map((s) => s.schema);
      // Planned only when asked: it reads the lock model and times the server (plan/plan.ts).
      const last =
        spec.largestLastMs === undefined || !pending.length
          ? []
          : await (await import('../plan/plan')).schemasOver(options, spec.largestLastMs);
      return { target: t.name, all: list.map((s) => s.schema), pending, last };
    },
  );
  const candidates = read.filter((o) => o.value).map((o) => o.value as Candidates);
  const unreadable = read.filter((o) => o.error).map((o) => ({ target: o.target.name, schemas: [], error: o.error }));
  const plan = planRollout(candidates, spec, Boolean(hooks.fleet));
  const report: RolloutReport = { plan, unreadable, stages: [] };
  if (hooks.dryRun) return report;
  const reachable = all.filter((t) => candidates.some((c) => c.target === t.target.name));
  // Each stage's engine run records which rollout it belongs to, so a report can show them together.
  const id = new Date().toISOString();

  // The first stage runs on every target: it carries the global migrations, with the canary.
  const first = await stage({ id, stage: 'canary' }, plan.canary, reachable, hooks, 0, false);
  report.stages.push(first);
  hooks.onStage?.(first);
  const stop = await stopAfter(first, hooks);
  if (stop) return { ...report, stopped: stop };
  let previous = first;
  for (const [i, wave] of plan.waves.entries()) {
    const label = `wave ${i + 1}/${plan.waves.length}`;
    if (hooks.beforeWave && !(await hooks.beforeWave({ label, schemas: wave.length }, previous)))
      return { ...report, stopped: 'declined' };
    if (hooks.signal?.aborted) return { ...report, stopped: 'interrupted' };
    const allowed = spec.failureBudget === undefined ? 0 : share(spec.failureBudget, wave.length, '--failure-budget');
    const targets = reachable.filter((t) => wave.some((w) => w.target === t.target.name));
    previous = await stage({ id, stage: label }, wave, targets, hooks, allowed, true);
    report.stages.push(previous);
    hooks.onStage?.(previous);
    const stopped = await stopAfter(previous, hooks);
    if (stopped) return { ...report, stopped };
  }
  return report;
}

async function stage(
  at: RolloutStage,
  items: WaveItem[],
  targets: RolloutTarget[],
  hooks: RolloutHooks,
  allowed: number,
  tenantOnly: boolean,
): Promise<Stage> {
  const schemasOf = (name: string) => items.filter((i) => i.target === name).map((i) => i.schema);
  const outcomes = await overFleet(
    targets.map((t) => t.target),
    hooks,
    async (t) => {
      const { options } = targets.find((r) => r.target === t)!;
      const outcome = await migrate(options, { tenants: schemasOf(t.name), tenantOnly, rolloutStage: at });
      return outcome.result!;
    },
    (r) => r.failed.length > 0,
  );
  const runs: StageRun[] = outcomes.map((o) => ({
    target: o.target.name,
    schemas: schemasOf(o.target.name),
    ...(o.value ? { result: o.value } : {}),
    ...(o.error || o.notRun ? { error: o.error ?? new Error('not run') } : {}),
  }));
  // A target that failed as a whole counts every schema it was to migrate (its public at least).
  const failed = runs.reduce(
    (n, r) => n + (r.error ? Math.max(1, r.schemas.length) : new Set(r.result!.failed.map((f) => f.schema)).size),
    0,
  );
  const interrupted = runs.some((r) => r.result?.interrupted) || Boolean(hooks.signal?.aborted);
  // A target that cannot run at all (unreachable, its lock held) is never within a budget.
  const ok = !interrupted && failed <= allowed && !runs.some((r) => r.error);
  return { label: at.stage, schemas: items, runs, failed, allowed, ok };
}
