import { lintFiles, pendingFiles, type LintReport } from '../../index';
import { EXIT } from '../../internal';
import type { Command } from '../context';
import { engineOptions } from '../context';
import { findingLines, lintSummary } from '../render-lint';

/** The report; undefined when nothing is pending (nothing was linted). */
export const lint: Command<LintReport | undefined> = {
  name: 'lint',
  summary: 'lint the pending (or the named) migrations for dangerous operations; exit 1 on an error',
  usage: 'lint [FILE...] [--json]',
  // Named files need no database; "pending" is known only from the database.
  database: (args) => args.positionals.length === 0,
  async execute(ctx) {
    const files = ctx.args.positionals.length ? ctx.args.positionals : await pendingFiles(engineOptions(ctx));
    return files.length ? lintFiles(files) : undefined;
  },
  render(report, ctx) {
    if (!report)
      return {
        doc: { files: [], findings: [], errors: 0, warnings: 0 },
        lines: ['No pending migrations to lint'],
        code: EXIT.ok,
      };
    return {
      doc: report,
      lines: [...findingLines(report, ctx.cwd), lintSummary(report)],
      code: report.errors > 0 ? EXIT.failed : EXIT.ok,
    };
  },
};
