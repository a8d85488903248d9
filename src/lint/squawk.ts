// Runs squawk (the binary inside squawk-cli's per-platform package, or beside a single-file
// bundle) and returns its findings with 1-based lines.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OperationError } from '../errors';
import { EXCLUDED_RULES } from './rules';
import { MODEL_RULES } from './lock-rules';

export interface SquawkFinding {
  file: string;
  /** 1-based. */
  line: number;
  column: number;
  rule: string;
  message: string;
  help?: string;
}

interface RawFinding {
  file: string;
  line: number;
  column: number;
  message: string;
  help?: string | null;
  rule_name: string;
}

export const SQUAWK_BINARY = process.platform === 'win32' ? 'squawk.exe' : 'squawk';

export function squawkPath(besideDir = dirname(fileURLToPath(import.meta.url))): string {
  const beside = join(besideDir, SQUAWK_BINARY);
  if (existsSync(beside)) return beside;
  const pkg = `@squawk-cli/${process.platform}-${process.arch}`;
  try {
    return createRequire(import.meta.url).resolve(`${pkg}/bin/${SQUAWK_BINARY}`);
  } catch {
    throw new OperationError(
      `squawk is not installed for ${process.platform}-${process.arch}`,
      'NO_SQUAWK',
      `run npm ci (it installs ${pkg} with squawk-cli)`,
    );
  }
}

/** Lints `files` in one run; `inTransaction` tells squawk that the runner wraps each file in a transaction. */
export async function runSquawk(files: string[], opts: { inTransaction: boolean }): Promise<SquawkFinding[]> {
  if (files.length === 0) return [];
  const args = [
    '--reporter',
    'json',
    `--exclude=${[...EXCLUDED_RULES, ...MODEL_RULES].join(',')}`,
    opts.inTransaction ? '--assume-in-transaction' : '--no-assume-in-transaction',
    ...files,
  ];
  const stdout = await new Promise<string>((resolve, reject) => {
    // squawk exits 1 whenever it found something; only missing output means it failed.
    execFile(squawkPath(), args, { maxBuffer: 64 * 1024 * 1024 }, (error, out, err) => {
      if (out.trim().startsWith('[')) resolve(out);
      else
        reject(new OperationError(`squawk failed: ${(err || error?.message || 'no output').trim()}`, 'SQUAWK_FAILED'));
    });
  });
  return (JSON.parse(stdout) as RawFinding[]).map((f) => ({
    file: f.file,
    line: f.line + 1,
    column: f.column + 1,
    rule: f.rule_name,
    message: f.message,
    help: f.help ?? undefined,
  }));
}
