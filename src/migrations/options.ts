// What the engine needs to run, and what it reports while it runs. The CLI builds these from
// flags and environment; an application builds them itself (see src/index.ts).
import { tenantPatternProblem } from '../config/tenant-pattern';
import { resolveConnection, type ConnectionInput } from '../db/borrowed';
import { UsageError } from '../errors';
import type { Blocker } from '../db/blockers';
import { Semaphore } from '../util/semaphore';
import type { Remedy } from '../remedy';
import type { Scope } from './files';
import type { LockMode } from './lock-modes';

export interface EngineOptions {
  /**
   * Connection settings, a postgres:// URL, or a connected pg.Client the caller owns: the lock, the
   * state and read-only work run on it, it is never ended, and its session settings are restored.
   * Worker connections (tenant fan-out) are opened with its connectionParameters.
   */
  connection: ConnectionInput;
  migrationsDir: string;
  /** SQL LIKE pattern that finds tenant schemas. Default `company_%`. One that matches public, a pg_ schema,
   *  information_schema or migrate_tool is refused (UsageError) before connecting. */
  tenantPattern?: string;
  /** Tenant schemas migrated at once. Default 4: two per core on a 2-core runner, well under max_connections. */
  concurrency?: number;
  /** Stop starting new tenant schemas after the first failure. */
  failFast?: boolean;
  /** How long to wait for another run's lock. Default 60 s. */
  lockTimeoutMs?: number;
  /**
   * lock_timeout for each migration statement, so DDL never queues traffic for long. Default 2 s:
   * while a statement waits for its lock, every later query on that table waits behind it, so each
   * attempt can stall the application for the whole timeout. Short attempts with more retries and
   * backoff in between (the application runs freely then) hurt less than a few long ones. At least
   * 1 ms: 0 would mean "wait forever".
   */
  ddlLockTimeoutMs?: number;
  /**
   * Before a statement that needs a lock stronger than RowExclusiveLock on an existing table, wait
   * while another session holds or waits for a conflicting lock on it, without sending the statement
   * (so the application's queries do not queue behind it); after this long the schema fails, clean,
   * naming that session. Default 60 s; 0: no check (lock_timeout and its retries alone).
   */
  blockerTimeoutMs?: number;
  /** How many times a statement that hit lock_timeout is retried, with backoff (0.5 s, 1 s, 2 s, ... 8 s). Default 8. */
  lockRetries?: number;
  connectTimeoutMs?: number;
  /** Keep retrying the first connection this long while the server is not up yet. Default 0. */
  waitMs?: number;
  /** Aborting stops new work: what runs finishes (or rolls back), the lock is released. */
  signal?: AbortSignal;
  /** Aborting this one also cancels the statements that are running. */
  hardSignal?: AbortSignal;
  /** What happens while it runs; every operation takes the same kind of handler (Event in src/index.ts). */
  onEvent?: (event: MigrationEvent) => void;
  /**
   * Spare tenant schemas that `migrate` keeps built to the folder's last tenant version, for
   * migrateTenant to take (migrations/spares.ts). Default 0: any there are dropped.
   */
  tenantSpares?: number;
  /** `-- migrate:backfill` files (backfill.ts): rows per batch, each batch its own transaction. Default 1000. */
  backfillBatch?: number;
  /** Wait between a schema's batches, in ms. Default 0. */
  backfillPauseMs?: number;
  /** Before each batch, wait while any replica (pg_stat_replication) replays more than this many ms behind. Default: not checked. */
  maxReplicaLagMs?: number;
  /** Backfill batches running at once over all tenant schemas: many schemas backfilling are one load on the server. Default 1. */
  backfillConcurrency?: number;
}

/** How an operation connects: its timeouts, its abort signal, and the `connect:waiting` event while the server is not up. */
export function connectOptions(opts: Resolved) {
  return {
    connectTimeoutMs: opts.connectTimeoutMs,
    waitMs: opts.waitMs,
    signal: opts.signal,
    onWait: (message: string) => opts.emit({ type: 'connect:waiting', message }),
  };
}

export const DEFAULTS = {
  tenantPattern: 'company_%',
  concurrency: 4,
  lockTimeoutMs: 60_000,
  ddlLockTimeoutMs: 2_000,
  lockRetries: 8,
  blockerTimeoutMs: 60_000,
  backfillBatch: 1000,
  backfillConcurrency: 1,
} as const;

export type Direction = 'up' | 'down';

/** The events of migrate, rollback, migrateTenant, force and adopt; `connect:waiting` and `note` are shared by every operation. */
export type MigrationEvent =
  | { type: 'connect:waiting'; message: string }
  | { type: 'lock:waiting'; holder: string }
  | { type: 'concurrency:capped'; requested: number; allowed: number; reason: string }
  | {
      type: 'migration:start';
      direction: Direction;
      version: string;
      name: string;
      scope: Scope;
      schemas: number;
      /** Recorded without running SQL, and why (baselines). */ recordOnly?: string;
    }
  | { type: 'schema:done'; direction: Direction; schema: string; version: string; ms: number }
  | { type: 'schema:failed'; direction: Direction; schema: string; version: string; error: string }
  | {
      type: 'retry';
      schema: string;
      version: string;
      attempt: number;
      delayMs: number;
      reason: string;
      /** What was undone before the retry. */ cleaned?: string;
    }
  /** A statement is held back: `blocker` holds or waits for a lock on `table` that conflicts with `lock` (blockerTimeoutMs). */
  | {
      type: 'blocker:waiting';
      schema: string;
      version: string;
      table: string;
      lock: LockMode;
      blocker: Blocker;
      waitedMs: number;
    }
  | { type: 'progress'; done: number; total: number }
  /** A backfill's batch committed: rows updated so far in this schema, and the estimate of all it updates. */
  | { type: 'backfill'; schema: string; version: string; rowsDone: number; rowsEstimated: number }
  | { type: 'interrupted' }
  /** migrateTenant took a spare schema: `spare` is now `schema`. */
  | { type: 'tenant:spare'; schema: string; spare: string }
  /** `migrate` kept its spares (tenantSpares): how many are ready, and why none could be built. */
  | { type: 'spares'; ready: number; built: number; dropped: number; problem?: string }
  | NoteEvent;

