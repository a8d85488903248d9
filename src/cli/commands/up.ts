import { OperationError, type MigrateToolError, migrate } from '../../index';
import { boolFlag, intArg, stringFlag } from '../args';
import type { Command, CommandContext } from '../context';
import { driftBeforeUp } from '../drift-gate';
import { lintBeforeUp } from '../lint-gate';
import { runAndReport } from '../render-run';
import { takeBackup } from './backup';

export const up: Command = {
  name: 'up',
  summary: 'apply all (or the next N) pending migrations, in public and every tenant schema',
  usage: 'up [N] [--tenant S] [--dry-run] [--backup] [--lint] [--check-drift [--allow-drift]] [--concurrency N] [--fail-fast]',
  flags: {
    steps: { type: 'string', value: 'N', desc: 'apply only the next N versions (same as the positional N)' },
    tenant: { type: 'string', value: 'S', desc: 'limit tenant work to schema S' },
    backup: { type: 'boolean', desc: 'take a backup first (as `backup` does); if it fails, migrate nothing' },
    lint: { type: 'boolean', desc: 'lint the migrations about to run first; an error-level finding stops the run' },
    'check-drift': { type: 'boolean', desc: 'check drift first: drifted tenant schemas are refused (failed), drifted public stops the run (exit 3)' },
    'allow-drift': { type: 'boolean', desc: 'check drift as --check-drift does, report it, then migrate every schema anyway' },
  },
  database: true,
  async run(ctx) {
    const steps = intArg(ctx.args.positionals[0] ?? stringFlag(ctx.args, 'steps'), 'N', { min: 1 });
    if (boolFlag(ctx.args, 'lint')) await lintBeforeUp(ctx, { steps, tenant: stringFlag(ctx.args, 'tenant') });
    // --allow-drift alone still checks: it asks for the report, just not for the refusal.
    const refuse = boolFlag(ctx.args, 'check-drift') || boolFlag(ctx.args, 'allow-drift') ? await driftBeforeUp(ctx) : undefined;
    if (boolFlag(ctx.args, 'backup') && !boolFlag(ctx.args, 'dry-run')) await backupFirst(ctx);
    return runAndReport(ctx, steps, migrate, { refuse });
  },
};

async function backupFirst(ctx: CommandContext): Promise<void> {
  try {
    await takeBackup(ctx, { toStderr: ctx.out.json });
  } catch (error) {
    const e = error as Partial<MigrateToolError> & Error;
    throw new OperationError(`Backup failed, so nothing was migrated: ${e.message}`, 'BACKUP_FAILED', e.advice, { cause: error });
  }
}
