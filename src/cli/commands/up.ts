import { OperationError, UsageError, type MigrateToolError, migrate, type RunOptions } from '../../index';
import { boolFlag, intArg, stringFlag } from '../args';
import { engineOptions, type Command, type CommandContext } from '../context';
import { driftBeforeUp } from '../drift-gate';
import { rolloutFromArgs, rolloutUp } from '../fleet-waves';
import { lintBeforeUp } from '../lint-gate';
import { runAndReport } from '../render-run';
import { takeBackup } from './backup';

export const up: Command = {
  name: 'up',
  summary: 'apply all (or the next N) pending migrations, in public and every tenant schema',
  usage:
    'up [N] [--tenant S] [--dry-run] [--backup] [--lint] [--check-drift [--allow-drift]] [--concurrency N] [--fail-fast] [--canary LIST] [--waves N|P%] [--soak DURATION] [--gate CMD] [--largest-last MS] [--tenant-spares N]',
  flags: {
    steps: { type: 'string', value: 'N', desc: 'apply only the next N versions (same as the positional N)' },
    tenant: { type: 'string', value: 'S', desc: 'limit tenant work to schema S' },
    backup: { type: 'boolean', desc: 'take a backup first (as `backup` does); if it fails, migrate nothing' },
    lint: { type: 'boolean', desc: 'lint the migrations about to run first; an error-level finding stops the run' },
    'check-drift': { type: 'boolean', desc: 'check drift first: drifted tenant schemas are refused (failed), drifted public stops the run (exit 3)' },
    'allow-drift': { type: 'boolean', desc: 'check drift as --check-drift does, report it, then migrate every schema anyway' },
    canary: {
      type: 'string',
      value: 'LIST',
      desc: 'staged rollout: these tenant schemas (target:schema in a fleet), or the first N pending, go first and alone',
    },
    waves: { type: 'string', value: 'N|P%', desc: 'staged rollout: then N schemas (or P% of them) per wave, each after the previous one succeeded' },
    'failure-budget': { type: 'string', value: 'N|P%', desc: 'failed schemas a wave may have before the rollout stops (default 0)' },
    pause: { type: 'boolean', desc: 'ask on the terminal before each wave' },
    soak: { type: 'string', value: 'DURATION', desc: 'staged rollout: after the canary and each wave, wait this long (30s, 10m, 1h), then the gate' },
    gate: { type: 'string', value: 'CMD', desc: 'staged rollout: after each stage (and its soak) run CMD in the shell; exit 0 lets the next stage start' },
    'largest-last': {
      type: 'string',
      value: 'MS',
      desc: 'staged rollout: the schemas where `plan` estimates a lock held over MS ms go last, in a wave of their own',
    },
    'tenant-spares': {
      type: 'string',
      value: 'N',
      desc: 'keep N spare tenant schemas built for migrateTenant() to take at sign-up (or set TENANT_SPARES; default 0)',
    },
  },
  database: true,
  async run(ctx) {
    const steps = intArg(ctx.args.positionals[0] ?? stringFlag(ctx.args, 'steps'), 'N', { min: 1 });
    const spec = rolloutFromArgs(ctx.args);
    // --allow-drift alone still checks: it asks for the report, just not for the refusal.
    const checkDrift = boolFlag(ctx.args, 'check-drift') || boolFlag(ctx.args, 'allow-drift');
    // A rollout plans its own waves of schemas; drift refusals are not threaded through it yet.
    if (spec && checkDrift)
      throw new UsageError('--check-drift and --allow-drift cannot be combined with --canary or --waves yet', 'run `migrate-tool drift` before the rollout');
    if (boolFlag(ctx.args, 'lint')) await lintBeforeUp(ctx, { steps, tenant: stringFlag(ctx.args, 'tenant') });
    const refuse = checkDrift ? await driftBeforeUp(ctx) : undefined;
    if (boolFlag(ctx.args, 'backup') && !boolFlag(ctx.args, 'dry-run')) await backupFirst(ctx, steps, refuse);
    if (spec) {
      const self = { name: ctx.config.connection!.database, connection: ctx.config.connection!, labels: {} };
      return rolloutUp(ctx, [self], () => ctx, spec, false, { failFast: boolFlag(ctx.args, 'fail-fast'), signal: ctx.signal });
    }
    return runAndReport(ctx, steps, migrate, { refuse });
  },
};

/**
 * The backup before a run, when the run will change something: a dump of a large database taken
 * before `no change` costs its time and a slot in the retention for nothing. (What a run finds is
 * planned again under its lock: a schema created in between is caught up without a backup, empty.)
 */
async function backupFirst(ctx: CommandContext, steps: number | undefined, refuse: RunOptions['refuse']): Promise<void> {
  const { plan } = await migrate(engineOptions(ctx), { steps, tenant: stringFlag(ctx.args, 'tenant'), refuse, dryRun: true });
  if (plan.steps.length === 0) {
    const line = 'Nothing to migrate, so no backup was taken (--backup)';
    if (ctx.out.json) ctx.out.note(line);
    else ctx.out.print(line);
    return;
  }
  try {
    await takeBackup(ctx, { toStderr: ctx.out.json });
  } catch (error) {
    const e = error as Partial<MigrateToolError> & Error;
    throw new OperationError(`Backup failed, so nothing was migrated: ${e.message}`, 'BACKUP_FAILED', e.advice, { cause: error });
  }
}
