// Restoring with a pg_restore newer than the server (the image's pg_restore 17 into PostgreSQL 13
// to 16). pg_restore connected to the server sends settings the server lacks and the restore fails;
// so here pg_restore writes its SQL script instead, the settings the server lacks are filtered out
// (settings-filter.ts), and psql of the same installation runs the rest.
//
// All or nothing: the script runs inside one BEGIN that this code writes, psql stops at the first
// error (ON_ERROR_STOP), and COMMIT is written only after pg_restore has finished the whole script
// successfully. If pg_restore fails half way, or the run is interrupted, psql reaches the end of its
// input (or is stopped) without a COMMIT and the server rolls everything back.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { scriptClosing, scriptOpening } from '../db/transaction';
import { SettingsFilter, unknownSettings } from './settings-filter';
import { toolNotFound, toolVersion, type Tool, type ToolEnv, type ToolRun, type Version } from './tools';

export type RestoreMethod = 'direct' | 'script';

/**
 * pg_restore connected to a server of an older major version sends settings that server lacks
 * (pg_restore 17: transaction_timeout) and fails; its SQL script can be cleaned of them first.
 */
export function restoreMethod(pgRestore: Version, server: Version): RestoreMethod {
  return pgRestore.major > server.major ? 'script' : 'direct';
}

export interface Restorability {
  method: RestoreMethod;
  pgRestore: string;
  /** Why this installation cannot restore into the server, when it cannot. */
  problem?: string;
}

/** How `restore` would put a backup back into this server with these tools, checked at backup time. */
export async function restorability(server: Version, tools: ToolEnv): Promise<Restorability> {
  const pgRestore = await toolVersion('pg_restore', tools);
  const method = restoreMethod(pgRestore, server);
  if (method === 'direct') return { method, pgRestore: pgRestore.text };
  const psql = await toolVersion('psql', tools).catch((error: Error) => error);
  const problem =
    psql instanceof Error
      ? `pg_restore ${pgRestore.text} is newer than the server (PostgreSQL ${server.text}), and restoring into it needs psql: ${psql.message}`
      : undefined;
  return { method, pgRestore: pgRestore.text, problem };
}

export interface ScriptRestoreOptions extends ToolEnv {
  file: string;
  /** pg_restore's options that shape the script (--clean, --if-exists, --no-owner). */
  restoreArgs: string[];
  /** psql's --dbname value. */
  dbname: string;
  serverMajor: number;
  /** SQL run in the same transaction before the script and after it (kept.ts). */
  before?: string;
  after?: string;
  onSpawn?: (pgRestore: ChildProcess) => void;
}

export interface ScriptRestoreRun extends ToolRun {
  /** Which tool failed, when one did. */
  failed?: Tool;
  /** `SET` lines dropped because the server lacks the setting. */
  removedSettings: number;
}

const KEEP_CHARS = 64 * 1024;

export async function restoreThroughScript(options: ScriptRestoreOptions): Promise<ScriptRestoreRun> {
  const psql = start(
    'psql',
    ['--no-psqlrc', '--quiet', '--no-password', '-v', 'ON_ERROR_STOP=1', `--dbname=${options.dbname}`],
    options,
    'pipe',
  );
  const dump = start('pg_restore', [...options.restoreArgs, '--file=-', options.file], options, 'ignore');
  options.onSpawn?.(dump.child);
  const filter = new SettingsFilter(unknownSettings(options.serverMajor));
  psql.child.stdin!.on('error', () => {}); // psql stopped at an error: its exit code says so
  psql.child.stdin!.write(scriptOpening(options.before));
  dump.child.stdout!.pipe(filter).pipe(psql.child.stdin!, { end: false });

  // psql stops at the first error and reads no more: pg_restore, blocked on a full pipe, must stop too.
  psql.child.on('close', () => dump.child.kill('SIGTERM'));
  const finish = dump.done.then(async (r) => {
    if (r.code !== 0 || options.signal?.aborted) return void psql.child.kill('SIGTERM'); // never COMMIT a partial script
    if (!filter.readableEnded) await once(filter, 'end');
    psql.child.stdin!.end(scriptClosing(options.after));
  });
  const abort = () => [dump.child, psql.child].forEach((c) => c.kill('SIGTERM'));
  options.signal?.addEventListener('abort', abort, { once: true });
  try {
    const [restored, ran] = await Promise.all([dump.done, psql.done, finish]);
    const removedSettings = filter.removed;
    // psql ending on its own with an error is the cause; psql stopped by this code is not.
    if (ran.code !== 0 && ran.signal === null) return { ...ran, failed: 'psql', removedSettings };
    if (restored.code !== 0) return { ...restored, failed: 'pg_restore', removedSettings };
    return { ...ran, removedSettings };
  } finally {
    options.signal?.removeEventListener('abort', abort);
    for (const c of [dump.child, psql.child]) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  }
}

/** Starts a tool whose stdout the caller reads or discards; stderr is kept for the error message. */
function start(tool: Tool, args: string[], tools: ToolEnv, stdin: 'pipe' | 'ignore') {
  const child = spawn(tool, args, { env: tools.env as NodeJS.ProcessEnv | undefined, stdio: [stdin, 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-KEEP_CHARS)));
  // psql prints nothing of use on stdout with --quiet, but must never block on a full pipe.
  if (tool === 'psql') child.stdout!.resume();
  const done = new Promise<ToolRun>((resolve, reject) => {
    child.on('error', (error: NodeJS.ErrnoException) => reject(error.code === 'ENOENT' ? toolNotFound(tool) : error));
    child.on('close', (code, signal) => resolve({ code, signal, stdout: '', stderr }));
  });
  return { child, done };
}
