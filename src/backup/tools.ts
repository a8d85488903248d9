// Running PostgreSQL's client tools (pg_dump, pg_restore): their environment, which carries the
// connection and the password (never the argument list), their version, and one run with a
// bounded capture of what they print.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Connection } from '../config/connection';
import { OperationError } from '../errors';
import type { Queryable } from '../db/queryable';

export type Tool = 'pg_dump' | 'pg_restore' | 'psql';

export interface ToolEnv {
  /** The environment the tools start from (PATH, locale, PGSSLROOTCERT...). */
  env?: Record<string, string | undefined>;
  signal?: AbortSignal;
}

/**
 * The tool's environment: the connection as libpq variables, the password as PGPASSWORD. Without
 * a `base`, the tools inherit this process's environment as any child process would: PATH finds
 * them, the locale and TLS files apply.
 */
export function toolEnv(c: Connection, base: Record<string, string | undefined> = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
  // A service file from the outer environment must not redirect the tool, and the tool needs
  // no copy of this tool's own settings that hold the password.
  for (const k of ['PGSERVICE', 'PGSERVICEFILE', 'PGHOSTADDR', 'POSTGRES_PASSWORD', 'DATABASE_URL']) delete env[k];
  Object.assign(env, {
    PGHOST: c.host,
    PGPORT: String(c.port),
    PGUSER: c.user,
    PGDATABASE: c.database,
    PGAPPNAME: 'migrate-tool',
    PGCONNECT_TIMEOUT: '10',
  });
  if (c.password !== undefined) env.PGPASSWORD = c.password;
  if (c.sslMode) env.PGSSLMODE = c.sslMode;
  return env;
}

export interface Version {
  text: string;
  major: number;
}

export function parseVersion(text: string): Version | undefined {
  const m = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(text) ?? /(\d+)\.(\d+)/.exec(text);
  return m ? { text: `${m[1]}${m[2] === undefined ? '' : `.${m[2]}`}`, major: Number(m[1]) } : undefined;
}

export async function toolVersion(tool: Tool, opts: ToolEnv): Promise<Version> {
  const r = await runTool(tool, ['--version'], opts);
  const v = r.code === 0 ? parseVersion(r.stdout) : undefined;
  if (!v)
    throw new OperationError(
      `Could not read the version of ${tool} (${r.stderr.trim() || r.stdout.trim() || `exit ${r.code}`})`,
      'TOOL_BROKEN',
      `check the ${tool} found on PATH`,
    );
  return v;
}

export async function serverVersion(client: Queryable): Promise<Version> {
  const r = await client.query<{ num: string; text: string }>(
    `SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS text`,
  );
  const num = Number(r.rows[0]!.num);
  return { text: r.rows[0]!.text.split(' ')[0]!, major: Math.floor(num / 10000) };
}

/** pg_dump refuses to dump a server of a newer major version: say so, and what to install, before trying. */
export function checkDumpVersion(dump: Version, server: Version): void {
  if (dump.major >= server.major) return;
  throw new OperationError(
    `pg_dump ${dump.text} is older than the server (PostgreSQL ${server.text}): pg_dump cannot dump a server of a newer major version`,
    'PG_DUMP_TOO_OLD',
    `install the PostgreSQL ${server.major} client (Debian/Ubuntu: apt-get install postgresql-client-${server.major}, from the PostgreSQL apt repository where the distribution lacks it) and put its bin folder first on PATH (e.g. /usr/lib/postgresql/${server.major}/bin)`,
  );
}

export interface ToolRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunToolOptions extends ToolEnv {
  /** Each line of stdout; without it, the end of stdout is kept in the result. */
  onLine?: (line: string) => void;
  onSpawn?: (child: ChildProcess) => void;
}

const KEEP_CHARS = 64 * 1024;

/** Runs a tool to completion; a tool that is not installed becomes an error that says what to install. */
export function runTool(tool: Tool, args: string[], opts: RunToolOptions = {}): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, {
      env: opts.env as NodeJS.ProcessEnv | undefined,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (!opts.onLine) return void (stdout = stdout.slice(-KEEP_CHARS));
      const lines = stdout.split('\n');
      stdout = lines.pop()!;
      for (const line of lines) opts.onLine(line);
    });
    child.stdout.on('end', () => {
      if (opts.onLine && stdout) opts.onLine(stdout);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-KEEP_CHARS)));
    const abort = () => child.kill('SIGTERM');
    opts.signal?.addEventListener('abort', abort, { once: true });
    child.on('error', (error: NodeJS.ErrnoException) => {
      opts.signal?.removeEventListener('abort', abort);
      reject(error.code === 'ENOENT' ? toolNotFound(tool) : error);
    });
    child.on('close', (code, signal) => {
      opts.signal?.removeEventListener('abort', abort);
      resolve({ code, signal, stdout, stderr });
    });
    opts.onSpawn?.(child);
  });
}

export function toolNotFound(tool: Tool): OperationError {
  return new OperationError(
    `${tool} was not found on PATH`,
    'TOOL_NOT_FOUND',
    `install the PostgreSQL client tools (Debian/Ubuntu: apt-get install postgresql-client-<server major version>) or add their bin folder to PATH`,
    { facts: { tool } },
  );
}

/** The last lines a failing tool printed, for an error message. */
export function tail(text: string, lines = 5): string {
  return text.trim().split('\n').slice(-lines).join(' / ');
}
