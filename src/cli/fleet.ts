// A command over a fleet (--targets FILE or MIGRATE_TARGETS): the command's own `run` once per
// target, each with a context of its own (that target's connection, tenant pattern and backup
// folder) and a captured output, then one report and one exit code; a target's JSON documents are
// merged only when their keys do not collide (fleet-documents.ts). A command joins the fleet by
// being named in FLEET_COMMANDS; the fleet knows no command otherwise. A command may take the whole
// fleet at once in its `wholeFleet` (up's staged rollout, chosen only in up.ts, for a fleet or one
// database). In prod a command with a `preview` (down, force) is confirmed once for the whole
// fleet, naming the total of each target's preview: a count from the library's dry run, not read
// from printed output.
import { join } from 'node:path';
import { Writable } from 'node:stream';
import {
  isMigrateToolError,
  loadTargetsFile,
  overFleet,
  UsageError,
  type ExitCode,
  type FleetOptions,
  type RunResult,
  type Target,
} from '../index';
import { describeTarget, EXIT, loadConfig, selectTargets, type Config, type LoadOptions } from '../internal';
import { describeError } from './advice';
import { boolFlag, intArg, stringFlag, type ParsedArgs } from './args';
import { type Command, type CommandContext } from './context';
import { mergeDocuments } from './fleet-documents';
import { Output } from './output';
import { printSummary } from './render-run';
import type { Invocation } from './run';

/** The commands that run over a fleet. */
export const FLEET_COMMANDS = new Set([
  'up',
  'down',
  'version',
  'status',
  'tenants',
  'force',
  'seed',
  'backup',
  'drift',
  'report',
  'plan',
]);

/** The targets file named by --targets or MIGRATE_TARGETS, if any. */
export function targetsFileOf(args: ParsedArgs, env: Record<string, string | undefined>): string | undefined {
  return stringFlag(args, 'targets') ?? (env.MIGRATE_TARGETS || undefined);
}

export interface TargetReport {
  code: ExitCode;
  text: string[];
  /** Every JSON document its run wrote, in order. */
  docs: unknown[];
  /** The documents merged: their keys never collide (mergeDocuments). */
  data: Record<string, unknown>;
  error?: { code: string; message: string; advice: string };
}

export async function runOverFleet(
  command: Command,
  args: ParsedArgs,
  inv: Invocation,
  out: Output,
  file: string,
  load: LoadOptions,
): Promise<ExitCode> {
  if (!FLEET_COMMANDS.has(command.name)) {
    throw new UsageError(
      `${command.name} does not run over a targets file`,
      'run it against one database: unset MIGRATE_TARGETS and --targets',
      'NOT_FOR_FLEET',
    );
  }
  const { config, fleet, base } = await openFleet(args, inv, out, file, load);
  const { signal, hardSignal, interactive, ask, env, cwd } = inv;
  const whole = await command.wholeFleet?.({
    args,
    config,
    out,
    signal,
    hardSignal,
    interactive,
    ask,
    env,
    cwd,
    fleet,
  });
  if (whole !== undefined) return whole;

  const perTarget = await confirmFleet(command, args, config, fleet.targets, inv, fleet.options, base);
  const started = performance.now();
  const results: Array<{ result: RunResult; target: string }> = [];
  const outcomes = await overFleet(
    fleet.targets,
    fleet.options,
    (t) =>
      runOnTarget(command, t, out, (output) => ({
        ...base(t, output, perTarget),
        onResult: (result) => results.push({ result, target: t.name }),
      })),
    (r) => r.code === EXIT.failed,
  );
  const reports = outcomes.map((o) => ({ target: o.target, ...(o.value ?? notRun(o.error)) }));
  await printReports(command, args, out, reports);
  // up and down over the fleet: one summary of every target's schemas (`target:schema`).
  printSummary(results, out, performance.now() - started);
  out.print(closingLine(command.name, reports));
  return combine(reports.map((r) => r.code));
}

