// Runs one migration file in one schema. A normal file runs in one transaction with its state
// row, so it is all or nothing. A `-- migrate:no-transaction` file marks the schema dirty first
// and clears it only when every statement succeeded. Each statement runs under lock_timeout and
// is retried with backoff when it could not get its lock: DDL must not queue the app's traffic.
import pg from 'pg';
import { sleep } from '../util/sleep';
import type { Migration, MigrationSql } from './files';
import type { Direction, Resolved } from './options';
import type { Statement } from './sql-split';
import { deleteApplied, markDirty, recordApplied } from './state';

const LOCK_NOT_AVAILABLE = '55P03';

/** What PostgreSQL said beyond the message, and whether the failure left the schema dirty. */
export interface FailureInfo {
  detail?: string;
  hint?: string;
  /** A no-transaction file failed after its dirty mark was written: the mark stays. */
  dirty?: true;
}

export class MigrationFailure extends Error {
  readonly detail?: string;
  readonly hint?: string;
  readonly dirty?: true;
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
  }
}

export async function runMigration(client: pg.ClientBase, m: Migration, schema: string, direction: Direction, o: Resolved): Promise<number> {
  const sql = direction === 'up' ? m.up : m.down!;
  const started = performance.now();
  const settings = `search_path TO ${pg.escapeIdentifier(schema)}; SET${sql.noTransaction ? '' : ' LOCAL'} lock_timeout = ${Math.round(o.ddlLockTimeoutMs)}`;
  const record = async (dirty: boolean) => {
    const ms = Math.round(performance.now() - started);
    if (direction === 'down' && !dirty) return deleteApplied(client, schema, m.version);
    if (direction === 'down') return markDirty(client, schema, m.version);
    return recordApplied(client, { schema, version: m.version, name: m.name, scope: m.scope, checksum: m.up.checksum, durationMs: dirty ? null : ms, dirty });
  };

  if (sql.noTransaction) {
    await guard(sql, undefined, () => record(true));
    await guard(sql, undefined, () => client.query(`SET ${settings}`));
    try {
      for (const st of sql.statements) await withRetry(o, schema, m, () => guard(sql, st, () => client.query(st.text)));
    } finally {
      await client.query('RESET search_path; RESET lock_timeout').catch(() => {});
    }
    await guard(sql, undefined, () => record(false));
  } else {
    await withRetry(o, schema, m, async () => {
      // Asynchronous commit: the migration and its state row still commit together or not at all;
      // only the wait for the disk is deferred, to one flush at the end of the run (see flushCommits).
      await guard(sql, undefined, () => client.query(`BEGIN; SET LOCAL ${settings}; SET LOCAL synchronous_commit = off`));
      try {
        for (const st of sql.statements) await guard(sql, st, () => client.query(st.text));
        await guard(sql, undefined, () => record(false));
        await guard(sql, undefined, () => client.query('COMMIT'));
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      }
    });
  }
  return Math.round(performance.now() - started);
}

/** Retries `fn` when it failed on lock_timeout, waiting 0.5 s, 1 s, 2 s, ... between tries. */
async function withRetry<T>(o: Resolved, schema: string, m: Migration, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      const cause = (error as Error).cause as { code?: string } | undefined;
      if (cause?.code !== LOCK_NOT_AVAILABLE || attempt > o.lockRetries || o.signal?.aborted) throw error;
      const delayMs = Math.min(500 * 2 ** (attempt - 1), 8_000);
      o.emit({ type: 'retry', schema, version: m.version, attempt, delayMs, reason: (error as Error).message });
      await sleep(delayMs, o.signal);
    }
  }
}

/** Runs one query and turns its failure into a MigrationFailure naming file, line and statement. */
async function guard<T>(sql: MigrationSql, st: Statement | undefined, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw describeFailure(error as PgError, sql, st);
  }
}

type PgError = Error & { position?: string; code?: string; detail?: string; hint?: string };

function describeFailure(error: PgError, sql: MigrationSql, st: Statement | undefined): MigrationFailure {
  // No SQLSTATE means the socket failed; 08xxx and 57P01-3 mean the server ended the session.
  const connectionLost = !error.code || /^(08|57P0[1-3])/.test(error.code);
  // DETAIL often holds what the message does not (the duplicate key, the failing row); HINT the fix.
  // A statement of a no-transaction file runs after the schema was marked dirty, so a failure there leaves it dirty.
  const info: ErrorOptions & FailureInfo = {
    cause: error,
    ...(error.detail ? { detail: error.detail } : {}),
    ...(error.hint ? { hint: error.hint } : {}),
    ...(sql.noTransaction && st ? { dirty: true as const } : {}),
  };
  if (!st) return new MigrationFailure(`${sql.file}: ${error.message}`, sql.file, undefined, undefined, connectionLost, info);
  let line = st.line;
  if (error.position) {
    const upTo = st.text.slice(0, Number(error.position) - 1);
    line += upTo.split('\n').length - 1;
  }
  const statement = st.text.split('\n').map((l) => l.trim()).filter(Boolean).join(' ');
  const short = statement.length > 120 ? `${statement.slice(0, 117)}...` : statement;
  return new MigrationFailure(`${sql.file}:${line}: ${error.message} (in: ${short})`, sql.file, line, statement, connectionLost, info);
}
