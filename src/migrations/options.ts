// What the engine needs to run, and what it reports while it runs. The CLI builds these from
// flags and environment; an application builds them itself (see src/index.ts).
import { connectionFromUrl, type Connection } from '../config/connection';
import type { Scope } from './files';

export interface EngineOptions {
  /** Connection settings, or a postgres:// URL. */
  connection: Connection | string;
  migrationsDir: string;
  /** SQL LIKE pattern that finds tenant schemas. Default `company_%`. */
  tenantPattern?: string;
  /** Tenant schemas migrated at once. Default 4: two per core on a 2-core runner, well under max_connections. */
  concurrency?: number;
  /** Stop starting new tenant schemas after the first failure. */
  failFast?: boolean;
  /** How long to wait for another run's lock. Default 60 s. */
  lockTimeoutMs?: number;
  /** lock_timeout for each migration statement, so DDL never queues traffic for long. Default 5 s. */
  ddlLockTimeoutMs?: number;
  /** How many times a statement that hit lock_timeout is retried, with backoff. Default 5. */
  lockRetries?: number;
  connectTimeoutMs?: number;
  /** Keep retrying the first connection this long while the server is not up yet. Default 0. */
  waitMs?: number;
  /** Aborting stops new work: what runs finishes (or rolls back), the lock is released. */
  signal?: AbortSignal;
  /** Aborting this one also cancels the statements that are running. */
  hardSignal?: AbortSignal;
  onEvent?: (event: EngineEvent) => void;
}

export const DEFAULTS = {
  tenantPattern: 'company_%',
  concurrency: 4,
  lockTimeoutMs: 60_000,
  ddlLockTimeoutMs: 5_000,
  lockRetries: 5,
} as const;

export type Direction = 'up' | 'down';

export type EngineEvent =
  | { type: 'connect:waiting'; message: string }
  | { type: 'lock:waiting'; holder: string }
  | { type: 'migration:start'; direction: Direction; version: string; name: string; scope: Scope; schemas: number }
  | { type: 'schema:done'; direction: Direction; schema: string; version: string; ms: number }
  | { type: 'schema:failed'; direction: Direction; schema: string; version: string; error: string }
  | { type: 'retry'; schema: string; version: string; attempt: number; delayMs: number; reason: string; /** What was undone before the retry. */ cleaned?: string }
  | { type: 'progress'; done: number; total: number }
  | { type: 'interrupted' };

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
}

export function resolved(o: EngineOptions) {
  return {
    ...o,
    connection: typeof o.connection === 'string' ? connectionFromUrl(o.connection) : o.connection,
    tenantPattern: o.tenantPattern ?? DEFAULTS.tenantPattern,
    concurrency: Math.max(1, o.concurrency ?? DEFAULTS.concurrency),
    lockTimeoutMs: o.lockTimeoutMs ?? DEFAULTS.lockTimeoutMs,
    ddlLockTimeoutMs: o.ddlLockTimeoutMs ?? DEFAULTS.ddlLockTimeoutMs,
    lockRetries: o.lockRetries ?? DEFAULTS.lockRetries,
    emit: o.onEvent ?? (() => {}),
  };
}
export type Resolved = ReturnType<typeof resolved>;
