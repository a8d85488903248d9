import { lintFiles, pendingFiles } from '../../index';
import { EXIT } from '../../internal';
import type { Command } from '../context';
import { engineOptions } from '../context';
import { findingLines, lintSummary } from '../render-lint';

export const lint: Command = {
  name: 'lint',
  summary: 'lint the pending (or the named) migrations for dangerous operations; exit 1 on an error',
  usage: 'lint [FILE...] [--json]',
  // Named files need no database; "pending" is known only from the database.
  database: (args) => args.positionals.length === 0,
  async run(ctx) {
    const files = ctx.args.positionals.length ? ctx.args.positionals : await pendingFiles(engineOptions(ctx));
    if (files.length === 0) {
      ctx.out.data({ files: [], findings: [], errors: 0, warnings: 0 });
      ctx.out.print('No pending migrations to lint');
      return EXIT.ok;
    }
    const report = await lintFiles(files);
    ctx.out.data(report);
    for (const line of findingLines(report, ctx.cwd)) ctx.out.print(line);
    ctx.out.print(lintSummary(report));
    return report.errors > 0 ? EXIT.failed : EXIT.ok;
  },
};
