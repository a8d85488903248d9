// Runs a `-- migrate:no-transaction` file in one schema (the executor's outsideTransaction,
// executor.ts; a normal file runs with its state row in one transaction, chain.ts). It marks the schema dirty first
// and clears it only when every statement succeeded. Each statement runs under lock_timeout and
// is retried with backoff when it could not get its lock: DDL must not queue the app's traffic.
// A no-transaction file is also never recorded as applied over an invalid index (see
// invalid-indexes.ts): it does not start over one, and fails, dirty, when it leaves one.
import pg from 'pg';
export { MigrationFailure, type FailureInfo } from './failure';
import { operation, remedy } from '../remedy';
import type { Migration, MigrationSql } from './files';
import type { Direction, Resolved } from './options';
import type { Statement } from './sql-split';
import { checkBlockers } from './blocker-check';
import { describeFailure, guard, MigrationFailure, withRetry, type PgError } from './failure';
import { appeared, dropIndexes, dropStatements, invalidIndexesIn, names, type InvalidIndex } from './invalid-indexes';
import { deleteApplied, markDirty, recordApplied } from './state';

/**
 * A no-transaction file (executor.ts `outsideTransaction`). `previous`: the version before `m` in the
 * timeline, named in the `force` that a failure advises.
 */
export async function runOutsideTransaction(
  client: pg.ClientBase,
  m: Migration,
  schema: string,
  direction: Direction,
  opts: Resolved,
  previous: string,
): Promise<void> {
  const sql = direction === 'up' ? m.up : m.down!;
  const started = performance.now();
  // Session settings, reset when it ends.
  const settings = `search_path TO ${pg.escapeIdentifier(schema)}; SET lock_timeout = ${Math.round(opts.ddlLockTimeoutMs)}`;
  const record = (dirty: boolean) =>
    writeState(client, m, schema, direction, dirty, Math.round(performance.now() - started));
  const before = await guard(sql, undefined, () => invalidIndexesIn(client, schema));
  // One already there may be the very index this file builds: `IF NOT EXISTS` would skip it and the
  // migration would be recorded over an index that does not work. Refuse before touching anything.
  // (A down may well be what drops it.)
  if (direction === 'up' && before.length) throw overInvalid(sql, schema, before);
  // Blockers are waited for before the dirty mark: a file that gives up on one leaves its schema clean.
  await guard(sql, undefined, () => client.query(`SET ${settings}`));
  try {
    await checkFirst(client, m, schema, direction, sql, sql.statements, opts, false);
  } finally {
    await client.query('RESET search_path; RESET lock_timeout').catch(() => {});
  }
  await guard(sql, undefined, () => record(true));
  try {
    await guard(sql, undefined, () => client.query(`SET ${settings}`));
    try {
      for (const st of sql.statements) await runStatementOutside(client, m, schema, direction, sql, st, opts);
    } catch (error) {
      throw await withLeftovers(client, m, schema, previous, before, error);
    } finally {
      await client.query('RESET search_path; RESET lock_timeout').catch(() => {});
    }
    const left = appeared(before, await guard(sql, undefined, () => invalidIndexesIn(client, schema)));
    if (left.length)
      throw leftoverFailure(
        new Error(`${sql.file}: an index build did not finish`),
        sql.file,
        m,
        schema,
        previous,
        left,
      );
    await guard(sql, undefined, () => record(false));
  } catch (error) {
    throw leftDirty(error, sql);
  }
}

/** The file's state row: the dirty mark, or (clean) applied on `up` and gone on `down`. */
async function writeState(
  client: pg.ClientBase,
  m: Migration,
  schema: string,
  direction: Direction,
  dirty: boolean,
  ms: number,
): Promise<void> {
  if (direction === 'down' && !dirty) return deleteApplied(client, schema, m.version);
  if (direction === 'down') return markDirty(client, schema, m.version);
  return recordApplied(client, {
    schema,
    version: m.version,
    name: m.name,
    scope: m.scope,
    checksum: m.up.checksum,
    durationMs: dirty ? null : ms,
    dirty,
  });
}

