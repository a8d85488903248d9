// `backups`: what BACKUP_DIR holds and whether this installation can restore each file into the
// target server: its pg_restore must read the archive's format, the server must not be older than
// the one dumped (PostgreSQL does not promise that a newer server's dump loads into an older one),
// and a pg_restore newer than the server needs psql (script-restore.ts).
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { resolveConnection, withSession, type ConnectionInput } from '../db/borrowed';
import { readHeader } from './archive';
import { backupTime } from './retention';
import { restorability, type Restorability, type RestoreMethod } from './script-restore';
import { parseVersion, serverVersion, toolEnv, toolVersion, type ToolEnv, type Version } from './tools';

export interface ListBackupsOptions extends ToolEnv {
  backupDir: string;
  /** The server to judge restorability against; without it (or unreachable), only pg_restore's side is judged. */
  connection?: ConnectionInput;
  connectTimeoutMs?: number;
  waitMs?: number;
}

export interface BackupEntry {
  file: string;
  bytes: number;
  /** When it was taken, ISO 8601: the UTC time in a backup's name, else the file's modification time. */
  takenAt: string;
  database?: string;
  /** The archive's own header: when, from which server, by which pg_dump, in which format. */
  createdAt?: string;
  serverVersion?: string;
  pgDumpVersion?: string;
  format?: string;
  restorable: boolean;
  method?: RestoreMethod;
  /** Why it cannot be restored here, when it cannot. */
  problem?: string;
}

export interface BackupList {
  dir: string;
  pgRestore: string;
  /** The target server's version, when it answered. */
  server?: string;
  /** Why the server's side was not judged (it did not answer). */
  serverUnknown?: string;
  backups: BackupEntry[];
}

/** Every `.dump` in the folder, newest first; a folder that does not exist holds none. */
export async function listBackups(options: ListBackupsOptions): Promise<BackupList> {
  const dir = resolve(options.backupDir);
  const target = options.connection === undefined ? undefined : resolveConnection(options.connection);
  const tools = { env: target ? toolEnv(target.connection, options.env) : options.env, signal: options.signal };
  const pgRestore = await toolVersion('pg_restore', tools);
  let server: Version | undefined;
  let serverUnknown: string | undefined;
  if (target) {
    server = await withSession(
      target,
      { connectTimeoutMs: options.connectTimeoutMs ?? 5_000, waitMs: options.waitMs, signal: options.signal },
      serverVersion,
    ).catch((error: Error) => {
      serverUnknown = error.message;
      return undefined;
    });
  }
  const installation = server && (await restorability(server, tools));
  const names = (await readdir(dir).catch(() => [] as string[])).filter(
    (f) => f.endsWith('.dump') && !f.startsWith('.'),
  );
  const backups: BackupEntry[] = [];
  for (const name of names) {
    const file = join(dir, name);
    const st = await stat(file).catch(() => undefined);
    if (!st?.isFile()) continue;
    backups.push(await describe(file, name, st, tools, pgRestore, server, installation));
  }
  backups.sort((a, b) => b.takenAt.localeCompare(a.takenAt) || a.file.localeCompare(b.file));
  return {
    dir,
    pgRestore: pgRestore.text,
    ...(server ? { server: server.text } : {}),
    ...(serverUnknown ? { serverUnknown } : {}),
    backups,
  };
}

async function describe(
  file: string,
  name: string,
  st: { size: number; mtime: Date },
  tools: ToolEnv,
  pgRestore: Version,
  server: Version | undefined,
  installation: Restorability | undefined,
): Promise<BackupEntry> {
  const base = { file, bytes: st.size };
  const header = await readHeader(file, st.size, tools).catch((error: Error) => error);
  if (header instanceof Error) {
    const problem = /unsupported version/.test(header.message)
      ? `pg_restore ${pgRestore.text} cannot read it (${header.message}): restore it with the pg_restore of the PostgreSQL release whose pg_dump wrote it, or a newer one`
      : `pg_restore ${pgRestore.text} cannot read it: ${header.message}`;
    return { ...base, takenAt: st.mtime.toISOString(), restorable: false, problem };
  }
  const { database, createdAt, serverVersion: dumpedFrom, pgDumpVersion, format } = header;
  const at = database === undefined ? undefined : backupTime(name, database);
  const entry = {
    ...base,
    takenAt: (at ?? st.mtime).toISOString(),
    database,
    createdAt,
    serverVersion: dumpedFrom,
    pgDumpVersion,
    format,
  };
  const source = dumpedFrom === undefined ? undefined : parseVersion(dumpedFrom);
  if (server && source && source.major > server.major) {
    const problem = `dumped from PostgreSQL ${source.text}, newer than the server (PostgreSQL ${server.text}): PostgreSQL does not support loading a newer server's dump into an older one`;
    return { ...entry, restorable: false, problem };
  }
  if (installation?.problem)
    return { ...entry, restorable: false, method: installation.method, problem: installation.problem };
  return { ...entry, restorable: true, ...(installation ? { method: installation.method } : {}) };
}
