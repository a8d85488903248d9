// A command over a fleet (--targets FILE or MIGRATE_TARGETS): the command's `execute` once per
// target through the library's scheduler (overFleet: one target per server at a time), each with a
// context of its own (that target's connection, tenant pattern and backup folder); then every
// target's result is rendered once by the command's `render`: one JSON document, a section of text
// per target, what the command makes of all of them (afterFleet), one exit code. While a target
// runs, its lines and notes reach the job's log on stderr, named. A command joins the fleet by its
// `fleet` mark; the fleet knows no command by name. A command may take the whole fleet at once in
// its `wholeFleet` (up's staged rollout). In prod a command with a `preview` (down, force) is
// confirmed once for the whole fleet, naming the total of each target's preview: a count from the
// library's dry run, not read from printed output.
import { join } from 'node:path';
import { Writable } from 'node:stream';
import {
  loadTargetsFile,
  overFleet,
  UsageError,
  type ExitCode,
  type FleetOptions,
  type Target,
  type TargetOutcome,
} from '../index';
import { describeTarget, EXIT, loadConfig, selectTargets, type Config, type LoadOptions } from '../internal';
import { boolFlag, intArg, stringFlag, type ParsedArgs } from './args';
import {
  invocationContext,
  type Command,
  type CommandContext,
  type Invocation,
  type Line,
  type Log,
  type Rendering,
} from './context';
import { Output } from './output';
import { errorLine, errorReport, writeLines, type ErrorDoc } from './show';

/** The targets file named by --targets or MIGRATE_TARGETS, if any. */
export function targetsFileOf(args: ParsedArgs, env: Record<string, string | undefined>): string | undefined {
  return stringFlag(args, 'targets') ?? (env.MIGRATE_TARGETS || undefined);
}

export async function runOverFleet(
  command: Command,
  args: ParsedArgs,
  inv: Invocation,
  out: Output,
  file: string,
  load: LoadOptions,
): Promise<ExitCode> {
  if (!command.fleet) {
    throw new UsageError(
      `${command.name} does not run over a targets file`,
      'run it against one database: unset MIGRATE_TARGETS and --targets',
      'NOT_FOR_FLEET',
    );
  }
  const { config, fleet, base } = await openFleet(args, inv, out, file, load);
  const whole = await command.wholeFleet?.({ ...invocationContext(inv), args, config, out, fleet });
  if (whole !== undefined) return whole;

  const confirmed = await confirmFleet(command, args, config, fleet.targets, inv, fleet.options, base);
  const started = performance.now();
  const outcomes = await overFleet(
    fleet.targets,
    fleet.options,
    async (t) => {
      const ctx = base(t, new TargetOutput(out, t.name), confirmed);
      const result = await command.execute(ctx);
      return { result, shown: command.render(result, ctx) };
    },
    (r) => r.shown.code === EXIT.failed || r.shown.error !== undefined,
  );
  const sections = outcomes.map(sectionOf);
  printSections(sections, out);
  const results = outcomes.map(({ value, ...o }) => (value ? { ...o, value: value.result } : o));
  const end = { args, out, elapsedMs: performance.now() - started };
  writeLines((await command.afterFleet?.(results, end)) ?? [], out);
  out.print(closingLine(command.name, sections));
  return combine(sections.map((r) => r.code));
}

/** One target's part of the fleet's output: what its result shows, or why it has none. */
interface Section {
  target: Target;
  code: ExitCode;
  doc: object;
  lines: Line[];
  error?: ErrorDoc;
}

function sectionOf(o: TargetOutcome<{ shown: Rendering }>): Section {
  const { target } = o;
  if (!o.value) {
    const { doc, exitCode } = targetError(o.error ?? notStarted(), target);
    return { target, code: o.error ? exitCode : EXIT.failed, doc: {}, lines: [], error: doc };
  }
  const { shown } = o.value;
  const error = shown.error === undefined ? undefined : targetError(shown.error, target);
  return {
    target,
    code: error?.exitCode ?? shown.code,
    doc: shown.doc ?? {},
    lines: shown.lines ?? [],
    ...(error ? { error: error.doc } : {}),
  };
}

const notStarted = () => new Error('not started: --fail-fast after another target failed');

/** An error as a target's report holds it: the connection came from the targets file, not from DATABASE_URL. */
function targetError(e: unknown, t: Target): { doc: ErrorDoc; exitCode: ExitCode } {
  const { doc, exitCode } = errorReport(e, { connection: t.connection });
  return { doc: { ...doc, advice: doc.advice.replace(/DATABASE_URL('s)?/g, `target ${t.name}'s url`) }, exitCode };
}

/** The fleet's JSON document, then each target's section of text. */
function printSections(sections: Section[], out: Output): void {
  const errorOf = (s: Section) => (s.error ? { error: s.error } : {});
  out.data({ targets: sections.map((s) => ({ name: s.target.name, ...s.doc, ...errorOf(s) })) });
  for (const s of sections) {
    out.print(`== ${s.target.name}: ${describeTarget(s.target.connection)} ==`);
    // A target's closing lines stay in its section; beside --json's document they reach the log, named.
    const closing = (line: string) => (out.json ? out.note(`[${s.target.name}] ${line}`) : out.print(line));
    writeLines(s.lines, { print: (line) => out.print(line), closing });
    if (s.error) out.print(errorLine(s.error));
    out.print();
  }
}

/** The configuration, the targets chosen, and each target's context; the target line is printed. */
async function openFleet(args: ParsedArgs, inv: Invocation, out: Output, file: string, load: LoadOptions) {
  const config = loadConfig(inv.env, { ...load, needsDatabase: false });
  const fleetFile = await loadTargetsFile(file, inv.env);
  for (const secret of fleetFile.secrets) out.addSecret(secret);
  const targets = selectTargets(fleetFile.targets, args.lists.target ?? []);
  const count = `${targets.length} target${targets.length === 1 ? '' : 's'}`;
  out.note(`Target database: ${count} (env: ${config.appEnv}): ${targets.map(describe).join('; ')}`);
  // No target asks a question of its own: a fleet in prod is confirmed once, for all of them.
  const base = (t: Target, output: Log, a = args): CommandContext => ({
    ...invocationContext(inv),
    args: a,
    config: targetConfig(config, t),
    out: output,
    interactive: false,
    inFleet: true,
  });
  const options = {
    concurrency: intArg(stringFlag(args, 'targets-concurrency'), '--targets-concurrency', { min: 1 }),
    failFast: boolFlag(args, 'fail-fast'),
    signal: inv.signal,
  };
  const fleet = {
    targets,
    rollout: fleetFile.rollout,
    options,
    contextFor: (t: Target) => base(t, out),
    fromFile: true,
  };
  return { config, fleet, base };
}

/** `up over 3 targets: 1 ok, 1 with findings (b), 1 failed (c); re-run to finish what is missing` */
function closingLine(name: string, reports: Section[]): string {
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
  ctxFor: (t: Target, output: Log, a: ParsedArgs) => CommandContext,
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

/** A target's lines and notes while it runs: on the job's log (stderr), named, at the job's progress interval. */
class TargetOutput extends Output {
  constructor(
    private readonly main: Output,
    name: string,
  ) {
    const split = (chunk: unknown) => String(chunk).replace(/\n$/, '').split('\n');
    const named = new Writable({
      write: (chunk, _enc, done) => (split(chunk).forEach((l) => l && main.note(`[${name}] ${l}`)), done()),
    });
    super(main.json, { stdout: named, stderr: named });
    this.progressIntervalMs = main.progressIntervalMs;
  }
  override scrub(text: string): string {
    return this.main.scrub(text);
  }
}
