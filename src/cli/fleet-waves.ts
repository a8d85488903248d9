// `up --canary LIST --waves N|P%` (or the targets file's `rollout`): a staged rollout, over a
// fleet or one database, reported stage by stage. The plan is made and every refusal found
// before the first stage starts.
import {
  isMigrateToolError,
  rollout,
  UsageError,
  type Event,
  type ExitCode,
  type RolloutReport,
  type RolloutSpec,
  type RunResult,
  type Stage,
  type Target,
} from '../index';
import { durationMs, EXIT, parseCanary } from '../internal';
import { describeError, cliFailure } from './advice';
import { boolFlag, intArg, stringFlag, type ParsedArgs } from './args';
import { engineOptions, type CommandContext } from './context';
import type { FleetOptions } from '../index';
import { duration } from './format';
import { soakAndGate, type GateRecord } from './gate';
import type { Output } from './output';
import { ProgressBoard } from './progress';
import { printSummary } from './render-run';

export interface RolloutContext {
  args: ParsedArgs;
  out: Output;
  interactive: boolean;
  ask(question: string): Promise<string>;
  signal: AbortSignal;
  /** The environment the gate command runs with. */
  env: Record<string, string | undefined>;
}

/** The rollout asked for by flags (which win) or the targets file; undefined for a plain `up`. */
export function rolloutFromArgs(args: ParsedArgs, fromFile?: RolloutSpec): RolloutSpec | undefined {
  const canary = stringFlag(args, 'canary');
  const waves = stringFlag(args, 'waves');
  const budget = stringFlag(args, 'failure-budget');
  const pause = boolFlag(args, 'pause');
  const soak = stringFlag(args, 'soak');
  const gate = stringFlag(args, 'gate');
  const largestLast = intArg(stringFlag(args, 'largest-last'), '--largest-last');
  if (!fromFile && [canary, waves, budget, soak, gate, largestLast].every((v) => v === undefined) && !pause)
    return undefined;
  const soakMs = soak === undefined ? undefined : durationMs(soak);
  if (soak !== undefined && soakMs === undefined)
    throw new UsageError(
      `--soak must be a duration like 30s, 10m or 1h (got "${soak}")`,
      'write e.g. --soak=10m; nothing was changed',
      'BAD_ROLLOUT',
    );
  if (gate !== undefined && !gate.trim())
    throw new UsageError(
      '--gate needs a shell command',
      'write e.g. --gate "curl -fsS http://app/health"',
      'BAD_ROLLOUT',
    );
  return {
    ...fromFile,
    ...(canary !== undefined ? { canary: parseCanary(canary) } : {}),
    ...(waves !== undefined ? { waves } : {}),
    ...(budget !== undefined ? { failureBudget: budget } : {}),
    ...(pause ? { pause } : {}),
    ...(soakMs !== undefined ? { soakMs } : {}),
    ...(gate !== undefined ? { gate } : {}),
    ...(largestLast !== undefined ? { largestLastMs: largestLast } : {}),
  };
}

