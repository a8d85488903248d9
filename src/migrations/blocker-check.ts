// Never queue behind a blocker. A statement that needs a lock stronger than RowExclusiveLock waits
// for every session holding a conflicting one, and while it waits every later query on that table
// (the application's SELECTs too) waits behind it. So before such statements are sent, the sessions
// that hold or wait for a conflicting lock on their tables are looked up (db/blockers.ts); while one
// exists nothing is sent (the tool takes no lock, so the application runs freely), and after
// blockerTimeoutMs the schema fails, clean, naming the blocker. lock_timeout and its retries
// (failure.ts) stay for a blocker that arrives between the check and the statement.
// Which tables: those the lock model (locks.ts) says a statement locks above RowExclusiveLock,
// except the ones an earlier statement of the same batch creates (new, nobody else has them).
// A table that does not exist yet is skipped by the query itself. Statements whose tables the
// model cannot read (DO, CALL) are not checked: lock_timeout alone guards them.
import { operation, option, remedy, type Remedy } from '../remedy';
import { describeBlocker, findBlockers, type Blocker, type BlockerQuery } from '../db/blockers';
import type { Queryable } from '../db/queryable';
import { PARSER_BESIDE, ParserUnavailable } from '../util/pg-parser';
import { sleep } from '../util/sleep';
import { MigrationFailure } from './failure';
import type { MigrationSql } from './files';
import {
  conflictingModes,
  describeLocks,
  needsBlockerCheck,
  resolveIndexTables,
  type LockMode,
  type StatementLocks,
} from './locks';
import type { Direction, Resolved } from './options';
import type { Statement } from './sql-split';

/** How often the blockers are looked up again while one exists. */
export const POLL_MS = 200;
/** While the same session blocks, the wait is said again this often (a log shows the wait goes on). */
const REPEAT_MS = 5_000;

/** One statement's table that must be free of conflicting locks before the statement is sent. */
export interface CheckTarget {
  schema: string;
  table: string;
  lock: LockMode;
  /** Which file of the batch (chain.ts `at`). */
  at: number;
  sql: MigrationSql;
  st: Statement;
}

// Statements repeat across thousands of schemas: each text is parsed once.
const parsed = new Map<string, Promise<StatementLocks>>();
function locksOf(text: string): Promise<StatementLocks> {
  let p = parsed.get(text);
  if (!p) {
    if (parsed.size >= 5_000) parsed.clear();
    p = describeLocks(text);
    parsed.set(text, p);
  }
  return p;
}

/** Said once per process: without the parser the check cannot know the tables, and the run goes on without it. */
let toldNoParser = false;

/**
 * The tables of `files` (one batch, in order) to look at before sending it, in `schema` (the
 * search_path). None when PostgreSQL's parser cannot be loaded (a single-file CLI copied alone): the
 * migration still runs, guarded by lock_timeout and its retries as before the check, and a note says why.
 */
async function tablesToCheck(
  client: Queryable,
  schema: string,
  files: MigrationSql[],
  opts: Pick<Resolved, 'emit'>,
): Promise<CheckTarget[]> {
  try {
    return await strongLocks(client, schema, files);
  } catch (error) {
    if (!(error instanceof ParserUnavailable)) throw error;
    if (!toldNoParser)
      opts.emit({ type: 'note', message: `the blocker check is off: ${error.message}; ${PARSER_BESIDE}` });
    toldNoParser = true;
    return [];
  }
}

async function strongLocks(client: Queryable, schema: string, files: MigrationSql[]): Promise<CheckTarget[]> {
  const created = new Set<string>();
  const key = (s: string, t: string) => `${s}.${t}`;
  const out: CheckTarget[] = [];
  for (const [at, sql] of files.entries()) {
    for (const st of sql.statements) {
      const { locks, creates } = await locksOf(st.text);
      const strong = locks.filter((l) => needsBlockerCheck(l.lock)).map((l) => ({ ...l, schema: l.schema ?? schema }));
      const resolved = strong.some((l) => l.index) ? await resolveIndexTables(client, strong) : strong;
      for (const l of resolved) {
        if (l.index || created.has(key(l.schema!, l.table))) continue;
        out.push({ schema: l.schema!, table: l.table, lock: l.lock, at, sql, st });
      }
      for (const c of creates) created.add(key(c.schema ?? schema, c.table));
    }
  }
  return out;
}

export interface CheckRequest {
  schema: string;
  direction: Direction;
  /** The files about to be sent, in order (one batch, or one statement of a no-transaction file). */
  files: MigrationSql[];
  versionOf: (at: number) => string;
  /** Statements of the file ran before this check (a no-transaction file): its failure does not say "nothing changed". */
  midFile?: boolean;
}

