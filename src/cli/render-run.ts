// Text and JSON rendering of `up` and `down`: the engine's events as they happen, then a summary.
import {
  PartialRunError,
  type SparesReport,
  type Event,
  type RunResult,
  type Outcome,
  type RunOptions,
  type EngineOptions,
  type ExitCode,
} from '../index';
import { EXIT, type WaitingContract } from '../internal';
import { boolFlag, stringFlag } from './args';
import { engineOptions, type CommandContext } from './context';
import { unknownVersionLines } from './format';
import type { Output } from './output';
import { cliFailure } from './advice';
import { afterFailures } from './failure-advice';
import { printFailureGroups, sortFailures } from './render-failures';
import { ProgressBoard } from './progress';
import { Tally } from './summary';
import { dryRunLockLines } from './render-plan';

/** The events every operation shares, and migrate's; commands with events of their own handle those first. */
export function eventPrinter(out: Output): (e: Event) => void {
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

export async function printDryRun(out: Outcome, output: Output): Promise<void> {
  const { plan } = out;
  const steps = plan.steps.map((s) => {
    const sql = plan.direction === 'up' ? s.migration.up : s.migration.down!;
    const statements = sql.statements;
    const recordOnly = s.recordOnly === undefined ? {} : { recordOnly: s.recordOnly };
    return {
      version: s.migration.version,
      name: s.migration.name,
      scope: s.migration.scope,
      schemas: s.schemas,
      file: sql.file,
      sql: s.recordOnly ? '' : sql.text,
      ...recordOnly,
      statements,
    };
  });
  const waiting = plan.contractsWaiting ?? [];
  output.data({
    dryRun: true,
    direction: plan.direction,
    steps: steps.map(({ statements: _statements, ...step }) => step),
    refused: plan.refused,
    ...unknownField(out.unknownVersions),
    ...contractsField(waiting),
  });
  if (waiting.length) output.print(contractsWaitingLine(waiting));
  if (steps.length === 0) return output.print('no change');
  output.print(`Plan (dry run: nothing will be changed), ${plan.direction}:`);
  for (const s of steps)
    output.print(
      `  ${s.version} ${s.name} (${s.scope}) in ${listSchemas(s.schemas)}${s.recordOnly ? `: recorded without running SQL (${s.recordOnly})` : ''}`,
    );
  for (const r of plan.refused) output.print(`  refused: ${r.schema}: ${r.error}`);
  for (const s of steps.filter((step) => !step.recordOnly)) {
    output.print();
    output.print(
      `-- ${s.file} in ${listSchemas(s.schemas)}${s.scope === 'tenant' ? ' (search_path set to each)' : ''}`,
    );
    output.print(s.sql.trimEnd());
    const locks = output.json ? [] : await dryRunLockLines(s.statements);
    if (locks.length)
      output.print(`-- locks (\`migrate-tool plan\` adds each table's size and an estimate of the time):`);
    for (const line of locks) output.print(`--   ${line}`);
  }
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

/** The result, with the run's summary (given its wall time) just before the closing line, which stays last. */
export function printRunResult(
  run: RunResult,
  output: Output,
  unknownVersions: string[] = [],
  spares?: SparesReport,
  elapsedMs?: number,
  waiting: WaitingContract[] = [],
): void {
  const summary = () => {
    if (waiting.length) output.print(contractsWaitingLine(waiting));
    if (elapsedMs !== undefined) printSummary([{ result: run }], output, elapsedMs);
  };
  const result = { ...run, failed: run.failed.map(cliFailure) };
  const doneKey = result.direction === 'up' ? 'applied' : 'rolledBack';
  output.data({
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
  });
  if (result.done.length === 0 && result.failed.length === 0 && !result.interrupted) {
    if (waiting.length) output.print(contractsWaitingLine(waiting));
    return output.print('no change');
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
    return;
  }
  summary();
  if (result.interrupted) return output.print(`Interrupted after ${result.done.length} migration(s); re-run to finish`);
  output.print(result.direction === 'up' ? 'Migration complete!' : 'Rollback complete!');
}

/** `up` and `down`: run with the command's flags, print the plan (dry run) or the result, pick the exit code. */
export async function runAndReport(
  ctx: CommandContext,
  steps: number | undefined,
  operation: (options: EngineOptions, run: RunOptions) => Promise<Outcome>,
  extra: Pick<RunOptions, 'refuse' | 'contract'> = {},
): Promise<ExitCode> {
  const started = performance.now();
  const outcome = await operation(engineOptions(ctx, eventPrinter(ctx.out)), {
    ...extra,
    steps,
    tenant: stringFlag(ctx.args, 'tenant'),
    dryRun: boolFlag(ctx.args, 'dry-run'),
  }).catch((error: unknown) => {
    // A run that failed as a whole (its lock lost) still reports each schema's outcome before the
    // error; with --json, in the error's document.
    if (error instanceof PartialRunError) {
      ctx.out.keepForNextDocument();
      printRunResult(error.result, ctx.out, [], undefined, performance.now() - started);
      ctx.onResult?.(error.result);
    }
    throw error;
  });
  // Said first, on stderr, whatever follows: `no change` from an older release is not "up to date".
  for (const line of unknownVersionLines(outcome.unknownVersions)) ctx.out.note(`warning: ${line}`);
  if (!outcome.result) {
    await printDryRun(outcome, ctx.out);
    return EXIT.ok;
  }
  printRunResult(
    outcome.result,
    ctx.out,
    outcome.unknownVersions,
    outcome.spares,
    performance.now() - started,
    outcome.plan.contractsWaiting,
  );
  ctx.onResult?.(outcome.result);
  return outcome.result.failed.length > 0 || outcome.result.interrupted ? EXIT.failed : EXIT.ok;
}

/** The closing summary of one run or of many (a fleet's targets): nothing when nothing was to do, where `no change` said it. */
export function printSummary(runs: Array<{ result: RunResult; target?: string }>, out: Output, ms: number): void {
  const tally = new Tally();
  for (const r of runs) tally.add(r.result, r.target);
  if (!tally.empty) for (const line of tally.lines(ms)) out.closing(line);
}
