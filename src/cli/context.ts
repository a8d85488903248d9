// What a command gets to work with, and the one place where flags and configuration become
// engine options.
import {
  type Connection,
  type ExitCode,
  type Event,
  type EngineOptions,
  type FleetOptions,
  type RolloutSpec,
  type Target,
  type TargetOutcome,
} from '../index';
import { MAX_SPARES, type Config } from '../internal';
import { DEFAULT_WAIT_S, durationArg, intArg, stringFlag, boolFlag, type FlagSpecs, type ParsedArgs } from './args';
import type { Output, Streams } from './output';

/** One CLI invocation: what main.ts takes from the process. */
export interface Invocation {
  argv: string[];
  /** The real environment. */
  env: Record<string, string | undefined>;
  /** The working directory: paths in the output are written relative to it. */
  cwd: string;
  /** The bytes of the .env file in the working directory, when there is one: its settings fill in what `env` does not set. */
  dotenvFile?: Uint8Array;
  streams: Streams;
  signal: AbortSignal;
  hardSignal: AbortSignal;
  interactive: boolean;
  /** Runs in a container (main.ts looks for /.dockerenv, /run/.containerenv): connection advice depends on it. */
  inContainer?: boolean;
  ask(question: string): Promise<string>;
}

/**
 * What a command's `execute` may do with the output while it works: lines and notes as they happen
 * (a job's log shows the run's progress), and the progress line. Its result is written only by
 * `render`, so `data` (the JSON document) is not here: over a fleet, each target's lines go to the
 * job's log named, and the fleet writes every target's result once.
 */
export type Log = Pick<
  Output,
  'json' | 'print' | 'note' | 'progress' | 'clearProgress' | 'scrub' | 'progressIntervalMs'
>;

export interface CommandContext {
  args: ParsedArgs;
  config: Config;
  out: Log;
  /** Aborted by the first Ctrl-C/SIGTERM: start nothing new. */
  signal: AbortSignal;
  /** Aborted by the second: cancel what runs. */
  hardSignal: AbortSignal;
  /** Is a person at the terminal to answer a question? */
  interactive: boolean;
  /** The process's environment (with .env): what the PostgreSQL client tools start from (PATH, locale, TLS files). */
  env: Record<string, string | undefined>;
  /** The working directory: paths in the output are written relative to it. */
  cwd: string;
  ask(question: string): Promise<string>;
  /** One target of a fleet: a command that makes one thing of all targets (report) makes it in afterFleet. */
  inFleet?: boolean;
}

/** Every target of a fleet (one database is a fleet of one), and how one of them runs. */
export interface FleetContext {
  targets: Target[];
  /** The targets file's `rollout`, if it has one. */
  rollout?: RolloutSpec;
  options: FleetOptions;
  /** A target's own context (its connection, tenant pattern, backup folder), writing to the job's output. */
  contextFor(t: Target): CommandContext;
  /** Given a targets file; false for one database taken as a fleet of one. */
  fromFile: boolean;
}

/** A line of a result: text on stdout, or a closing line a job's log carries in both modes (stderr beside --json). */
export type Line = string | { closing: string };

/** What a result shows, made by a command's `render` and written once by the CLI (one database, or each target of a fleet). */
export interface Rendering {
  code: ExitCode;
  /** The JSON document (--json); over a fleet, the target's entry in `targets`. */
  doc?: object;
  /** The result as text. */
  lines?: Line[];
  /** The command failed as a whole after this result (its lock lost): reported as its error, in the same document. */
  error?: unknown;
}

