// `backup`: pg_dump -F c into BACKUP_DIR under a temporary name, verified with pg_restore --list,
// mode 0600, then renamed to backup_<db>_<YYYYMMDD_HHMMSS>.dump; older backups of the same
// database are then removed by the retention rule.
import { existsSync } from 'node:fs';
import { link, mkdir, open, rename, rm, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { resolveConnection, withSession, type ConnectionInput } from '../db/borrowed';
import { CITUS_BACKUP_ADVICE, CITUS_DUMP, onCitus } from '../db/citus';
import { OperationError } from '../errors';
import { option, operation, remedy } from '../remedy';
import type { WaitingEvent } from '../migrations/options';
import { sleep } from '../util/sleep';
import { backupName, pruneBackups } from './retention';
import { restorability, type Restorability } from './script-restore';
import { checkDumpVersion, runTool, serverVersion, tail, toolEnv, toolVersion, type ToolEnv } from './tools';
import { settleBoth } from '../util/settle';

export interface Progress {
  bytes: number;
  elapsedMs: number;
}

export interface BackupOptions extends ToolEnv {
  /**
   * Connection settings, a postgres:// URL, or a connected pg.Client the caller owns (asked for the
   * server's version, never ended); pg_dump connects with its connectionParameters.
   */
  connection: ConnectionInput;
  backupDir: string;
  /** Backups of this database older than this many days are removed. Default 2. */
  retentionDays?: number;
  /** Remove no old backup. */
  keep?: boolean;
  connectTimeoutMs?: number;
  waitMs?: number;
  /** `backup:progress` every 250 ms while pg_dump writes. */
  onEvent?: (event: BackupEvent) => void;
}

export type BackupEvent = ({ type: 'backup:progress' } & Progress) | WaitingEvent;

export interface BackupResult {
  file: string;
  bytes: number;
  ms: number;
  /** When the dump started (the name's time), ISO 8601. */
  startedAt: string;
  /** Entries in the archive's table of contents, as pg_restore --list read them. */
  entries: number;
  pgDump: string;
  server: string;
  removed: string[];
  /** Old backups that could not be removed (the backup itself succeeded). */
  notRemoved: string[];
  /** How `restore` would put this backup back into this server with the tools found here. */
  restore: Restorability;
}

export const PROGRESS_MS = 250;

export async function backup(options: BackupOptions): Promise<BackupResult> {
  const started = performance.now();
  const target = resolveConnection(options.connection);
  const c = target.connection;
  const env = toolEnv(c, options.env);
  const tools = { env, signal: options.signal };
  const onWait = (message: string) => options.onEvent?.({ type: 'connect:waiting', message });
  const session = {
    connectTimeoutMs: options.connectTimeoutMs,
    waitMs: options.waitMs,
    signal: options.signal,
    onWait,
  };
  // pg_dump missing is said first; the session is let finish either way.
  const [dump, { server, citus }] = await settleBoth(
    toolVersion('pg_dump', tools),
    withSession(target, session, async (db) => ({ server: await serverVersion(db), citus: await onCitus(db) })),
  );
  checkDumpVersion(dump, server);

  const dir = resolve(options.backupDir);
  await ensureDir(dir).catch((error: NodeJS.ErrnoException) => {
    throw (
      notWritable(dir, error) ??
      new OperationError(
        `Cannot create the backup folder ${dir}: ${error.message}`,
        'BACKUP_DIR',
        remedy`set ${option('backupDir')} to a folder this user can write`,
      )
    );
  });
  const { at, file } = await freeName(dir, c.database);
  const temp = join(dir, `.${basename(file)}.partial`);
  try {
    // Created 0600 before pg_dump opens it, so the dump is never readable by others, not even briefly.
    const handle = await open(temp, 'wx', 0o600);
    await handle.chmod(0o600);
    await handle.close();
    const onProgress = options.onEvent && ((p: Progress) => options.onEvent!({ type: 'backup:progress', ...p }));
    await dumpTo(temp, tools, started, onProgress);
    const entries = await verify(temp, tools);
    // A backup this installation cannot restore must be known now, not on the day it is needed.
    const restore = await restorability(server, tools);
    if (citus) restore.problem = `${CITUS_DUMP}; ${CITUS_BACKUP_ADVICE}`;
    await publish(temp, file);
    const bytes = (await stat(file)).size;
    const pruned = options.keep
      ? { removed: [], failed: [] }
      : await pruneBackups(dir, c.database, options.retentionDays ?? 2, file);
    return {
      file,
      bytes,
      ms: Math.round(performance.now() - started),
      startedAt: at.toISOString(),
      entries,
      pgDump: dump.text,
      server: server.text,
      removed: pruned.removed,
      notRemoved: pruned.failed,
      restore,
    };
  } catch (error) {
    await rm(temp, { force: true });
    const denied = notWritable(dir, error as NodeJS.ErrnoException);
    if (denied) throw denied;
    if ((error as NodeJS.ErrnoException).code && !(error instanceof OperationError)) {
      throw new OperationError(
        `Backup failed: ${(error as Error).message}`,
        'BACKUP_FAILED',
        remedy`check ${option('backupDir')} (space, permissions) and run ${operation('backup')} again`,
        {
          cause: error,
        },
      );
    }
    throw error;
  }
}

/**
 * A folder this user may not write: usually a volume owned by root mounted over the image's
 * /backups. The advice names this process's uid (10001 in the image) and the chown that fixes it,
 * since BACKUP_DIR is often a variable the operator never set (the image sets it).
 */
function notWritable(dir: string, error: NodeJS.ErrnoException): OperationError | undefined {
  if (error?.code !== 'EACCES' && error?.code !== 'EPERM' && error?.code !== 'EROFS') return undefined;
  if (error.code === 'EROFS') {
    return new OperationError(
      `The backup folder ${dir} (BACKUP_DIR) is on a read-only file system`,
      'BACKUP_DIR_NOT_WRITABLE',
      `mount a writable volume at ${dir}`,
      { cause: error },
    );
  }
  const uid = process.getuid?.();
  const who = uid === undefined ? 'this user' : `uid ${uid}`;
  return new OperationError(
    `The backup folder ${dir} (BACKUP_DIR) is not writable by ${who}, the user migrate-tool runs as`,
    'BACKUP_DIR_NOT_WRITABLE',
    remedy`give the folder mounted at ${dir} to ${who}: on the host, chown ${String(uid ?? '<uid>')}:${String(process.getgid?.() ?? '<gid>')} <that folder> (the image runs as uid 10001), or set ${option('backupDir')} to a folder ${who} can write`,
    { cause: error },
  );
}

/**
 * mkdir -p with mode 0700 for what it creates. Not `mkdir({ recursive: true })`: Node's loops
 * forever where mkdir keeps answering ENOENT under an existing parent (e.g. below /proc).
 */
async function ensureDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { mode: 0o700 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    const parent = dirname(dir);
    if (code !== 'ENOENT' || parent === dir) throw error;
    await ensureDir(parent);
    await mkdir(dir, { mode: 0o700 }).catch((again: NodeJS.ErrnoException) => {
      if (again.code !== 'EEXIST') throw again;
    });
  }
}

