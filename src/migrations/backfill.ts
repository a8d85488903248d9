// Runs a `-- migrate:backfill` file (backfill-sql.ts) in one schema: its UPDATE in batches by primary
// key, each batch a short transaction under lock_timeout that also writes the progress row
// (state/backfills.ts), so the rows done and the key kept can never disagree: a killed run resumes
// after the last committed batch. Batches of every schema share one bound (opts.backfillSlots): many
// schemas backfilling at once are one load on the server. A first pass skips rows the application
// holds locked; as long as rows still match (those, or rows written behind the cursor), another
// pass starts from the first key, waiting for locks this time. The file is recorded as applied, in
// the transaction that drops the progress row, only when no row matches any more.
import pg from 'pg';
import { ReplicaLag } from '../db/replica-lag';
import { withTransaction } from '../db/transaction';
import { sleep } from '../util/sleep';
import {
  batchSql,
  countSql,
  estimateSql,
  PRIMARY_KEY_SQL,
  remainingSql,
  type BackfillUpdate,
  type KeyColumn,
} from './backfill-sql';
import { guard, MigrationFailure, withRetry } from './failure';
import type { Migration, MigrationSql } from './files';
import type { Resolved } from './options';
import {
  deleteBackfill,
  ensureBackfillsTable,
  readBackfill,
  recordApplied,
  saveBackfill,
  type BackfillProgress,
} from './state';

/** Passes after which rows that still match mean something keeps writing them: fail instead of looping. */
const MAX_PASSES = 5;
/** How often the replica lag is looked at again while it is too high: a caught-up replica lets the next batch go at once. */
const LAG_POLL_MS = 200;

const tables = new WeakMap<object, Promise<void>>();

/** A backfill's run in one schema: its transaction runner and what it reports progress with. */
interface BackfillRun {
  client: pg.ClientBase;
  m: Migration;
  schema: string;
  opts: Resolved;
  tx: <T>(fn: () => Promise<T>) => Promise<T>;
  report: (p: BackfillProgress) => void;
}

export async function runBackfill(client: pg.ClientBase, m: Migration, schema: string, opts: Resolved): Promise<void> {
  const sql = m.up;
  const started = performance.now();
  const setup = `SET LOCAL search_path TO ${pg.escapeIdentifier(schema)}; SET LOCAL lock_timeout = ${Math.round(opts.ddlLockTimeoutMs)}`;
  const tx = <T>(fn: () => Promise<T>) => guard(sql, sql.statements[0], () => withTransaction(client, fn, { setup }));
  // Created once per operation, before any worker needs it, so two workers never race on the DDL.
  if (!tables.has(opts.backfillSlots)) tables.set(opts.backfillSlots, ensureBackfillsTable(client));
  await guard(sql, undefined, () => tables.get(opts.backfillSlots)!);

  const u = sql.backfill!;
  const { key, estimate, progress } = await tx(async () => ({
    key: await primaryKey(client, u),
    estimate: await estimated(client, u),
    progress: await readBackfill(client, schema, m.version),
  }));
  if (!key.length)
    throw failure(
      sql,
      `${u.table} has no primary key in ${schema}, and a backfill runs in batches by primary key; add one, or remove -- migrate:backfill to run the UPDATE in one transaction`,
    );
  const total = progress.rowsDone + estimate;
  const report = (p: BackfillProgress) =>
    opts.emit({
      type: 'backfill',
      schema,
      version: m.version,
      rowsDone: p.rowsDone,
      rowsEstimated: Math.max(total, p.rowsDone),
    });
  report(progress);
  await runPasses({ client, m, schema, opts, tx, report }, key, progress);
  const durationMs = Math.round(performance.now() - started);
  await tx(async () => {
    const { version, name, scope } = m;
    await recordApplied(client, { schema, version, name, scope, checksum: sql.checksum, durationMs, dirty: false });
    await deleteBackfill(client, schema, version);
  });
}