export async function rolloutUp(
  rc: RolloutContext,
  targets: Target[],
  ctxFor: (t: Target) => CommandContext,
  spec: RolloutSpec,
  fleet: boolean,
  fleetOpts: FleetOptions,
): Promise<ExitCode> {
  const { args, out } = rc;
  refuseRollout(rc, spec);
  const started = performance.now();
  const progress = new ProgressBoard(out, fleet);
  const gates = new Map<string, GateRecord>();
  const onEvent = (name: string) => (e: Event) => {
    progress.onEvent(e, name);
    if (e.type === 'lock:waiting')
      out.note(`[${name}] waiting for another migrate-tool run to finish (lock held by ${e.holder})...`);
    if (e.type === 'concurrency:capped')
      out.note(`[${name}] concurrency lowered from ${e.requested} to ${e.allowed}: ${e.reason}`);
  };
  const report = await rollout(
    targets.map((t) => ({ target: t, options: engineOptions(ctxFor(t), onEvent(t.name)) })),
    spec,
    {
      ...fleetOpts,
      fleet,
      dryRun: boolFlag(args, 'dry-run'),
      onStage: (s) => printStage(s, out, fleet, (name) => targets.find((t) => t.name === name)),
      afterStage:
        spec.soakMs || spec.gate ? soakAndGate(spec, { out, env: rc.env, signal: rc.signal }, gates) : undefined,
      beforeWave: spec.pause ? (next) => askWave(rc, next) : undefined,
    },
  );
  const where = (i: { target: string; schema: string }) => (fleet ? `${i.target}:${i.schema}` : i.schema);
  const plan = { canary: report.plan.canary.map(where), waves: report.plan.waves.map((w) => w.map(where)) };
  for (const u of report.unreadable)
    out.note(`[${u.target}] cannot be read, so it takes no part: ${(u.error as Error).message}`);
  if (boolFlag(args, 'dry-run')) return printRolloutPlan(out, targets, report, plan, spec);
  const totals = targetTotals(targets, report);
  out.data({
    rollout: plan,
    stages: report.stages.map((s) => ({
      label: s.label,
      ok: s.ok,
      failed: s.failed,
      allowed: s.allowed,
      schemas: s.schemas.map(where),
      ...(gates.has(s.label) ? { gate: gates.get(s.label) } : {}),
    })),
    targets: totals.map(({ errors, ...t }) => ({ ...t, ...(errors.length ? { error: errors.join('; ') } : {}) })),
    ...(report.stopped ? { stopped: report.stopped } : {}),
  });
  const runs = report.stages.flatMap((s) =>
    s.runs.flatMap((r) => (r.result ? [{ result: r.result, ...(fleet ? { target: r.target } : {}) }] : [])),
  );
  printSummary(runs, out, performance.now() - started);
  return printRolloutEnd(out, report, totals);
}

/** What a rollout does not take: N, --tenant (it applies everything pending); --pause without a terminal. */
function refuseRollout(rc: RolloutContext, spec: RolloutSpec): void {
  const { args } = rc;
  const limited = [stringFlag(args, 'steps'), stringFlag(args, 'tenant')].some((v) => v !== undefined);
  if (args.positionals[0] !== undefined || limited) {
    throw new UsageError(
      'a rollout (--canary, --waves) applies everything pending: it takes no N and no --tenant',
      'drop N/--tenant, or the rollout flags',
      'BAD_ROLLOUT',
    );
  }
  if (spec.pause && !rc.interactive)
    throw new UsageError(
      '--pause needs a terminal to ask on; nothing was changed',
      'run it on a terminal; without one (a job), use --soak and --gate instead of --pause',
      'NO_TTY',
    );
}

/** --pause: asks on the terminal before each wave; only `y` or `yes` starts it. */
async function askWave(rc: RolloutContext, next: { label: string; schemas: number }): Promise<boolean> {
  const answer = await rc.ask(`Start ${next.label} (${next.schemas} schema${next.schemas === 1 ? '' : 's'})? [y/N] `);
  return /^y(es)?$/i.test(answer.trim());
}

/** The dry run's plan: the canary, each wave, and what happens after each stage. */
function printRolloutPlan(
  out: Output,
  targets: Target[],
  report: RolloutReport,
  plan: { canary: string[]; waves: string[][] },
  spec: RolloutSpec,
): ExitCode {
  out.data({
    dryRun: true,
    rollout: plan,
    targets: targets.map((t) => ({ name: t.name, ...errorOf(report.unreadable.find((u) => u.target === t.name)) })),
  });
  const canary = plan.canary.length ? plan.canary.join(', ') : '(none)';
  out.print(`Rollout plan (dry run: nothing will be changed): canary ${canary} with the global migrations`);
  plan.waves.forEach((w, i) =>
    out.print(`  wave ${i + 1}/${plan.waves.length}: ${w.length} schema${w.length === 1 ? '' : 's'}: ${list(w)}`),
  );
  if (spec.soakMs || spec.gate) {
    const after = [
      spec.soakMs ? `soak ${duration(spec.soakMs)}` : '',
      spec.gate ? 'run the gate (exit 0 goes on)' : '',
    ];
    out.print(`  after each stage: ${after.filter(Boolean).join(', then ')}`);
  }
  return report.unreadable.length ? EXIT.failed : EXIT.ok;
}

interface TargetTotal {
  name: string;
  applied: unknown[];
  failed: unknown[];
  errors: string[];
}

