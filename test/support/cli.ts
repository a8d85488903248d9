// The CLI for tests, two ways. runCli() runs an invocation in this process through the seam that
// main.ts calls (src/cli/run.ts), as main.ts would: a clean environment, .env read from the working
// folder, output collected; it costs no process start and no reload of the engine. runCliProcess()
// and spawnCli() start the real bin/migrate-tool.js, for what only a process shows: signals, exit,
// the process's own reading of .env and argv. Both check that the password never shows up.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { runInvocation } from '../../src/cli/run';
import { inFolder } from './in-folder';

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
  /** In-process only: run as main.ts would in a container (it looks for /.dockerenv). */
  inContainer?: boolean;
  /** In-process only: a person at a terminal, who answers the CLI's questions with this. */
  ask?: (question: string) => Promise<string>;
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
  return spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, env: cleanEnv(opts), stdio: 'pipe' });
}

/** The CLI's environment in a test: only PATH, HOME and what the test gives, as spawnCli gives a process. */
function cleanEnv(opts: CliOptions): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' };
  for (const [k, v] of Object.entries(opts.env ?? {})) if (v !== undefined) env[k] = v;
  return env;
}

/** One invocation in this process, as main.ts makes it: no signal; no terminal and no container unless asked. */
export async function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const result = await inFolder(opts.cwd ?? ROOT, async (cwd) => {
    // As main.ts: the file's bytes, which run.ts reads strictly (a line it cannot read is an error).
    const dotenvFile = existsSync(join(cwd, '.env')) ? readFileSync(join(cwd, '.env')) : undefined;
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (d) => (out += d));
    stderr.on('data', (d) => (err += d));
    const code = await runInvocation({
      argv: args,
      env: cleanEnv(opts),
      cwd,
      dotenvFile,
      streams: { stdout, stderr },
      signal: new AbortController().signal,
      hardSignal: new AbortController().signal,
      interactive: opts.ask !== undefined,
      inContainer: opts.inContainer ?? false,
      ask: opts.ask ?? (() => Promise.reject(new Error('the CLI asked a question without a terminal'))),
    });
    return { code: code as number, signal: null, stdout: out, stderr: err };
  });
  assertNoPassword(result, opts.env);
  return result;
}

/** One invocation as a process of its own (bin/migrate-tool.js), for what only a process shows. */
export async function runCliProcess(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const result = await collect(spawnCli(args, opts), opts);
  assertNoPassword(result, opts.env);
  return result;
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
