// Text and JSON rendering of `up` and `down`: the engine's events as they happen, then a summary.
import {
  PartialRunError,
  type SparesReport,
  type Event,
  type RunResult,
  type Outcome,
  type RunOptions,
  type EngineOptions,
  type TargetOutcome,
} from '../index';
import { EXIT, type WaitingContract } from '../internal';
import { boolFlag, stringFlag } from './args';
import { engineOptions, type CommandContext, type Line, type Log, type Rendering } from './context';
import { unknownVersionLines } from './format';
import type { Output } from './output';
import { cliFailure } from './advice';
import { afterFailures } from './failure-advice';
import { printFailureGroups, sortFailures } from './render-failures';
import { ProgressBoard } from './progress';
import { Tally } from './summary';
import { dryRunLockLines } from './render-plan';
import { Lines } from './show';

/** The events every operation shares, and migrate's; commands with events of their own handle those first. */
export function eventPrinter(out: Log): (e: Event) => void {
  let waitingShown = false;
  const progress = new ProgressBoard(out);
  return (e) => {
    progress.onEvent(e);
    switch (e.type) {
      case 'migration:start': {
        const where = e.scope === 'global' ? 'public' : `${e.schemas} tenant schema${e.schemas === 1 ? '' : 's'}`;
        if (e.recordOnly)
          out.print(
            `${e.direction === 'up' ? 'Recording' : 'Removing the record of'} version ${e.version} (${e.name}) in ${where}, without running SQL: ${e.recordOnly}`,
          );
        else
          out.print(
            `${e.direction === 'up' ? 'Migrating to' : 'Rolling back'} version ${e.version} (${e.name}) in ${where}`,
          );
        break;
      }
      // schema:failed is not printed one by one: the summary at the end groups them (1,000 schemas
      // failing the same way are one entry there); the progress line counts them meanwhile.
      case 'retry':
        out.note(
          `  ${e.schema}: could not get a lock in time (${e.reason.replace(/^.*?: /, '')}); ${e.cleaned ? `${e.cleaned}; ` : ''}retry ${e.attempt} in ${e.delayMs / 1000} s`,
        );
        break;
      case 'blocker:waiting': {
        const b = e.blocker;
        const age = b.xactMs === null ? '' : ` ${Math.round(b.xactMs / 1000)} s`;
        out.note(
          `  ${e.schema}: waiting for pid ${b.pid} (${b.app || 'no application name'}, ${b.state}${age}) on ${e.table}`,
        );
        break;
      }
      case 'lock:waiting':
        out.note(`Waiting for another migrate-tool run to finish (lock held by ${e.holder})...`);
        break;
      case 'concurrency:capped':
        out.note(`Concurrency lowered from ${e.requested} to ${e.allowed}: ${e.reason}`);
        break;
      case 'connect:waiting':
        if (!waitingShown) out.note(`Waiting for the database: ${e.message}`);
        waitingShown = true;
        break;
      case 'interrupted':
        out.note('Interrupted: what was running finished or was rolled back; nothing new was started.');
        break;
      case 'note':
        out.note(e.message);
        break;
      case 'spares':
        // Said only when something changed or could not: spares ready as before are not news.
        if (e.built || e.dropped) out.print(`Tenant spares: ${e.ready} ready (${e.built} built, ${e.dropped} dropped)`);
        if (e.problem) out.note(`warning: tenant spares not built: ${e.problem}`);
        break;
    }
  };
}

/** What `up` or `down` did: the plan of a dry run, or a run's result (also of a run that lost its lock half-way). */
export type Ran =
  | { kind: 'dryRun'; outcome: Outcome; locks: string[][] }
  | {
      kind: 'run';
      result: RunResult;
      unknownVersions: string[];
      spares?: SparesReport;
      elapsedMs: number;
      waiting: WaitingContract[];
      /** The run failed as a whole after this result (its lock lost): reported after it, in the same document. */
      lost?: PartialRunError;
    };

