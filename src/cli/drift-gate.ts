// `up --check-drift`: drift is checked before anything runs. A drifted tenant schema is refused and
// reported as failed, like a dirty one (exit 1), while the others migrate; drifted public stops the
// whole run before anything is touched (exit 3), since every later migration may build on it.
// `--allow-drift` reports the drift and migrates anyway.
import { drift, DriftError, type RunOptions } from '../index';
import { boolFlag } from './args';
import { engineOptions, type CommandContext } from './context';
import { summaryLine } from './commands/drift';

export async function driftBeforeUp(ctx: CommandContext): Promise<RunOptions['refuse']> {
  // Every schema, whatever --tenant says: public's drift matters to a tenant's run too.
  const report = await drift(engineOptions(ctx));
  if (report.groups.length === 0 && report.unchecked.length === 0) {
    ctx.out.note(
      `Drift check: every schema matches its recorded migrations (${report.checked.toLocaleString('en-US')} checked)`,
    );
    return [];
  }
  ctx.out.note(`Drift check: ${summaryLine(report)}`);
  if (boolFlag(ctx.args, 'allow-drift')) {
    ctx.out.note('drift allowed (--allow-drift): migrating every schema anyway');
    return [];
  }
  if (report.public && report.public !== 'match') {
    const why =
      report.groups.find((g) => g.schemas.includes('public'))?.summary ??
      report.unchecked.find((u) => u.schemas.includes('public'))?.reason;
    throw new DriftError(
      `public has drifted from its recorded migrations (${why}); nothing was migrated`,
      'see `migrate-tool drift`, bring public back to what its migrations build (or record the change in a migration), or run up with --allow-drift',
    );
  }
  const advice = (s: string) => `see \`migrate-tool drift --tenant ${s}\`, or run up with --allow-drift`;
  return [
    ...report.groups.flatMap((g) =>
      g.schemas.map((s) => ({
        schema: s,
        reason: `${s} has drifted from its recorded migrations (${g.summary}); nothing was run there; ${advice(s)}`,
      })),
    ),
    ...report.unchecked.flatMap((u) =>
      u.schemas.map((s) => ({
        schema: s,
        reason: `${s} could not be checked for drift (${u.reason}); nothing was run there; ${advice(s)}`,
      })),
    ),
  ];
}
