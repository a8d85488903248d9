// `restore FILE`: pg_restore --clean --if-exists --no-owner into the target, as one transaction
// (a failure leaves the database as it was), under the run lock so no migration runs meanwhile.
// A pg_restore newer than the server goes through its SQL script and psql instead
// (script-restore.ts), and so does a restore that keeps schemas the archive does not hold (kept.ts):
// their state rows and foreign keys are put back in the restore's own transaction. Afterwards it
// names what the archive does not hold and therefore still exists.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type pg from 'pg';
import { resolveConnection, type ConnectionInput } from '../db/borrowed';
import { CITUS_BACKUP_ADVICE, CITUS_DUMP, onCitus } from '../db/citus';
import { withRunLock } from '../db/run-lock';
import { OperationError } from '../errors';
import { operation, remedy, type Remedy } from '../remedy';
import { DEFAULTS, type MigrationEvent } from '../migrations/options';
import { inspectArchive, type ArchiveInfo } from './archive';
import { PROGRESS_MS, type Progress } from './dump';
import { readKept, type Kept } from './kept';
import { restoreMethod, restoreThroughScript, type RestoreMethod } from './script-restore';
import { runTool, serverVersion, tail, toolEnv, toolVersion, type ToolEnv, type ToolRun } from './tools';

export interface RestoreOptions extends ToolEnv {
  /** As for backup; a pg.Client holds the run lock, pg_restore connects with its connectionParameters. */
  connection: ConnectionInput;
  file: string;
  /** The archive as inspectArchive read it (it is read again otherwise). */
  archive?: ArchiveInfo;
  connectTimeoutMs?: number;
  waitMs?: number;
  /** How long to wait for another migrate-tool run to finish. Default 60 s. */
  lockTimeoutMs?: number;
  /** `restore:progress` (bytes: what pg_restore has read so far, file and server replies) every 250 ms, and lock waits. */
  onEvent?: (event: RestoreEvent) => void;
}

export type RestoreEvent =
  ({ type: 'restore:progress' } & Progress) | Extract<MigrationEvent, { type: 'connect:waiting' | 'lock:waiting' }>;

export interface RestoreResult {
  file: string;
  bytes: number;
  ms: number;
  /**
   * `direct`: pg_restore into the server; `script`: pg_restore's SQL script through psql (pg_restore
   * newer than the server, or kept schemas whose state or foreign keys the same transaction restores).
   */
  method: RestoreMethod;
  pgRestore: string;
  server: string;
  /** Settings the script SET that the server lacks, left out (method `script`). */
  removedSettings: number;
  archive: Omit<ArchiveInfo, 'schemas' | 'relations' | 'file' | 'bytes'>;
  /** Schemas the archive does not hold (created after the backup): kept with their data, state rows and foreign keys. */
  kept: Kept;
  /** Other schemas and relations in the database that the archive does not hold: they were left as they were. */
  leftovers: string[];
}

export async function restore(options: RestoreOptions): Promise<RestoreResult> {
  const started = performance.now();
  const target = resolveConnection(options.connection);
  const c = target.connection;
  const toolsOutside = { env: toolEnv(c, options.env), signal: options.signal };
  const file = resolve(options.file);
  const archive = options.archive ?? (await inspectArchive(file, toolsOutside));
  const pgRestore = await toolVersion('pg_restore', toolsOutside);
  const lockOpts = {
    connectTimeoutMs: options.connectTimeoutMs,
    waitMs: options.waitMs,
    signal: options.signal,
    lockTimeoutMs: options.lockTimeoutMs ?? DEFAULTS.lockTimeoutMs,
    afterLoss: remedy`run ${operation('restore')} again: its transaction was rolled back`,
    client: target.client,
    onWait: (message: string) => options.onEvent?.({ type: 'connect:waiting', message }),
    onWaiting: (holder: string) => options.onEvent?.({ type: 'lock:waiting', holder }),
  };
  return withRunLock(c, lockOpts, async (lock) => {
    if (await onCitus(lock.client))
      throw new OperationError(
        `Restore refused: ${c.database} is a Citus database, and ${CITUS_DUMP}; nothing was changed`,
        'RESTORE_ON_CITUS',
        CITUS_BACKUP_ADVICE,
      );
    const server = await serverVersion(lock.client);
    const { before, after, ...kept } = await readKept(lock.client, archive);
    const method = before || after ? 'script' : restoreMethod(pgRestore, server);
    if (method === 'script') await toolVersion('psql', toolsOutside); // before anything runs: psql must be there
    // A lost lock stops pg_restore too: its one transaction rolls back, and no migration can run under it.
    const how = { method, file, dbname: conninfoDbname(c.database), serverMajor: server.major, before, after };
    const r = await withProgress(options, started, (onSpawn) =>
      runRestore(how, { ...toolsOutside, signal: lock.signal, onSpawn }),
    );
    if (options.signal?.aborted)
      throw new OperationError(
        'Restore interrupted: its transaction was rolled back, the database is as it was',
        'INTERRUPTED',
      );
    if (r.code !== 0) {
      throw new OperationError(
        `${r.failed ?? 'pg_restore'} failed (${r.signal ?? `exit ${r.code}`}), the database is as it was (one transaction): ${tail(r.stderr) || 'no message'}`,
        'RESTORE_FAILED',
        restoreAdvice(r.stderr, kept, archive.entries),
      );
    }
    const { database, createdAt, serverVersion: dumpedFrom, pgDumpVersion, entries } = archive;
    return {
      file,
      bytes: archive.bytes,
      ms: Math.round(performance.now() - started),
      method,
      pgRestore: pgRestore.text,
      server: server.text,
      removedSettings: r.removedSettings ?? 0,
      archive: { database, createdAt, serverVersion: dumpedFrom, pgDumpVersion, entries },
      kept,
      leftovers: await leftovers(lock.client, archive, new Set(kept.schemas)),
    };
  });
}

