// `lint`: squawk over migration files, each linted the way the runner will run it (inside a
// transaction, or not for `-- migrate:no-transaction` files), with this tool's levels.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors';
import { migrate, type RunOptions } from '../migrations/api';
import type { EngineOptions } from '../migrations/options';
import { concurrentStatements } from '../migrations/file-checks';
import { isNoTransaction, splitStatements } from '../migrations/sql-split';
import { isMachineWritten, levelOf, TYPE_CHOICE_RULES, type Level } from './rules';
import { runSquawk, type SquawkFinding } from './squawk';
import { lockFindings } from './lock-rules';

export interface Finding extends SquawkFinding {
  level: Level;
}

export interface LintReport {
  files: string[];
  findings: Finding[];
  errors: number;
  warnings: number;
}

export async function lintFiles(files: string[]): Promise<LintReport> {
  const transactional: string[] = [];
  const outside: string[] = [];
  const own: SquawkFinding[] = [];
  const machineWritten = new Set<string>();
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      throw new UsageError(
        `Cannot read ${file}`,
        'name existing .sql files, or run lint without files for the pending migrations',
        'LINT_NO_FILE',
      );
    }
    if (isMachineWritten(text)) machineWritten.add(file);
    own.push(...(await lockFindings(file, text)));
    if (isNoTransaction(text)) outside.push(file);
    else {
      transactional.push(file);
      own.push(...concurrentlyInTransaction(file, text));
    }
  }
  const squawked = (
    await Promise.all([runSquawk(transactional, { inTransaction: true }), runSquawk(outside, { inTransaction: false })])
  ).flat();
  // Where squawk does catch CONCURRENTLY in a transaction, its finding stands and ours goes.
  const seen = new Set(squawked.map((f) => `${f.file}:${f.line}:${f.rule}`));
  const found = [...squawked, ...own.filter((f) => !seen.has(`${f.file}:${f.line}:${f.rule}`))];
  const order = new Map(files.map((f, i) => [f, i]));
  const findings = found
    .filter((f) => !(machineWritten.has(f.file) && TYPE_CHOICE_RULES.includes(f.rule)))
    .map((f) => ({ ...f, level: levelOf(f.rule) }))
    .sort((a, b) => (order.get(a.file) ?? 0) - (order.get(b.file) ?? 0) || a.line - b.line || a.column - b.column);
  const errors = findings.filter((f) => f.level === 'error').length;
  return { files, findings, errors, warnings: findings.length - errors };
}

/** The up files that `up` would apply now (same plan, nothing changed). */
export async function pendingFiles(options: EngineOptions, run: RunOptions = {}): Promise<string[]> {
  const { plan, folder } = await migrate(options, { ...run, dryRun: true });
  // A step recorded without running (a baseline, see migrations/baseline.ts) runs no SQL to lint.
  return plan.steps.filter((s) => !s.recordOnly).map((s) => join(folder.dir, s.migration.up.file));
}

/**
 * squawk 2.61 does not flag CONCURRENTLY in a file it is told runs in a transaction, but
 * PostgreSQL refuses it there: the runner would fail on it (and loading the folder refuses it).
 */
function concurrentlyInTransaction(file: string, text: string): SquawkFinding[] {
  return concurrentStatements(splitStatements(text)).map((s) => ({
    file,
    line: s.line,
    column: 1,
    rule: 'ban-concurrent-index-creation-in-transaction',
    message: 'CONCURRENTLY cannot run inside a transaction, and this file runs in one.',
    help: 'put the statement in its own migration whose first line is -- migrate:no-transaction',
  }));
}