function overInvalid(sql: MigrationSql, schema: string, before: InvalidIndex[]): MigrationFailure {
  return new MigrationFailure(
    `${sql.file}: ${schema} has invalid index ${names(before)}, left by an index build that did not finish; nothing was run in ${schema}`,
    sql.file,
    undefined,
    undefined,
    false,
    { remedy: remedy`run ${dropStatements(before)} then re-run ${operation('migrate')}` },
  );
}

/**
 * The dirty mark is written: whatever fails after it (a statement, the check for invalid indexes,
 * the final state write, its connection) leaves the mark there, so the failure says so and the
 * report carries the dirty line and its advice. (The one case where the row may be clean after all,
 * the final write committed and its reply lost with the connection, is reported dirty: `up` then
 * finds the schema clean, while the other way round it would meet a dirty schema unannounced.)
 */
function leftDirty(error: unknown, sql: MigrationSql): MigrationFailure {
  const failure = error instanceof MigrationFailure ? error : describeFailure(error as PgError, sql, undefined);
  failure.dirty = true;
  return failure;
}

/**
 * One statement outside a transaction, retried on lock_timeout. A CREATE INDEX CONCURRENTLY that
 * timed out (waiting on another session's snapshot, say) leaves its index behind, invalid; the retry
 * drops that one, and only that one (compared with a snapshot taken just before the attempt), so that
 * it builds the index again instead of skipping it or failing on "already exists".
 */
async function runStatementOutside(
  client: pg.ClientBase,
  m: Migration,
  schema: string,
  direction: Direction,
  sql: MigrationSql,
  st: Statement,
  opts: Resolved,
): Promise<void> {
  let seen: InvalidIndex[] = [];
  await withRetry(
    opts,
    schema,
    () => m.version,
    async () => {
      await checkFirst(client, m, schema, direction, sql, [st], opts, st !== sql.statements[0]);
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
async function withLeftovers(
  client: pg.ClientBase,
  m: Migration,
  schema: string,
  previous: string,
  before: InvalidIndex[],
  error: unknown,
): Promise<unknown> {
  if (!(error instanceof MigrationFailure) || error.connectionLost) return error;
  const now = await invalidIndexesIn(client, schema).catch(() => undefined);
  const left = now ? appeared(before, now) : [];
  return left.length ? leftoverFailure(error, error.file, m, schema, previous, left) : error;
}

function leftoverFailure(
  error: Error,
  file: string,
  m: Migration,
  schema: string,
  previous: string,
  left: InvalidIndex[],
): MigrationFailure {
  const e = error instanceof MigrationFailure ? error : undefined;
  const force = operation('force', { version: previous, schema });
  return new MigrationFailure(
    `${error.message}; it left invalid index ${names(left)} (not usable, so ${m.version} is not recorded as applied)`,
    file,
    e?.line,
    e?.statement,
    false,
    // PostgreSQL's DETAIL and HINT say why the build failed (which key is duplicated).
    {
      cause: error,
      ...(e?.detail ? { detail: e.detail } : {}),
      ...(e?.hint ? { hint: e.hint } : {}),
      remedy: remedy`run ${dropStatements(left)} then ${force} and re-run ${operation('migrate')}`,
    },
  );
}

/** The blocker check for `statements` of a no-transaction file, run on its own session (search_path set). */
async function checkFirst(
  client: pg.ClientBase,
  m: Migration,
  schema: string,
  direction: Direction,
  sql: MigrationSql,
  statements: Statement[],
  opts: Resolved,
  midFile: boolean,
): Promise<void> {
  try {
    const files = [{ ...sql, statements }];
    await checkBlockers(client, { schema, direction, files, versionOf: () => m.version, midFile }, opts);
  } catch (error) {
    throw error instanceof MigrationFailure ? error : describeFailure(error as PgError, sql, undefined);
  }
}