/** Per target, over every stage: what was applied, what failed (in the CLI's words), and its errors. */
function targetTotals(targets: Target[], report: RolloutReport): TargetTotal[] {
  const totals = new Map<string, TargetTotal>(
    targets.map((t) => [t.name, { name: t.name, applied: [], failed: [], errors: [] }]),
  );
  for (const stage of report.stages)
    for (const r of stage.runs) {
      const t = totals.get(r.target)!;
      const done = r.result?.done ?? [];
      t.applied.push(...done.map((d) => ({ version: d.version, scope: d.scope, schema: d.schema, ms: d.ms })));
      t.failed.push(...(r.result?.failed ?? []).map(cliFailure));
      if (r.error) t.errors.push((r.error as Error).message);
    }
  for (const u of report.unreadable) totals.get(u.target)!.errors.push((u.error as Error).message);
  return [...totals.values()];
}

/** The rollout's last line: stopped (and how to resume), or finished, with or without failures. */
function printRolloutEnd(out: Output, report: RolloutReport, totals: TargetTotal[]): ExitCode {
  if (report.stopped) {
    const at = report.stages.at(-1)?.label ?? 'the start';
    // As the README says: the same command again; what is migrated is no longer pending, so it starts where it stopped.
    out.print(
      `Rollout stopped after ${at} (${STOPPED[report.stopped]}); later waves were not started. Fix what failed and re-run the same command to resume.`,
    );
    return EXIT.failed;
  }
  const failed = totals.some((t) => t.failed.length || t.errors.length);
  const schemas = report.stages.reduce((n, s) => n + s.schemas.length, 0);
  const waves = report.plan.waves.length;
  out.print(
    `Rollout ${failed ? 'finished with failures:' : 'complete!'} ${schemas} tenant schema${schemas === 1 ? '' : 's'} in the canary and ${waves} wave${waves === 1 ? '' : 's'}`,
  );
  return failed ? EXIT.failed : EXIT.ok;
}

const STOPPED: Record<NonNullable<RolloutReport['stopped']>, string> = {
  failed: 'it failed',
  gate: 'its gate failed',
  declined: 'not confirmed',
  interrupted: 'interrupted',
};

function printStage(s: Stage, out: Output, fleet: boolean, targetOf: (name: string) => Target | undefined): void {
  const head =
    s.label === 'canary'
      ? `Canary: ${s.schemas.length ? `${s.schemas.length} schema${s.schemas.length === 1 ? '' : 's'}` : 'none pending'}, with the global migrations`
      : `${capitalized(s.label)}: ${s.schemas.length} schema${s.schemas.length === 1 ? '' : 's'}`;
  out.print(head);
  for (const r of s.runs) {
    const who = fleet ? `  ${r.target}: ` : '  ';
    if (r.error) out.print(`${who}error: ${(r.error as Error).message}${adviceOf(r.error, targetOf(r.target))}`);
    else out.print(`${who}${summary(r.result!)}`);
    // In the CLI's words, as one database's run prints them (render-run.ts).
    for (const f of (r.result?.failed ?? []).map(cliFailure))
      out.print(`${who}  ${f.schema} failed at ${f.version}: ${f.error}${f.advice ? `; fix: ${f.advice}` : ''}`);
  }
  out.print(
    `${capitalized(s.label)} ${s.ok ? 'ok' : 'FAILED'}: ${s.failed} schema${s.failed === 1 ? '' : 's'} failed (budget ${s.allowed})`,
  );
}

function summary(r: RunResult): string {
  if (!r.done.length && !r.failed.length) return 'no change';
  return `${r.done.length} migration${r.done.length === 1 ? '' : 's'} applied${r.failed.length ? `, ${new Set(r.failed.map((f) => f.schema)).size} schema(s) failed` : ''}`;
}

const errorOf = (u?: { error?: unknown }) => (u ? { error: (u.error as Error).message } : {});
/** The error's remedy in the CLI's words, for the target's connection (which variables name it). */
function adviceOf(e: unknown, target: Target | undefined): string {
  const advice = isMigrateToolError(e) ? describeError(e, { connection: target?.connection }) : undefined;
  return advice ? `; fix: ${advice}` : '';
}
const capitalized = (s: string) => s[0]!.toUpperCase() + s.slice(1);
const list = (items: string[]) =>
  items.length > 8 ? `${items.slice(0, 8).join(', ')} and ${items.length - 8} more` : items.join(', ');
