// A schema's consecutive transactional migrations in one round trip (batch.ts), plus one for the
// COMMIT: BEGIN, the settings, then each file's statements and its state row, each file after the
// first behind a SAVEPOINT; COMMIT is sent only once all that has answered. So:
// - Each file is all or nothing, as when each had its own transaction: at the first failing
//   statement the rest is skipped; the client rolls back to the failing file's savepoint and
//   commits the files before it (their state rows with them), or rolls everything back when the
//   first file failed. The failure names the file, line and statement (`at`: which file of the
//   chain; `kept`: how many before it were committed).
// - A client that died or was cut off never commits: the server finishes the statements, then
//   waits for a COMMIT that never comes; the session ends idle in the transaction (or at EOF) and
//   the server rolls it back, as it did when each statement waited for the one before.
// - lock_timeout: the files before the one that timed out are committed, and the chain is retried
//   from that file with backoff.
// - Before anything is sent, the blocker check (blocker-check.ts) waits while another session holds
//   a lock that a statement of the chain would queue behind; if it gives up, nothing was sent, and
//   the files before the blocked one are run and committed without it.
// At most MAX_SAVEPOINTS files share a transaction: more subtransactions would overflow the
// server's per-backend cache of them and slow down every other session's snapshots.
// Asynchronous commit: only the wait for the disk is deferred, to one flush at the end of the run
// (flushCommits in change.ts).
import pg from 'pg';
import type { Migration } from './files';
import type { Direction, Resolved } from './options';
import type { Statement } from './sql-split';
import { begunWith, commit, commitBefore, rollback, savepointSql } from '../db/transaction';
import { BatchError, FLUSH_MARK, sendBatch, stateRowSql } from './batch';
import { BlockerFailure, checkBlockers } from './blocker-check';
import { describeFailure, MigrationFailure, withRetry, type PgError } from './failure';

export const MAX_SAVEPOINTS = 32;

/** Which file a part of the batch belongs to, and which of its statements (none: BEGIN, settings, savepoint, state row). */
interface Owner {
  at: number;
  st?: Statement;
}

/** Runs `chain` (transactional migrations, in order, at most MAX_SAVEPOINTS + 1) in `schema`; returns its time in ms. */
export async function runWithSavepoints(
  client: pg.ClientBase,
  chain: Migration[],
  schema: string,
  direction: Direction,
  opts: Resolved,
): Promise<number> {
  const started = performance.now();
  let from = 0;
  const versionOf = (error: unknown) => chain[error instanceof MigrationFailure ? error.at : from]!.version;
  await withRetry(opts, schema, versionOf, async () => {
    try {
      await attempt(client, chain.slice(from), schema, direction, opts);
    } catch (error) {
      if (error instanceof MigrationFailure) {
        error.at += from;
        error.kept += from;
        error.keptMs = Math.round(performance.now() - started);
        from = error.kept; // a retry starts at the file that failed
      }
      throw error;
    }
  });
  return Math.round(performance.now() - started);
}

async function attempt(
  client: pg.ClientBase,
  chain: Migration[],
  schema: string,
  direction: Direction,
  opts: Resolved,
): Promise<void> {
  const parts = [
    `SELECT set_config('search_path', ${pg.escapeLiteral(pg.escapeIdentifier(schema))}, true), set_config('lock_timeout', '${Math.round(opts.ddlLockTimeoutMs)}', true), set_config('synchronous_commit', 'off', true)`,
  ];
  // A flush mark stands for the statement after it: while that one runs, the client has seen the mark.
  const owners: Owner[] = [{ at: 0 }, { at: 0 }]; // the BEGIN begunWith puts first, and the settings
  for (const [at, m] of chain.entries()) {
    const sql = direction === 'up' ? m.up : m.down!;
    if (at > 0) {
      parts.push(savepointSql(`migrate_tool_${at}`));
      owners.push({ at });
    }
    for (const st of sql.statements) {
      parts.push(FLUSH_MARK, st.text);
      owners.push({ at, st }, { at, st });
    }
    parts.push(
      FLUSH_MARK,
      stateRowSql(direction, { schema, version: m.version, name: m.name, scope: m.scope, checksum: m.up.checksum }),
    );
    owners.push({ at }, { at });
  }
  let owner: Owner = { at: chain.length - 1 };
  const sqls = chain.map((m) => (direction === 'up' ? m.up : m.down!));
  const check = () =>
    checkBlockers(client, { schema, direction, files: sqls, versionOf: (at) => chain[at]!.version }, opts);
  try {
    await sendBatch(client, begunWith(parts), check);
  } catch (error) {
    if (error instanceof BlockerFailure) throw await keepBefore(client, chain, schema, direction, opts, error);
    if (!(error instanceof BatchError)) throw named(error as PgError, chain, direction, owner, 0);
    owner = owners[error.part]!;
    // Keep the files before the failing one, as their own transactions would have been kept.
    let kept = 0;
    if (owner.at > 0) kept = (await commitBefore(client, `migrate_tool_${owner.at}`)) ? owner.at : 0;
    if (kept === 0) await rollback(client);
    throw named(error.error, chain, direction, owner, kept, owner.st ? error.offsets[error.part] : 0);
  }
  try {
    await commit(client); // rolled back if it fails
  } catch (error) {
    throw named(error as PgError, chain, direction, owner, 0); // which file's deferred check failed is not known: the last is named
  }
}

/**
 * Nothing was sent: the files before the blocked one run on their own (checked again), as they
 * would have been kept had the blocked file failed on lock_timeout instead; then the failure stands.
 */
async function keepBefore(
  client: pg.ClientBase,
  chain: Migration[],
  schema: string,
  direction: Direction,
  opts: Resolved,
  failure: BlockerFailure,
): Promise<BlockerFailure> {
  if (failure.at === 0) return failure;
  await attempt(client, chain.slice(0, failure.at), schema, direction, opts);
  failure.kept = failure.at;
  return failure;
}

/** The failure named against its file, line and statement; BEGIN, settings, state rows and COMMIT fail as the file's failure. */
function named(
  error: PgError,
  chain: Migration[],
  direction: Direction,
  owner: Owner,
  kept: number,
  offset = 0,
): MigrationFailure {
  const m = chain[owner.at]!;
  const failure = describeFailure(error, direction === 'up' ? m.up : m.down!, owner.st, offset);
  failure.at = owner.at;
  failure.kept = kept;
  return failure;
}