/** How the archive goes into the database: straight through pg_restore, or its script through psql. */
interface RestoreHow {
  method: RestoreMethod;
  file: string;
  dbname: string;
  serverMajor: number;
  before?: string;
  after?: string;
}

type RestoreRun = ToolRun & { failed?: string; removedSettings?: number };

/** pg_restore as one transaction that stops at the first error, or its script through psql (script-restore.ts). */
function runRestore(
  how: RestoreHow,
  tools: ToolEnv & { onSpawn: (child: { pid?: number }) => void },
): Promise<RestoreRun> {
  const args = ['--clean', '--if-exists', '--no-owner', '--no-password'];
  const { method, file, dbname, serverMajor, before, after } = how;
  if (method === 'direct')
    return runTool(
      'pg_restore',
      [...args, '--single-transaction', '--exit-on-error', `--dbname=${dbname}`, file],
      tools,
    );
  return restoreThroughScript({ ...tools, file, restoreArgs: args, dbname, serverMajor, before, after });
}

/** `restore:progress` at once and every PROGRESS_MS while `run` goes on: the bytes pg_restore has read so far. */
async function withProgress(
  options: RestoreOptions,
  started: number,
  run: (onSpawn: (child: { pid?: number }) => void) => Promise<RestoreRun>,
): Promise<RestoreRun> {
  let pid: number | undefined;
  const report = async () =>
    options.onEvent?.({
      type: 'restore:progress',
      bytes: pid ? await bytesRead(pid) : 0,
      elapsedMs: performance.now() - started,
    });
  void report();
  const timer = options.onEvent ? setInterval(() => void report(), PROGRESS_MS) : undefined;
  return run((child) => (pid = child.pid)).finally(() => clearInterval(timer));
}

/** Each remedy ends in running restore again. */
const again = remedy`${operation('restore')} again`;
// eslint-disable-next-line no-restricted-syntax -- the operation rollback(), not a statement it sends
const rollBack = operation('rollback');

function restoreAdvice(stderr: string, kept: Kept, entries: number): Remedy | string {
  // A kept table's foreign key, added again after the restore, finds rows the backup lacks.
  if (kept.foreignKeys.length && /violates foreign key constraint/.test(stderr))
    return remedy`rows in the schemas created after the backup (${kept.schemas.slice(0, 5).join(', ')}${kept.schemas.length > 5 ? ', ...' : ''}) reference rows the backup does not hold (see the DETAIL): change or delete those rows, or restore into an empty database for an exact copy of the backup; then run ${again}`;
  // --clean drops what the archive holds, without CASCADE: something newer depends on it.
  if (/cannot drop .* because other objects depend on it/.test(stderr))
    return remedy`objects created after the backup depend on what it recreates (see the DETAIL: e.g. a table a later migration added to a schema the backup holds); undo the migrations made after the backup with ${rollBack} first, or save and drop those objects, or restore into an empty database for an exact copy of the backup; then run ${again}`;
  if (/max_locks_per_transaction/.test(stderr)) {
    const keys = kept.foreignKeys.length;
    const what = `${entries} entries of the archive${keys ? ` and the ${keys} foreign keys of the kept schemas (each locks its table)` : ''}`;
    return remedy`raise max_locks_per_transaction on the server (the restore locks every object in one transaction: ${what}; the server has max_locks_per_transaction × max_connections lock slots in all), then run ${again}`;
  }
  // A setting that neither this server nor settings-filter.ts knows: a pg_restore newer than this tool expects.
  if (/unrecognized configuration parameter/.test(stderr))
    return "restore with the pg_restore of the server's major version (e.g. PATH=/usr/lib/postgresql/<major>/bin:$PATH), and report the setting as a migrate-tool bug";
  return remedy`fix the cause above and run ${again}`;
}

/** libpq reads a --dbname holding `=` as a connection string: always give it one, quoted. */
function conninfoDbname(database: string): string {
  return `dbname='${database.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** What pg_restore has read (Linux: /proc/PID/io); 0 where that cannot be seen. */
async function bytesRead(pid: number): Promise<number> {
  const io = await readFile(`/proc/${pid}/io`, 'utf8').catch(() => '');
  return Number(/^rchar:\s*(\d+)/m.exec(io)?.[1] ?? 0);
}

async function leftovers(db: pg.Client, archive: ArchiveInfo, kept: Set<string>): Promise<string[]> {
  const user = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'`;
  const schemas = await db.query<{ name: string }>(
    `SELECT n.nspname AS name FROM pg_namespace n WHERE ${user} AND n.nspname <> 'public' ORDER BY 1`,
  );
  const extraSchemas = schemas.rows.map((r) => r.name).filter((s) => !archive.schemas.has(s));
  // Sequences owned by a column belong to their table and are named through it.
  const relations = await db.query<{ schema: string; name: string }>(
    `SELECT n.nspname AS schema, c.relname AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE ${user} AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
        AND NOT (n.nspname = ANY($1::text[]))
        AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i')))
      ORDER BY 1, 2`,
    [extraSchemas],
  );
  const extraRelations = relations.rows.map((r) => `${r.schema}.${r.name}`).filter((r) => !archive.relations.has(r));
  return [...extraSchemas.filter((s) => !kept.has(s)).map((s) => `schema ${s}`), ...extraRelations];
}