/** The configuration, the targets chosen, and each target's context; the target line is printed. */
async function openFleet(args: ParsedArgs, inv: Invocation, out: Output, file: string, load: LoadOptions) {
  const config = loadConfig(inv.env, { ...load, needsDatabase: false });
  const fleetFile = await loadTargetsFile(file, inv.env);
  for (const secret of fleetFile.secrets) out.addSecret(secret);
  const targets = selectTargets(fleetFile.targets, args.lists.target ?? []);
  const count = `${targets.length} target${targets.length === 1 ? '' : 's'}`;
  out.note(`Target database: ${count} (env: ${config.appEnv}): ${targets.map(describe).join('; ')}`);
  const base = (t: Target, output: Output, a = args): CommandContext => ({
    args: a,
    config: targetConfig(config, t),
    out: output,
    signal: inv.signal,
    hardSignal: inv.hardSignal,
    interactive: false,
    ask: inv.ask,
    env: inv.env,
    cwd: inv.cwd,
    inFleet: true,
  });
  const options = {
    concurrency: intArg(stringFlag(args, 'targets-concurrency'), '--targets-concurrency', { min: 1 }),
    failFast: boolFlag(args, 'fail-fast'),
    signal: inv.signal,
  };
  const fleet = { targets, rollout: fleetFile.rollout, options, contextFor: (t: Target) => base(t, out) };
  return { config, fleet, base };
}

type Reported = TargetReport & { target: Target };

/** A target that did not run (an error around it, or --fail-fast after another one failed). */
function notRun(error: unknown): TargetReport {
  const why = error ?? new Error('not started: --fail-fast after another target failed');
  return { code: EXIT.failed, text: [], docs: [], data: {}, error: errorDoc(why) };
}

/** The fleet's JSON document, each target's section of text, and what the command makes of them all. */
async function printReports(command: Command, args: ParsedArgs, out: Output, reports: Reported[]): Promise<void> {
  const errorOf = (r: Reported) => (r.error ? { error: r.error } : {});
  out.data({ targets: reports.map((r) => ({ name: r.target.name, ...r.data, ...errorOf(r) })) });
  for (const r of reports) {
    out.print(`== ${r.target.name}: ${describeTarget(r.target.connection)} ==`);
    for (const line of r.text) out.print(line);
    if (r.error) out.print(`error: ${r.error.message}; fix: ${r.error.advice}`);
    out.print();
  }
  const sections = reports.map((r) => ({
    name: r.target.name,
    where: describeTarget(r.target.connection),
    data: r.data,
    ...(r.error ? { error: r.error.message } : {}),
  }));
  const extra = (await command.afterFleet?.(sections, args, out)) ?? [];
  if (extra.length) out.print([...extra, ''].join('\n'));
}

/** `up over 3 targets: 1 ok, 1 with findings (b), 1 failed (c); re-run to finish what is missing` */
function closingLine(name: string, reports: Reported[]): string {
  // A target refused (exit 2) did not run either: it is not "ok" in the summary.
  const failed = reports.filter((r) => r.code === EXIT.failed || r.error).map((r) => r.target.name);
  // Exit 3 or 4 (drift, pending, versions the folder lacks) is a finding, not "ok" either.
  const found = reports.filter((r) => !failed.includes(r.target.name) && r.code !== EXIT.ok).map((r) => r.target.name);
  const ok = reports.length - failed.length - found.length;
  return (
    `${name} over ${reports.length} target${reports.length === 1 ? '' : 's'}: ${ok} ok` +
    (found.length ? `, ${found.length} with findings (${found.join(', ')})` : '') +
    (failed.length ? `, ${failed.length} failed (${failed.join(', ')}); re-run to finish what is missing` : '')
  );
}

