// What a command gets to work with, and the one place where flags and configuration become
// engine options.
import {
  type Connection,
  type ExitCode,
  type Event,
  type EngineOptions,
  type FleetOptions,
  type RolloutSpec,
  type RunResult,
  type Target,
} from '../index';
import { MAX_SPARES, type Config } from '../internal';
import { DEFAULT_WAIT_S, durationArg, intArg, stringFlag, boolFlag, type FlagSpecs, type ParsedArgs } from './args';
import type { Output } from './output';

export interface CommandContext {
  args: ParsedArgs;
  config: Config;
  out: Output;
  /** Over a fleet: each target's `up`/`down` result, for the summary of the whole fleet. */
  onResult?: (result: RunResult) => void;
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
  /** The whole fleet, given to a command's `wholeFleet` only. */
  fleet?: FleetContext;
}

/** Every target of a fleet, and how one of them runs. */
export interface FleetContext {
  targets: Target[];
  /** The targets file's `rollout`, if it has one. */
  rollout?: RolloutSpec;
  options: FleetOptions;
  /** A target's own context (its connection, tenant pattern, backup folder), writing to the job's output. */
  contextFor(t: Target): CommandContext;
}

export interface Command {
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
  run(ctx: CommandContext): Promise<ExitCode>;
  /**
   * How many schemas a run with these arguments would change, read from the library's dry run:
   * a fleet in prod asks once for all targets and names this total (down, force).
   */
  preview?(ctx: CommandContext): Promise<number>;
  /**
   * Over a fleet, before any target runs: a command that may take the whole fleet at once (up's
   * staged rollout) does so here and returns its exit code; undefined lets each target run.
   */
  wholeFleet?(ctx: CommandContext & { fleet: FleetContext }): Promise<ExitCode | undefined>;
  /**
   * Over a fleet, after every target's section: lines to print, made from each target's data (what
   * its run gave `out.data`, kept with or without --json): `tenants --summary`'s target × version
   * table, `report`'s one page for all targets.
   */
  afterFleet?(targets: FleetTargetData[], args: ParsedArgs, out: Output): string[] | Promise<string[]>;
}

export interface FleetTargetData {
  name: string;
  /** Where it is, as the target line names it (no password). */
  where: string;
  data: Record<string, unknown>;
  /** Why its run failed, when it did. */
  error?: string;
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