/** A connection attempt failed and is retried (waitMs): why. */
export type WaitingEvent = Extract<MigrationEvent, { type: 'connect:waiting' }>;
/** Something the operator should know that is not a failure (a left-over scratch database, a schema chosen). */
export type NoteEvent = { type: 'note'; message: string };

export interface AppliedEntry {
  version: string;
  name: string;
  scope: Scope;
  schema: string;
  ms: number;
}

export interface FailedEntry {
  schema: string;
  version: string;
  error: string;
  file?: string;
  line?: number;
  statement?: string;
  /** PostgreSQL's DETAIL and HINT, when it gave them. */
  detail?: string;
  hint?: string;
  /** The failed migration ran outside a transaction and left the schema dirty: `up` refuses it until `force`. */
  dirty?: true;
  /** How to recover, where the engine knows more than the error says (a dirty schema), as data. */
  remedy?: Remedy;
  /** The remedy in the library's words (libraryWords). */
  advice?: string;
  /** PostgreSQL's SQLSTATE, when the server gave one (`42P07`: the relation exists already). */
  sqlstate?: string;
  /**
   * The same run can succeed later without any change: the connection was lost, a lock or a
   * resource was not available, a deadlock or a serialization failure (failure.ts isTransient).
   */
  transient?: true;
}

export interface SkippedEntry {
  schema: string;
  version: string;
  reason: string;
}

export interface RunResult {
  direction: Direction;
  /** Migrations applied (up) or rolled back (down), one entry per schema. */
  done: AppliedEntry[];
  failed: FailedEntry[];
  skipped: SkippedEntry[];
  interrupted: boolean;
  /** How long each stage and each schema took (runner.ts); absent where no fan-out ran (a sign-up's chain). */
  timing?: RunTiming;
}

/** A stage is a global migration, or consecutive tenant migrations fanned out over the schemas. */
export interface StageTiming {
  scope: Scope;
  versions: string[];
  /** Schemas whose chain ran in this stage (started, whatever its end). */
  schemas: number;
  /** Wall time of the stage. */
  ms: number;
}

export interface RunTiming {
  stages: StageTiming[];
  /** Per schema: the time its chains took in this run, all stages together (wall time, ms). */
  schemaMs: Map<string, number>;
}

export function resolved(options: EngineOptions) {
  const tenantPattern = options.tenantPattern ?? DEFAULTS.tenantPattern;
  const ddlLockTimeoutMs = Math.round(options.ddlLockTimeoutMs ?? DEFAULTS.ddlLockTimeoutMs);
  refuseUnsafe(tenantPattern, ddlLockTimeoutMs);
  return {
    ...options,
    ...resolveConnection(options.connection),
    tenantPattern,
    concurrency: Math.max(1, options.concurrency ?? DEFAULTS.concurrency),
    lockTimeoutMs: options.lockTimeoutMs ?? DEFAULTS.lockTimeoutMs,
    ddlLockTimeoutMs,
    lockRetries: options.lockRetries ?? DEFAULTS.lockRetries,
    blockerTimeoutMs: Math.max(0, options.blockerTimeoutMs ?? DEFAULTS.blockerTimeoutMs),
    /** The run's own sessions (its lock's, its workers'): never counted as blockers. Set by the run (change.ts). */
    ownPids: (): number[] => [],
    backfillBatch: Math.max(1, Math.floor(options.backfillBatch ?? DEFAULTS.backfillBatch)),
    backfillPauseMs: Math.max(0, options.backfillPauseMs ?? 0),
    // One per operation, so every tenant worker's batches share it.
    backfillSlots: new Semaphore(Math.max(1, options.backfillConcurrency ?? DEFAULTS.backfillConcurrency)),
    emit: options.onEvent ?? (() => {}),
  };
}
export type Resolved = ReturnType<typeof resolved>;

/** Library callers get the same refusals as the CLI's checks of flags and configuration, before any connection. */
function refuseUnsafe(tenantPattern: string, ddlLockTimeoutMs: number): void {
  const problem = tenantPatternProblem(tenantPattern);
  if (problem) throw new UsageError(problem, undefined, 'BAD_TENANT_PATTERN');
  // PostgreSQL reads a lock_timeout of 0 as "wait forever", with the application queued behind the DDL.
  if (!(ddlLockTimeoutMs >= 1))
    throw new UsageError(
      `ddlLockTimeoutMs must be at least 1 (got ${ddlLockTimeoutMs})`,
      'use e.g. 500 or 2000',
      'BAD_LOCK_TIMEOUT',
    );
}