/** `up` and `down`: run with the command's flags; the engine's events are logged as they happen. */
export async function executeRun(
  ctx: CommandContext,
  steps: number | undefined,
  operation: (options: EngineOptions, run: RunOptions) => Promise<Outcome>,
  extra: Pick<RunOptions, 'refuse' | 'contract'> = {},
): Promise<Ran> {
  const started = performance.now();
  let outcome: Outcome;
  try {
    outcome = await operation(engineOptions(ctx, eventPrinter(ctx.out)), {
      ...extra,
      steps,
      tenant: stringFlag(ctx.args, 'tenant'),
      dryRun: boolFlag(ctx.args, 'dry-run'),
    });
  } catch (error) {
    // A run that failed as a whole (its lock lost) still reports each schema's outcome before the error.
    if (!(error instanceof PartialRunError)) throw error;
    const elapsedMs = performance.now() - started;
    return { kind: 'run', result: error.result, unknownVersions: [], elapsedMs, waiting: [], lost: error };
  }
  // Said first, on stderr, whatever follows: `no change` from an older release is not "up to date".
  for (const line of unknownVersionLines(outcome.unknownVersions)) ctx.out.note(`warning: ${line}`);
  if (!outcome.result) return { kind: 'dryRun', outcome, locks: await lockLines(outcome, ctx.out.json) };
  const { unknownVersions, spares } = outcome;
  const waiting = outcome.plan.contractsWaiting ?? [];
  return {
    kind: 'run',
    result: outcome.result,
    unknownVersions,
    spares,
    elapsedMs: performance.now() - started,
    waiting,
  };
}

/** Each step's lock lines for the dry run's text (PostgreSQL's parser reads the statements); none with --json. */
async function lockLines({ plan }: Outcome, json: boolean): Promise<string[][]> {
  if (json) return [];
  const sql = (s: (typeof plan.steps)[number]) => (plan.direction === 'up' ? s.migration.up : s.migration.down!);
  return Promise.all(plan.steps.map((s) => (s.recordOnly ? [] : dryRunLockLines(sql(s).statements))));
}

/** The plan (dry run) or the result, and the exit code: 1 when a schema failed or the run was cut short. */
export function renderRun(ran: Ran): Rendering {
  if (ran.kind === 'dryRun') return dryRunShown(ran.outcome, ran.locks);
  const lines = new Lines();
  const doc = runLines(ran, lines);
  const { result } = ran;
  const code = result.failed.length > 0 || result.interrupted || ran.lost ? EXIT.failed : EXIT.ok;
  return { doc, lines: lines.lines, code, ...(ran.lost ? { error: ran.lost } : {}) };
}

/** Over a fleet, after every target's section: one summary of every target's schemas (`target:schema`). */
export function fleetRunSummary(outcomes: TargetOutcome<Ran>[], elapsedMs: number): Line[] {
  const lines = new Lines();
  const runs = outcomes.flatMap((o) =>
    o.value?.kind === 'run' ? [{ result: o.value.result, target: o.target.name }] : [],
  );
  printSummary(runs, lines, elapsedMs);
  return lines.lines;
}

function dryRunShown(out: Outcome, locks: string[][]): Rendering {
  const { plan } = out;
  const steps = plan.steps.map((s, i) => {
    const sql = plan.direction === 'up' ? s.migration.up : s.migration.down!;
    const recordOnly = s.recordOnly === undefined ? {} : { recordOnly: s.recordOnly };
    return {
      version: s.migration.version,
      name: s.migration.name,
      scope: s.migration.scope,
      schemas: s.schemas,
      file: sql.file,
      sql: s.recordOnly ? '' : sql.text,
      ...recordOnly,
      locks: locks[i] ?? [],
    };
  });
  const waiting = plan.contractsWaiting ?? [];
  const doc = {
    dryRun: true,
    direction: plan.direction,
    steps: steps.map(({ locks: _locks, ...step }) => step),
    refused: plan.refused,
    ...unknownField(out.unknownVersions),
    ...contractsField(waiting),
  };
  const lines: string[] = waiting.length ? [contractsWaitingLine(waiting)] : [];
  if (steps.length === 0) return { doc, lines: [...lines, 'no change'], code: EXIT.ok };
  lines.push(`Plan (dry run: nothing will be changed), ${plan.direction}:`);
  for (const s of steps)
    lines.push(
      `  ${s.version} ${s.name} (${s.scope}) in ${listSchemas(s.schemas)}${s.recordOnly ? `: recorded without running SQL (${s.recordOnly})` : ''}`,
    );
  for (const r of plan.refused) lines.push(`  refused: ${r.schema}: ${r.error}`);
  for (const s of steps.filter((step) => !step.recordOnly)) {
    const where = `${listSchemas(s.schemas)}${s.scope === 'tenant' ? ' (search_path set to each)' : ''}`;
    lines.push('', `-- ${s.file} in ${where}`, s.sql.trimEnd());
    if (s.locks.length)
      lines.push(`-- locks (\`migrate-tool plan\` adds each table's size and an estimate of the time):`);
    for (const line of s.locks) lines.push(`--   ${line}`);
  }
  return { doc, lines, code: EXIT.ok };
}