/** The name for a backup taken now; a second backup within the same second waits for the next one. */
async function freeName(dir: string, database: string): Promise<{ at: Date; file: string }> {
  for (;;) {
    const at = new Date();
    const file = join(dir, backupName(database, at));
    if (!existsSync(file) && !existsSync(join(dir, `.${basename(file)}.partial`))) return { at, file };
    await sleep(1000 - at.getMilliseconds() + 5);
  }
}

async function dumpTo(
  temp: string,
  tools: ToolEnv,
  started: number,
  onProgress?: (p: Progress) => void,
): Promise<void> {
  const report = async () =>
    onProgress?.({ bytes: (await stat(temp).catch(() => ({ size: 0 }))).size, elapsedMs: performance.now() - started });
  void report();
  const timer = onProgress ? setInterval(() => void report(), PROGRESS_MS) : undefined;
  try {
    const r = await runTool('pg_dump', ['--format=custom', '--no-password', `--file=${temp}`], tools);
    if (tools.signal?.aborted) throw new OperationError('Backup interrupted; no backup was written', 'INTERRUPTED');
    if (r.code !== 0) {
      throw new OperationError(
        `pg_dump failed (${r.signal ?? `exit ${r.code}`}): ${tail(r.stderr) || 'no message'}`,
        'PG_DUMP_FAILED',
        remedy`fix the cause above and run ${operation('backup')} again; no backup was written`,
      );
    }
  } finally {
    clearInterval(timer);
  }
}

/** The archive must be readable by pg_restore before it may carry a backup's name. */
async function verify(temp: string, tools: ToolEnv): Promise<number> {
  let entries = 0;
  const r = await runTool('pg_restore', ['--list', temp], {
    ...tools,
    onLine: (line) => void (/^\d+;/.test(line) && entries++),
  });
  if (r.code !== 0) {
    throw new OperationError(
      `The dump could not be verified: pg_restore --list failed (${tail(r.stderr) || `exit ${r.code}`})`,
      'BACKUP_UNREADABLE',
      remedy`no backup was written; check the disk and run ${operation('backup')} again`,
    );
  }
  return entries;
}

/** Gives the verified file its final name without ever replacing another backup, and makes the name durable. */
async function publish(temp: string, file: string): Promise<void> {
  try {
    await link(temp, file);
    await unlink(temp);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || existsSync(file))
      throw new OperationError(
        `${file} already exists (another backup at the same second?)`,
        'BACKUP_EXISTS',
        remedy`run ${operation('backup')} again`,
      );
    await rename(temp, file); // filesystems without hard links
  }
  // Best effort: the backup is complete either way; a synced folder also survives a power cut.
  const folder = await open(dirname(file), 'r').catch(() => undefined);
  await folder?.sync().catch(() => {});
  await folder?.close();
}
