// Timing and memory of child processes, and the small statistics and formatting the reports use.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const GNU_TIME = '/usr/bin/time';

export interface ProcessRun {
  code: number | null;
  ms: number;
  /** Peak resident set size of the process, in MB (VmHWM). */
  peakRssMb?: number;
  /** CPU time (user + system) the process used, where GNU time measured it. */
  cpuMs?: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  input?: string;
  /** Measure peak RSS (default true). Off, nothing wraps or polls the process. */
  measureRss?: boolean;
}

/**
 * Runs a command to completion and measures its wall time and peak RSS: through GNU time's
 * maxrss where it exists, else by polling VmHWM in /proc (which can miss a peak in the last few ms).
 */
export async function runProcess(cmd: string, args: string[], opts: RunOptions = {}): Promise<ProcessRun> {
  const measure = opts.measureRss ?? true;
  const useTime = measure && existsSync(GNU_TIME);
  const dir = useTime ? await mkdtemp(join(tmpdir(), 'bench-time-')) : undefined;
  const rssFile = dir ? join(dir, 'rss') : undefined;
  const [file, argv] = rssFile ? [GNU_TIME, ['-f', '%M %U %S', '-o', rssFile, cmd, ...args]] : [cmd, args];
  const started = performance.now();
  const child = spawn(file, argv, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  let polledKb = 0;
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  child.stdin.end(opts.input ?? '');
  const poll =
    rssFile || !measure
      ? undefined
      : setInterval(() => void readHwmKb(child.pid).then((kb) => (polledKb = Math.max(polledKb, kb))), 20);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c) => resolve(c));
  });
  const ms = performance.now() - started;
  if (poll) clearInterval(poll);
  let peakKb = polledKb;
  let cpuMs: number | undefined;
  if (rssFile) {
    // The last line is ours; a killed command's status line may come before it.
    const text = await readFile(rssFile, 'utf8').catch(() => '');
    const [kb, user, sys] = (text.trim().split('\n').at(-1) ?? '').split(' ').map(Number);
    peakKb = kb || 0;
    if (user !== undefined && sys !== undefined && !Number.isNaN(user + sys)) cpuMs = (user + sys) * 1000;
    await rm(dir!, { recursive: true, force: true });
  }
  return { code, ms, peakRssMb: peakKb ? peakKb / 1024 : undefined, cpuMs, stdout, stderr };
}

async function readHwmKb(pid: number | undefined): Promise<number> {
  if (!pid) return 0;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

/** Throws with the command's output when it did not exit 0. */
export function mustSucceed(what: string, run: ProcessRun): ProcessRun {
  if (run.code !== 0)
    throw new Error(`${what} exited ${run.code}\n${run.stdout.slice(-2000)}\n${run.stderr.slice(-2000)}`);
  return run;
}

export function median(values: number[]): number {
  return percentile(values, 50);
}

/** Nearest-rank percentile. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

export function seconds(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 1000).toFixed(2)} s`;
}

export function millis(ms: number): string {
  return `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
}

export function ratio(a: number, b: number): string {
  return `${(a / b).toFixed(2)}×`;
}

/** A plain text table: the first row is the header; columns are padded to fit. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}