export interface Command<R = unknown> {
  name: string;
  summary: string;
  /** e.g. `up [N] [--tenant S]` */
  usage: string;
  /** Flags beyond the global ones. */
  flags?: FlagSpecs;
  /**
   * Connects to the database: the connection settings are validated and the target is announced.
   * A function decides from the arguments (`lint FILE` needs no database, `lint` alone does).
   */
  database: boolean | ((args: ParsedArgs) => boolean);
  /** Writes something and has no dry run: --dry-run is refused, not ignored, so it never does the real thing. */
  noDryRun?: true;
  /** The work: flags read, the library called, progress and notes logged as they happen; returns what it found. */
  execute(ctx: CommandContext): Promise<R>;
  /** What the result shows: no reading, no writing, so a fleet renders every target's result the same way. */
  render(result: R, ctx: CommandContext): Rendering;
  /** The command runs over a targets file (each target's `execute`, then every result rendered once). */
  fleet?: true;
  /**
   * How many schemas a run with these arguments would change, read from the library's dry run:
   * a fleet in prod asks once for all targets and names this total (down, force).
   */
  preview?(ctx: CommandContext): Promise<number>;
  /**
   * Before `execute`, over a fleet or one database (a fleet of one): a command that may take the
   * whole fleet at once (up's staged rollout) does so here, writing its own output, and returns its
   * exit code; undefined lets each target run.
   */
  wholeFleet?(ctx: CommandContext & { fleet: FleetContext; out: Output }): Promise<ExitCode | undefined>;
  /**
   * Over a fleet, after every target's section: what is made of all of their results (up's
   * summary of every target's schemas, `tenants --summary`'s target x version table, `report`'s
   * one page for all targets).
   */
  afterFleet?(outcomes: TargetOutcome<R>[], ctx: FleetEnd): Line[] | Promise<Line[]>;
}

/** What afterFleet is given beside the results. */
export interface FleetEnd {
  args: ParsedArgs;
  out: Log;
  /** The wall time of the whole fleet's run. */
  elapsedMs: number;
}

/** What every command's context takes from the invocation (its signals, terminal, working directory, environment). */
export function invocationContext(inv: Invocation): Omit<CommandContext, 'args' | 'config' | 'out'> {
  const { signal, hardSignal, interactive, cwd, ask, env } = inv;
  return { signal, hardSignal, interactive, cwd, ask, env };
}

export function connectionOf(ctx: CommandContext): Connection {
  if (!ctx.config.connection) throw new Error(`command needs a database but was declared without one`);
  return ctx.config.connection;
}

export function engineOptions(ctx: CommandContext, onEvent?: (e: Event) => void): EngineOptions {
  const { args, config } = ctx;
  const seconds = (name: string) => {
    const v = intArg(stringFlag(args, name), `--${name}`);
    return v === undefined ? undefined : v * 1000;
  };
  const wait = args.flags.wait;
  return {
    connection: connectionOf(ctx),
    migrationsDir: config.migrationsDir,
    tenantPattern: config.tenantPattern,
    concurrency: intArg(stringFlag(args, 'concurrency'), '--concurrency', { min: 1 }),
    failFast: boolFlag(args, 'fail-fast'),
    lockTimeoutMs: seconds('lock-timeout'),
    ddlLockTimeoutMs: durationArg(stringFlag(args, 'ddl-lock-timeout'), '--ddl-lock-timeout'),
    blockerTimeoutMs: seconds('blocker-timeout'),
    waitMs: wait === true ? DEFAULT_WAIT_S * 1000 : typeof wait === 'string' ? (intArg(wait, '--wait') ?? 0) * 1000 : 0,
    signal: ctx.signal,
    hardSignal: ctx.hardSignal,
    onEvent,
    tenantSpares:
      intArg(stringFlag(args, 'tenant-spares'), '--tenant-spares', { min: 0, max: MAX_SPARES }) ?? config.tenantSpares,
    backfillBatch: intArg(stringFlag(args, 'backfill-batch'), '--backfill-batch', { min: 1 }),
    backfillPauseMs: intArg(stringFlag(args, 'backfill-pause'), '--backfill-pause'),
    maxReplicaLagMs: replicaLagArg(stringFlag(args, 'max-replica-lag')),
  };
}

/** `--max-replica-lag T`: a duration, where 0 is allowed (pause whenever a replica is behind at all). */
function replicaLagArg(value: string | undefined): number | undefined {
  return value !== undefined && /^0*(\.0*)?(ms|s)?$/.test(value) && /0/.test(value)
    ? 0
    : durationArg(value, '--max-replica-lag');
}
