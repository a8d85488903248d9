// `up --lint`: lints exactly what `up` would apply, before anything (a backup included) is done;
// an error-level finding stops the run.
import { OperationError, lintFiles, pendingFiles, type PlanOptions } from '../index';
import { engineOptions, type CommandContext } from './context';
import { findingLines, lintSummary } from './render-lint';

export async function lintBeforeUp(ctx: CommandContext, run: PlanOptions): Promise<void> {
  const files = await pendingFiles(engineOptions(ctx), run);
  if (files.length === 0) return;
  const report = await lintFiles(files);
  // On stderr: stdout stays the run's own output (or its JSON document).
  for (const line of findingLines(report, ctx.cwd)) ctx.out.note(line);
  ctx.out.note(`Lint: ${lintSummary(report)}`);
  if (report.errors > 0) {
    throw new OperationError(
      `Lint found ${report.errors} error-level problem${report.errors === 1 ? '' : 's'} in the pending migrations, so nothing was migrated`,
      'LINT_FAILED',
      'fix the files named (docs/diff-lint-test.md explains each rule), or run up without --lint to apply them as they are',
    );
  }
}
