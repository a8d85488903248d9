// Runs one migration file in one schema. A normal file runs in one transaction with its state
// row, so it is all or nothing. A `-- migrate:no-transaction` file marks the schema dirty first
// and clears it only when every statement succeeded. Each statement runs under lock_timeout and
// is retried with backoff when it could not get its lock: DDL must not queue the app's traffic.
// A no-transaction file is also never recorded as applied over an invalid index (see
// invalid-indexes.ts): it does not start over one, and fails, dirty, when it leaves one.
import pg from 'pg';
import { sleep } from '../util/sleep';
import type { Migration, MigrationSql } from './files';
import type { Direction, Resolved } from './options';
import type { Statement } from './sql-split';
import { BatchError, FLUSH_MARK, sendBatch, stateRowSql } from './batch';
import { appeared, dropIndexes, dropStatements, invalidIndexesIn, names, type InvalidIndex } from './invalid-indexes';
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

/** `previous`: the version before `m` in the timeline, named in the `force` that a failure advises. */
export async function runMigration(client: pg.ClientBase, m: Migration, schema: string, direction: Direction, o: Resolved, previous: string): Promise<number> {
  const sql = direction === 'up' ? m.up : m.down!;
  const started = performance.now();
  // For a no-transaction file: session settings, reset when it ends.
  const settings = `search_path TO ${pg.escapeIdentifier(schema)}; SET lock_timeout = ${Math.round(o.ddlLockTimeoutMs)}`;
  const record = async (dirty: boolean) => {
    const ms = Math.round(performance.now() - started);
    if (direction === 'down' && !dirty) return deleteApplied(client, schema, m.version);
    if (direction === 'down') return markDirty(client, schema, m.version);
    return recordApplied(client, { schema, version: m.version, name: m.name, scope: m.scope, checksum: m.up.checksum, durationMs: dirty ? null : ms, dirty });
  };

  if (sql.noTransaction) {
    await runOutsideTransaction(client, m, schema, direction, previous, settings, o, record);
  } else {
    await withRetry(o, schema, m, () => runInTransaction(client, m, schema, direction, o));
  }
  return Math.round(performance.now() - started);
}

/**
 * The file and its state row in one transaction, in two round trips (batch.ts): BEGIN, the
 * settings, the statements and the state row in one; COMMIT in the other. The commit waits for the
 * answer to the first, as every statement used to wait for the one before: a client that died or
 * was cut off never commits, its session ends idle in the transaction and the server rolls it back.
 * Asynchronous commit: only the wait for the disk is deferred, to one flush at the end of the run
 * (flushCommits in api.ts). On a failure the transaction is rolled back before the error is named.
 */
async function runInTransaction(client: pg.ClientBase, m: Migration, schema: string, direction: Direction, o: Resolved): Promise<void> {
  const sql = direction === 'up' ? m.up : m.down!;
  const parts = [
    'BEGIN',
    `SET LOCAL search_path TO ${pg.escapeIdentifier(schema)}`,
    `SET LOCAL lock_timeout = ${Math.round(o.ddlLockTimeoutMs)}`,
    'SET LOCAL synchronous_commit = off',
  ];
  /** The statement each part belongs to; a flush mark stands for the statement after it. */
  const owner: Array<Statement | undefined> = parts.map(() => undefined);
  for (const st of sql.statements) {
    parts.push(FLUSH_MARK, st.text);
    owner.push(st, st);
  }
  parts.push(FLUSH_MARK, stateRowSql(direction, { schema, version: m.version, name: m.name, scope: m.scope, checksum: m.up.checksum }));
  owner.push(undefined, undefined);
  try {
    await sendBatch(client, parts);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {}); // a failed COMMIT has already ended it: harmless
    if (!(error instanceof BatchError)) throw describeFailure(error as PgError, sql, undefined);
    // BEGIN, the settings, the state row and COMMIT fail as the file's failure, named like a statement's.
    const st = owner[error.part];
    throw describeFailure(error.error, sql, st, st ? error.offsets[error.part] : 0);
  }
}

