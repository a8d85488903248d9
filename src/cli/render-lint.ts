// Text rendering of lint findings, shared by `lint`, `up --lint` and `diff`.
import { relative } from 'node:path';
import type { LintReport } from '../index';

/** One line per finding, `file:line:column: level rule: message`, then its help indented. */
export function findingLines(report: LintReport, cwd: string): string[] {
  return report.findings.flatMap((f) => [
    `${relative(cwd, f.file) || f.file}:${f.line}:${f.column}: ${f.level} ${f.rule}: ${f.message}`,
    ...(f.help ? [`  help: ${f.help}`] : []),
  ]);
}

export function lintSummary(report: LintReport): string {
  const files = `${report.files.length} file${report.files.length === 1 ? '' : 's'}`;
  if (report.findings.length === 0) return `No problems found in ${files}`;
  return `${report.errors} error${report.errors === 1 ? '' : 's'}, ${report.warnings} warning${report.warnings === 1 ? '' : 's'} in ${files}`;
}