/**
 * The blocker check, the one place it is decided and run: before a batch (chain.ts, as sendBatch's
 * `check`) and before each statement of a no-transaction file (execute.ts). Resolves once none of
 * the tables the files lock is blocked; off with blockerTimeoutMs 0.
 */
export async function checkBlockers(client: Queryable, req: CheckRequest, opts: Resolved): Promise<void> {
  if (!opts.blockerTimeoutMs) return;
  const targets = await tablesToCheck(client, req.schema, req.files, opts);
  await waitForNoBlocker(client, { ...req, targets }, opts);
}

/** Polls pg_locks until none of the targets is blocked, or fails the schema after blockerTimeoutMs. */
async function waitForNoBlocker(
  client: Queryable,
  req: CheckRequest & { targets: CheckTarget[] },
  opts: Resolved,
): Promise<void> {
  const { schema, targets, versionOf } = req;
  if (!opts.blockerTimeoutMs || !targets.length) return;
  const queries = byTable(targets);
  const started = Date.now();
  let said = { pid: 0, at: 0 };
  for (;;) {
    const blockers = await findBlockers(client, queries, opts.ownPids());
    const found = firstBlocked(targets, blockers);
    if (!found) return;
    const { target, blocker } = found;
    const waitedMs = Date.now() - started;
    if (blocker.pid !== said.pid || Date.now() - said.at >= REPEAT_MS) {
      opts.emit({
        type: 'blocker:waiting',
        schema,
        version: versionOf(target.at),
        table: `${target.schema}.${target.table}`,
        lock: target.lock,
        blocker,
        waitedMs,
      });
      said = { pid: blocker.pid, at: Date.now() };
    }
    if (waitedMs >= opts.blockerTimeoutMs || opts.signal?.aborted)
      throw blockedFailure(found, req, waitedMs, Boolean(opts.signal?.aborted));
    await sleep(Math.min(POLL_MS, opts.blockerTimeoutMs - waitedMs), opts.signal);
  }
}

/** One query row per table, with every mode that would hold up any of its statements. */
function byTable(targets: CheckTarget[]): BlockerQuery[] {
  const tables = new Map<string, BlockerQuery>();
  for (const t of targets) {
    const q = tables.get(`${t.schema}.${t.table}`) ?? { schema: t.schema, table: t.table, conflicting: [] };
    q.conflicting = [...new Set([...q.conflicting, ...conflictingModes(t.lock)])];
    tables.set(`${t.schema}.${t.table}`, q);
  }
  return [...tables.values()];
}

/** The first statement (in batch order) that one of `blockers` would hold up, and that blocker. */
function firstBlocked(
  targets: CheckTarget[],
  blockers: Blocker[],
): { target: CheckTarget; blocker: Blocker } | undefined {
  for (const target of targets) {
    const conflicting = conflictingModes(target.lock);
    const blocker = blockers.find(
      (b) => b.schema === target.schema && b.table === target.table && conflicting.includes(b.mode as LockMode),
    );
    if (blocker) return { target, blocker };
  }
  return undefined;
}

/** A schema failed because a session held its table: nothing of the batch was sent, so nothing is dirty. */
export class BlockerFailure extends MigrationFailure {
  constructor(
    message: string,
    target: CheckTarget,
    readonly blocker: Blocker,
    /** What to do: end that session or wait, then re-run (FailedEntry.remedy). */
    remedy: Remedy,
  ) {
    super(message, target.sql.file, target.st.line, oneLine(target.st.text), false, { remedy });
    this.at = target.at;
  }
}

function blockedFailure(
  { target, blocker }: { target: CheckTarget; blocker: Blocker },
  req: CheckRequest,
  waitedMs: number,
  interrupted: boolean,
): BlockerFailure {
  const { schema, direction } = req;
  const statement = oneLine(target.st.text);
  const short = statement.length > 120 ? `${statement.slice(0, 117)}...` : statement;
  const since = blocker.queryStart ? `, its query started ${blocker.queryStart}` : '';
  const rerun = direction === 'up' ? operation('migrate') : `the same down for ${schema}`;
  const why = interrupted ? 'interrupted while waiting for it' : `waited ${Math.round(waitedMs / 1000)} s`;
  return new BlockerFailure(
    `${target.sql.file}:${target.st.line}: not sent: ${describeBlocker(blocker)}${since} ${blocker.granted ? 'holds' : 'waits for'} ${blocker.mode} on ${target.schema}.${target.table}, ` +
      `and ${target.lock} would queue behind it (in: ${short}); ${why}; ${req.midFile ? 'this statement was not sent' : `nothing was changed in ${schema}`}`,
    target,
    blocker,
    remedy`end that session (SELECT pg_terminate_backend(${String(blocker.pid)})) or let it finish, then re-run ${rerun}; ${option('blockerTimeoutMs')} sets how long a run waits for it`,
  );
}

const oneLine = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');
