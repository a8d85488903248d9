// How a migration's failure is named: the file, the line and the statement, what PostgreSQL said
// beyond the message, whether the schema was left dirty, and whether the connection is gone.
// Also the lock_timeout retry that every way of running a migration shares.
import { sleep } from '../util/sleep';
import type { Remedy } from '../remedy';
import type { MigrationSql } from './files';
import type { Resolved } from './options';
import type { Statement } from './sql-split';

const LOCK_NOT_AVAILABLE = '55P03';

/**
 * Failures that a later run may not meet again, with nothing changed: connection errors (08), a
 * transaction rolled back by the server (40: serialization, deadlock), insufficient resources (53),
 * a lock not available (55P03), a server shutting down (57P01-3), system errors (58). Every other
 * class (a relation that exists, a syntax error, a violated constraint, and a statement_timeout,
 * 57014, which the same statement on the same data meets again) fails the same way on every run
 * until the file, the schema or a setting is changed.
 */
export function isTransient(sqlstate: string | undefined, connectionLost: boolean): boolean {
  return connectionLost || /^(08|40|53|55P03|57P0[1-3]|58)/.test(sqlstate ?? '');
}

/** What PostgreSQL said beyond the message, and whether the failure left the schema dirty. */
export interface FailureInfo {
  detail?: string;
  hint?: string;
  /** A no-transaction file failed after its dirty mark was written: the mark stays. */
  dirty?: true;
  /** What to do, where the failure knows more than a dirty schema's force (an invalid index left). */
  remedy?: Remedy;
}

export class MigrationFailure extends Error {
  readonly detail?: string;
  readonly hint?: string;
  /** Set by the code that wrote the dirty mark (execute.ts), which alone knows it is there. */
  dirty?: true;
  readonly remedy?: Remedy;
  /** Which migration of a chain (chain.ts) failed. */
  at = 0;
  /** How many migrations of the chain before `at` were committed (the others were rolled back with it). */
  kept = 0;
  /** The time that took, in ms. */
  keptMs = 0;
  constructor(
    message: string,
    readonly file: string,
    readonly line: number | undefined,
    readonly statement: string | undefined,
    /** The connection is gone: the worker needs a new one. */
    readonly connectionLost: boolean,
    options?: ErrorOptions & FailureInfo,
  ) {
    super(message, options);
    this.detail = options?.detail;
    this.hint = options?.hint;
    this.dirty = options?.dirty;
    this.remedy = options?.remedy;
  }
}

/**
 * Retries `fn` when it failed on lock_timeout, waiting 0.5 s, 1 s, 2 s, ... between tries.
 * `cleanUp` runs before each retry and says what it did, for the retry event.
 */
export async function withRetry<T>(
  opts: Resolved,
  schema: string,
  versionOf: (error: unknown) => string,
  fn: () => Promise<T>,
  cleanUp?: () => Promise<string | undefined>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      const cause = (error as Error).cause as { code?: string } | undefined;
      if (cause?.code !== LOCK_NOT_AVAILABLE || attempt > opts.lockRetries || opts.signal?.aborted) throw error;
      const cleaned = await cleanUp?.();
      const delayMs = Math.min(500 * 2 ** (attempt - 1), 8_000);
      opts.emit({
        type: 'retry',
        schema,
        version: versionOf(error),
        attempt,
        delayMs,
        reason: (error as Error).message,
        ...(cleaned ? { cleaned } : {}),
      });
      await sleep(delayMs, opts.signal);
    }
  }
}

/** Runs one query and turns its failure into a MigrationFailure naming file, line and statement. */
export async function guard<T>(sql: MigrationSql, st: Statement | undefined, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw describeFailure(error as PgError, sql, st);
  }
}

export type PgError = Error & { position?: string; code?: string; detail?: string; hint?: string };

/** `offset`: where the statement starts in the text sent, when it was sent with others (a position counts from there). */
export function describeFailure(
  error: PgError,
  sql: MigrationSql,
  st: Statement | undefined,
  offset = 0,
): MigrationFailure {
  // No SQLSTATE means the socket failed; 08xxx and 57P01-3 mean the server ended the session.
  const connectionLost = !error.code || /^(08|57P0[1-3])/.test(error.code);
  // DETAIL often holds what the message does not (the duplicate key, the failing row); HINT the fix.
  const info: ErrorOptions & FailureInfo = {
    cause: error,
    ...(error.detail ? { detail: error.detail } : {}),
    ...(error.hint ? { hint: error.hint } : {}),
  };
  if (!st)
    return new MigrationFailure(`${sql.file}: ${error.message}`, sql.file, undefined, undefined, connectionLost, info);
  let line = st.line;
  if (error.position) {
    const upTo = st.text.slice(0, Math.max(0, Number(error.position) - 1 - offset));
    line += upTo.split('\n').length - 1;
  }
  const statement = st.text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');
  const short = statement.length > 120 ? `${statement.slice(0, 117)}...` : statement;
  return new MigrationFailure(
    `${sql.file}:${line}: ${error.message} (in: ${short})`,
    sql.file,
    line,
    statement,
    connectionLost,
    info,
  );
}