/** Batches from the kept key until a pass finds nothing after it and no row matches any more. */
async function runPasses(run: BackfillRun, key: KeyColumn[], progress: BackfillProgress): Promise<void> {
  const { client, m, schema, opts, tx } = run;
  const sql = m.up;
  const u = sql.backfill!;
  let p = progress;
  const lag = new ReplicaLag();
  for (;;) {
    if (opts.signal?.aborted)
      throw failure(
        sql,
        `interrupted in ${schema} after ${p.rowsDone} rows; the progress is kept: re-run \`migrate-tool up\` to go on`,
      );
    await replicaCaughtUp(client, lag, opts);
    const text = batchSql(u, key, opts.backfillBatch, p.pass === 1);
    const batch = () => tx(() => oneBatch(client, text, schema, m.version, p));
    const next = await opts.backfillSlots.run(() => withRetry(opts, schema, () => m.version, batch));
    if (next) {
      if (opts.maxReplicaLagMs !== undefined) await lag.committed(client);
      p = next;
      run.report(p);
      if (opts.backfillPauseMs) await sleep(opts.backfillPauseMs, opts.signal);
      continue;
    }
    // The pass reached the last key: done if nothing matches, else another pass from the start.
    const left = await tx(async () => (await client.query<{ left: boolean }>(remainingSql(u))).rows[0]!.left);
    if (!left) return;
    if (p.pass >= MAX_PASSES)
      throw failure(
        sql,
        `rows in ${schema} still match the backfill's WHERE after ${p.pass} passes: something keeps writing them; update the application to write the new values, then re-run \`migrate-tool up\``,
      );
    const restart = { lastKey: null, rowsDone: p.rowsDone, pass: p.pass + 1 };
    await tx(() => saveBackfill(client, schema, m.version, restart));
    p = restart;
  }
}

/** One batch and its progress row, in the caller's transaction; undefined when no row was left after the kept key. */
async function oneBatch(
  client: pg.ClientBase,
  text: string,
  schema: string,
  version: string,
  p: BackfillProgress,
): Promise<BackfillProgress | undefined> {
  const r = await client.query<{ updated: string; last: string[] | null }>(text, [p.lastKey]);
  const { updated, last } = r.rows[0]!;
  if (!last) return undefined;
  const next = { lastKey: last, rowsDone: p.rowsDone + Number(updated), pass: p.pass };
  await saveBackfill(client, schema, version, next);
  return next;
}

async function primaryKey(client: pg.ClientBase, u: BackfillUpdate): Promise<KeyColumn[]> {
  return (await client.query<KeyColumn>(PRIMARY_KEY_SQL, [tableName(u)])).rows;
}

/**
 * The rows the backfill will update: the planner's estimate where the table has statistics (no scan),
 * else a count (a table filled since its last ANALYZE would read as nearly empty).
 */
async function estimated(client: pg.ClientBase, u: BackfillUpdate): Promise<number> {
  const stats = await client.query<{ analyzed: boolean }>(
    `SELECT coalesce(last_analyze, last_autoanalyze) IS NOT NULL AS analyzed FROM pg_catalog.pg_stat_all_tables WHERE relid = $1::regclass`,
    [tableName(u)],
  );
  if (!stats.rows[0]?.analyzed) return Number((await client.query<{ n: string }>(countSql(u))).rows[0]!.n);
  const r = await client.query<{ 'QUERY PLAN': [{ Plan: { 'Plan Rows': number } }] }>(estimateSql(u));
  return Math.round(r.rows[0]!['QUERY PLAN'][0].Plan['Plan Rows']);
}

/** Waits while a replica is further behind this backfill's commits than maxReplicaLagMs (never, when it is not set). */
async function replicaCaughtUp(client: pg.ClientBase, lag: ReplicaLag, opts: Resolved): Promise<void> {
  if (opts.maxReplicaLagMs === undefined) return;
  let told = false;
  for (;;) {
    const { ms, hidden } = await lag.behind(client);
    if (hidden && !toldHidden) {
      toldHidden = true;
      opts.emit({
        type: 'note',
        message: `--max-replica-lag is not applied: this role cannot read the replicas' positions in pg_stat_replication; grant it pg_monitor`,
      });
    }
    if (ms <= opts.maxReplicaLagMs || opts.signal?.aborted) return;
    if (!told)
      opts.emit({
        type: 'note',
        message: `backfill paused: a replica is ${Math.round(ms)} ms behind (--max-replica-lag ${opts.maxReplicaLagMs} ms)`,
      });
    told = true;
    await sleep(LAG_POLL_MS, opts.signal);
  }
}

/** Said once per process: a role that cannot see the replicas' positions backfills without the pause. */
let toldHidden = false;

/** The table as regclass input (unqualified: found on the schema's search_path). */
const tableName = (u: BackfillUpdate) =>
  (u.schema ? `${pg.escapeIdentifier(u.schema)}.` : '') + pg.escapeIdentifier(u.table);

function failure(sql: MigrationSql, message: string): MigrationFailure {
  return new MigrationFailure(`${sql.file}: ${message}`, sql.file, sql.statements[0]?.line, undefined, false);
}