function listSchemas(schemas: string[]): string {
  const shown = schemas.slice(0, 5).join(', ');
  return schemas.length > 5 ? `${shown} and ${schemas.length - 5} more` : shown;
}

/** `up` stopped before contract files (migrations/contract.ts): how many wait, and what lets them run. */
export function contractsWaitingLine(waiting: WaitingContract[]): string {
  const files = listSchemas(waiting.map((w) => w.file));
  return `${waiting.length} contract file(s) wait: run \`migrate-tool up --contract\` once every instance runs the new application (${files})`;
}

const contractsField = (waiting: WaitingContract[]) => (waiting.length ? { contractsWaiting: waiting } : {});

const unknownField = (list: string[]) => (list.length ? { unknownVersions: list } : {});

/** The result's lines, with the run's summary (given its wall time) just before the closing line, which stays last; returns its document. */
function runLines(ran: Extract<Ran, { kind: 'run' }>, output: Lines): object {
  const { unknownVersions, spares, elapsedMs, waiting } = ran;
  const summary = () => {
    if (waiting.length) output.print(contractsWaitingLine(waiting));
    printSummary([{ result: ran.result }], output, elapsedMs);
  };
  const result = { ...ran.result, failed: ran.result.failed.map(cliFailure) };
  const doneKey = result.direction === 'up' ? 'applied' : 'rolledBack';
  const doc = {
    ...unknownField(unknownVersions),
    [doneKey]: result.done.map((d) => ({
      version: d.version,
      name: d.name,
      scope: d.scope,
      schema: d.schema,
      ms: d.ms,
    })),
    failed: sortFailures(result.failed),
    skipped: result.skipped,
    ...(result.interrupted ? { interrupted: true } : {}),
    ...(spares ? { spares } : {}),
    ...contractsField(waiting),
  };
  if (result.done.length === 0 && result.failed.length === 0 && !result.interrupted) {
    if (waiting.length) output.print(contractsWaitingLine(waiting));
    output.print('no change');
    return doc;
  }
  if (result.failed.length > 0) {
    // Failures first, grouped; the one-line summary last, where a long output ends.
    printFailureGroups(result.failed, output);
    if (result.skipped.length)
      output.print(`${result.skipped.length} migration(s) not run because of it; ${afterFailures(result.failed)}`);
    const schemas = new Set(result.failed.map((f) => f.schema)).size;
    const done = result.done.length
      ? ` (${result.done.length} ${result.direction === 'up' ? 'applied' : 'rolled back'} elsewhere)`
      : '';
    summary();
    output.print(
      `${result.direction === 'up' ? 'Migration' : 'Rollback'} failed in ${schemas.toLocaleString('en-US')} schema${schemas === 1 ? '' : 's'}${done}`,
    );
    return doc;
  }
  summary();
  if (result.interrupted) output.print(`Interrupted after ${result.done.length} migration(s); re-run to finish`);
  else output.print(result.direction === 'up' ? 'Migration complete!' : 'Rollback complete!');
  return doc;
}

/** The closing summary of one run or of many (a fleet's targets): nothing when nothing was to do, where `no change` said it. */
export function printSummary(
  runs: Array<{ result: RunResult; target?: string }>,
  out: Pick<Output, 'closing'>,
  ms: number,
): void {
  const tally = new Tally();
  for (const r of runs) tally.add(r.result, r.target);
  if (!tally.empty) for (const line of tally.lines(ms)) out.closing(line);
}
