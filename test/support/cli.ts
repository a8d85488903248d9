// Spawns the real CLI (bin/migrate-tool.js) with a clean environment pointed at a test database,
// and checks on every run that the password never shows up in what it printed.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const BIN = fileURLToPath(new URL('../../bin/migrate-tool.js', import.meta.url));
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Sent as the password wherever the server does not need one, so a leak is detectable. */
export const SENTINEL_PASSWORD = 'Sentinel-Pw-7f3a9c';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  input?: string;
  timeoutMs?: number;
}

/** The POSTGRES_* variables that point the CLI at the database behind `url`. */
export function envFor(url: string): Record<string, string> {
  const u = new URL(url);
  return {
    POSTGRES_HOST: u.hostname,
    POSTGRES_PORT: u.port || '5432',
    POSTGRES_USER: decodeURIComponent(u.username),
    POSTGRES_PASSWORD: u.password ? decodeURIComponent(u.password) : SENTINEL_PASSWORD,
    POSTGRES_DB_PROD: u.pathname.slice(1),
  };
}

export function spawnCli(args: string[], opts: CliOptions = {}): ChildProcess {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' };
  for (const [k, v] of Object.entries(opts.env ?? {})) if (v !== undefined) env[k] = v;
  return spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, env, stdio: 'pipe' });
}

export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const child = spawnCli(args, opts);
  return collect(child, opts).then((result) => {
    assertNoPassword(result, opts.env);
    return result;
  });
}

export function collect(child: ChildProcess, opts: Pick<CliOptions, 'input' | 'timeoutMs'> = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  if (opts.input !== undefined) child.stdin?.end(opts.input);
  else child.stdin?.end();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`CLI did not finish in ${opts.timeoutMs ?? 45_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, opts.timeoutMs ?? 45_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export function assertNoPassword(result: Pick<CliResult, 'stdout' | 'stderr'>, env: CliOptions['env']) {
  const secrets = [SENTINEL_PASSWORD];
  if (env?.POSTGRES_PASSWORD) secrets.push(env.POSTGRES_PASSWORD);
  const url = env?.DATABASE_URL && URL.canParse(env.DATABASE_URL) ? new URL(env.DATABASE_URL) : undefined;
  if (url?.password) secrets.push(url.password, ...tryDecode(url.password));
  for (const secret of secrets) {
    expect(result.stdout, 'password leaked on stdout').not.toContain(secret);
    expect(result.stderr, 'password leaked on stderr').not.toContain(secret);
  }
}

function tryDecode(text: string): string[] {
  try {
    return [decodeURIComponent(text)];
  } catch {
    return []; // not valid percent-encoding: only the text as written can leak
  }
}