async function runOutsideTransaction(
  client: pg.ClientBase,
  m: Migration,
  schema: string,
  direction: Direction,
  previous: string,
  settings: string,
  o: Resolved,
  record: (dirty: boolean) => Promise<void>,
): Promise<void> {
  const sql = direction === 'up' ? m.up : m.down!;
  const before = await guard(sql, undefined, () => invalidIndexesIn(client, schema));
  // One already there may be the very index this file builds: `IF NOT EXISTS` would skip it and the
  // migration would be recorded over an index that does not work. Refuse before touching anything.
  // (A down may well be what drops it.)
  if (direction === 'up' && before.length) {
    throw new MigrationFailure(
      `${sql.file}: ${schema} has invalid index ${names(before)}, left by an index build that did not finish; nothing was run in ${schema}; fix: run ${dropStatements(before)} then re-run \`migrate-tool up\``,
      sql.file,
      undefined,
      undefined,
      false,
    );
  }
  await guard(sql, undefined, () => record(true));
  await guard(sql, undefined, () => client.query(`SET ${settings}`));
  try {
    for (const st of sql.statements) await runStatementOutside(client, m, schema, sql, st, o);
  } catch (error) {
    throw await withLeftovers(client, m, schema, previous, before, error);
  } finally {
    await client.query('RESET search_path; RESET lock_timeout').catch(() => {});
  }
  const left = appeared(before, await guard(sql, undefined, () => invalidIndexesIn(client, schema)));
  if (left.length) throw leftoverFailure(new Error(`${sql.file}: an index build did not finish`), sql.file, m, schema, previous, left);
  await guard(sql, undefined, () => record(false));
}

/**
 * One statement outside a transaction, retried on lock_timeout. A CREATE INDEX CONCURRENTLY that
 * timed out (waiting on another session's snapshot, say) leaves its index behind, invalid; the retry
 * drops that one, and only that one (compared with a snapshot taken just before the attempt), so that
 * it builds the index again instead of skipping it or failing on "already exists".
 */
async function runStatementOutside(client: pg.ClientBase, m: Migration, schema: string, sql: MigrationSql, st: Statement, o: Resolved): Promise<void> {
  let seen: InvalidIndex[] = [];
  await withRetry(
    o,
    schema,
    m,
    async () => {
      seen = await guard(sql, st, () => invalidIndexesIn(client, schema));
      return guard(sql, st, () => client.query(st.text));
    },
    async () => {
      const left = appeared(seen, await guard(sql, st, () => invalidIndexesIn(client, schema)));
      await guard(sql, st, () => dropIndexes(client, left));
      return left.length ? `dropped the invalid index ${names(left)} it left` : undefined;
    },
  );
}

/** A failed no-transaction file leaves its schema dirty; say which invalid indexes it left there too. */
async function withLeftovers(client: pg.ClientBase, m: Migration, schema: string, previous: string, before: InvalidIndex[], error: unknown): Promise<unknown> {
  if (!(error instanceof MigrationFailure) || error.connectionLost) return error;
  const now = await invalidIndexesIn(client, schema).catch(() => undefined);
  const left = now ? appeared(before, now) : [];
  return left.length ? leftoverFailure(error, error.file, m, schema, previous, left) : error;
}

function leftoverFailure(error: Error, file: string, m: Migration, schema: string, previous: string, left: InvalidIndex[]): MigrationFailure {
  const e = error instanceof MigrationFailure ? error : undefined;
  const force = `migrate-tool force ${previous}${schema === 'public' ? '' : ` --tenant ${schema}`}`;
  return new MigrationFailure(
    `${error.message}; it left invalid index ${names(left)} (not usable, so ${m.version} is not recorded as applied); fix: run ${dropStatements(left)} then \`${force}\` and re-run \`migrate-tool up\``,
    file,
    e?.line,
    e?.statement,
    false,
    { cause: error },
  );
}

/**
 * Retries `fn` when it failed on lock_timeout, waiting 0.5 s, 1 s, 2 s, ... between tries.
 * `cleanUp` runs before each retry and says what it did, for the retry event.
 */
async function withRetry<T>(o: Resolved, schema: string, m: Migration, fn: () => Promise<T>, cleanUp?: () => Promise<string | undefined>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      const cause = (error as Error).cause as { code?: string } | undefined;
      if (cause?.code !== LOCK_NOT_AVAILABLE || attempt > o.lockRetries || o.signal?.aborted) throw error;
      const cleaned = await cleanUp?.();
      const delayMs = Math.min(500 * 2 ** (attempt - 1), 8_000);
      o.emit({ type: 'retry', schema, version: m.version, attempt, delayMs, reason: (error as Error).message, ...(cleaned ? { cleaned } : {}) });
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

/** `offset`: where the statement starts in the text sent, when it was sent with others (a position counts from there). */
function describeFailure(error: PgError, sql: MigrationSql, st: Statement | undefined, offset = 0): MigrationFailure {
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
    const upTo = st.text.slice(0, Math.max(0, Number(error.position) - 1 - offset));
    line += upTo.split('\n').length - 1;
  }
  const statement = st.text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');
  const short = statement.length > 120 ? `${statement.slice(0, 117)}...` : statement;
  return new MigrationFailure(`${sql.file}:${line}: ${error.message} (in: ${short})`, sql.file, line, statement, connectionLost, info);
}