/** One target's run of the command, its output captured; its own errors become its report. */
async function runOnTarget(
  command: Command,
  t: Target,
  main: Output,
  ctxFor: (output: Output) => CommandContext,
): Promise<TargetReport> {
  const captured = new CapturedOutput(main.json, t.name, main);
  let code: ExitCode;
  let error: TargetReport['error'];
  try {
    code = await command.run(ctxFor(captured));
  } catch (e) {
    const doc = errorDoc(e, t);
    // The connection came from the targets file, not from DATABASE_URL: advice names what to fix.
    error = { ...doc, advice: doc.advice.replace(/DATABASE_URL('s)?/g, `target ${t.name}'s url`) };
    code = isMigrateToolError(e) ? e.exitCode : EXIT.failed;
  } finally {
    captured.clearProgress();
  }
  // A collision throws: the target fails with an internal error rather than lose a document's key.
  return {
    code,
    text: captured.lines,
    docs: captured.docs,
    data: mergeDocuments(captured.docs),
    ...(error ? { error } : {}),
  };
}

/** Per target: its stdout kept for its section of the report, its notes on stderr at once, named. */
class CapturedOutput extends Output {
  readonly docs: unknown[] = [];
  constructor(
    json: boolean,
    name: string,
    private readonly main: Output,
    readonly lines: string[] = [],
  ) {
    const split = (chunk: unknown) => String(chunk).replace(/\n$/, '').split('\n');
    const stdout = new Writable({ write: (chunk, _enc, done) => (lines.push(...split(chunk)), done()) });
    const stderr = new Writable({
      write: (chunk, _enc, done) => (split(chunk).forEach((l) => l && main.note(`[${name}] ${l}`)), done()),
    });
    super(json, { stdout, stderr });
    // A target's progress reaches the job's log as the target's own lines, at the job's interval.
    this.progressIntervalMs = main.progressIntervalMs;
  }
  /** Kept in both modes: a command's afterFleet reads it once every target has run. */
  override data(doc: unknown): void {
    this.docs.push(doc);
  }
  override scrub(text: string): string {
    return this.main.scrub(text);
  }
}

const discard = () => new Writable({ write: (_c, _e, done) => done() });

/**
 * A command with a preview (down, force) asks once for the whole fleet in prod, naming how many
 * targets and schemas change (each target's preview counts them from the library's dry run); the
 * targets then run as confirmed.
 */
async function confirmFleet(
  command: Command,
  args: ParsedArgs,
  config: Config,
  targets: Target[],
  inv: Invocation,
  fleetOpts: FleetOptions,
  ctxFor: (t: Target, output: Output, a: ParsedArgs) => CommandContext,
): Promise<ParsedArgs> {
  const confirmed = { ...args, flags: { ...args.flags, yes: true } };
  const { preview } = command;
  if (!preview || config.appEnv !== 'prod' || boolFlag(args, 'yes') || boolFlag(args, 'dry-run')) return confirmed;
  const quiet = new Output(false, { stdout: discard(), stderr: discard() });
  // The previews go through the same scheduler as the run: one target per server at a time.
  const counted = await overFleet(targets, { ...fleetOpts, failFast: true }, (t) =>
    preview.call(command, ctxFor(t, quiet, args)),
  );
  const unknown = counted.find((o) => o.value === undefined);
  if (unknown)
    throw (
      unknown.error ??
      new UsageError('Interrupted while counting what would change; nothing was changed', undefined, 'NOT_CONFIRMED')
    );
  const schemas = counted.reduce((sum, o) => sum + o.value!, 0);
  const action = `run ${command.name} on ${targets.length} target${targets.length === 1 ? '' : 's'}, changing ${schemas} schema${schemas === 1 ? '' : 's'},`;
  if (!inv.interactive)
    throw new UsageError(
      `Refusing to ${action} in prod without confirmation; nothing was changed`,
      'pass --yes, or run it on a terminal to be asked',
      'NOT_CONFIRMED',
    );
  const answer = await inv.ask(
    `About to ${action} (env: prod). Type the number of targets (${targets.length}) to go on: `,
  );
  if (answer.trim() !== String(targets.length))
    throw new UsageError('Not confirmed; nothing was changed', undefined, 'NOT_CONFIRMED');
  return confirmed;
}

/** A failed target (1) wins; otherwise the highest of the contract's codes (2 usage, 3 pending, 4 unknown versions). */
function combine(codes: ExitCode[]): ExitCode {
  if (codes.includes(EXIT.failed)) return EXIT.failed;
  return codes.reduce((a, b) => (b > a ? b : a), EXIT.ok as ExitCode);
}

function targetConfig(config: Config, t: Target): Config {
  // Backups land one folder per target, so that each target's retention sees only its own files.
  return {
    ...config,
    connection: t.connection,
    tenantPattern: t.tenantPattern ?? config.tenantPattern,
    backupDir: join(config.backupDir, t.name),
  };
}

const describe = (t: Target) => `${t.name} = ${describeTarget(t.connection)}`;

/** An error as a target's report holds it, its remedy in the CLI's words for that target's connection. */
export function errorDoc(e: unknown, t?: Target): { code: string; message: string; advice: string } {
  if (isMigrateToolError(e)) {
    return {
      code: e.code,
      message: e.message,
      advice: describeError(e, { connection: t?.connection }) ?? 'see the message; re-run once it is fixed',
    };
  }
  return {
    code: 'INTERNAL',
    message: e instanceof Error ? e.message : String(e),
    advice: 'this is a bug in migrate-tool: report it with the command that was run',
  };
}
