import { checkContractsOverFleet, DEFAULTS } from '../../internal';
import {
  OperationError,
  UsageError,
  type MigrateToolError,
  migrate,
  type RolloutSpec,
  type RunOptions,
} from '../../index';
import { boolFlag, intArg, stringFlag, type ParsedArgs } from '../args';
import { engineOptions, type Command, type CommandContext } from '../context';
import { driftBeforeUp } from '../drift-gate';
import { rolloutFromArgs, rolloutUp } from '../fleet-waves';
import { lintBeforeUp } from '../lint-gate';
import { executeRun, fleetRunSummary, renderRun, type Ran } from '../render-run';
import { takeBackup } from './backup';

export const up: Command<Ran> = {
  name: 'up',
  summary: 'apply all (or the next N) pending migrations, in public and every tenant schema',
  usage:
    'up [N] [--contract] [--tenant S] [--dry-run] [--backup] [--lint] [--check-drift [--allow-drift]] [--concurrency N] [--fail-fast] [--canary LIST] [--waves N|P%] [--soak DURATION] [--gate CMD] [--largest-last MS] [--tenant-spares N] [--blocker-timeout S] [--backfill-batch N] [--backfill-pause MS] [--max-replica-lag T]',
  flags: {
    steps: { type: 'string', value: 'N', desc: 'apply only the next N versions (same as the positional N)' },
    tenant: { type: 'string', value: 'S', desc: 'limit tenant work to schema S' },
    contract: {
      type: 'boolean',
      desc: 'also run -- migrate:contract files, once every schema (every target) has every version before them; refused otherwise',
    },
    backup: { type: 'boolean', desc: 'take a backup first (as `backup` does); if it fails, migrate nothing' },
    lint: { type: 'boolean', desc: 'lint the migrations about to run first; an error-level finding stops the run' },
    'check-drift': {
      type: 'boolean',
      desc: 'check drift first: drifted tenant schemas are refused (failed), drifted public stops the run (exit 3)',
    },
    'allow-drift': {
      type: 'boolean',
      desc: 'check drift as --check-drift does, report it, then migrate every schema anyway',
    },
    canary: {
      type: 'string',
      value: 'LIST',
      desc: 'staged rollout: these tenant schemas (target:schema in a fleet), or the first N pending, go first and alone',
    },
    waves: {
      type: 'string',
      value: 'N|P%',
      desc: 'staged rollout: then N schemas (or P% of them) per wave, each after the previous one succeeded',
    },
    'failure-budget': {
      type: 'string',
      value: 'N|P%',
      desc: 'failed schemas a wave may have before the rollout stops (default 0)',
    },
    pause: { type: 'boolean', desc: 'ask on the terminal before each wave' },
    soak: {
      type: 'string',
      value: 'DURATION',
      desc: 'staged rollout: after the canary and each wave, wait this long (30s, 10m, 1h), then the gate',
    },
    gate: {
      type: 'string',
      value: 'CMD',
      desc: 'staged rollout: after each stage (and its soak) run CMD in the shell; exit 0 lets the next stage start',
    },
    'blocker-timeout': {
      type: 'string',
      value: 'S',
      desc: `wait at most S seconds while another session holds a table a statement must lock, sending nothing meanwhile; then that schema fails, clean (default ${DEFAULTS.blockerTimeoutMs / 1000}; 0: no check)`,
    },
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
    'backfill-batch': {
      type: 'string',
      value: 'N',
      desc: '-- migrate:backfill files: rows per batch, each batch its own transaction (default 1000)',
    },
    'backfill-pause': {
      type: 'string',
      value: 'MS',
      desc: '-- migrate:backfill files: wait MS milliseconds between batches (default 0)',
    },
    'max-replica-lag': {
      type: 'string',
      value: 'T',
      desc: '-- migrate:backfill files: pause while a replica replays more than T behind (500ms, 2s)',
    },
  },
  database: true,
  fleet: true,
  async execute(ctx) {
    const steps = intArg(ctx.args.positionals[0] ?? stringFlag(ctx.args, 'steps'), 'N', { min: 1 });
    // --allow-drift alone still checks: it asks for the report, just not for the refusal.
    const checkDrift = boolFlag(ctx.args, 'check-drift') || boolFlag(ctx.args, 'allow-drift');
    if (boolFlag(ctx.args, 'lint')) await lintBeforeUp(ctx, { steps, tenant: stringFlag(ctx.args, 'tenant') });
    const refuse = checkDrift ? await driftBeforeUp(ctx) : undefined;
    if (boolFlag(ctx.args, 'backup') && !boolFlag(ctx.args, 'dry-run')) await backupFirst(ctx, steps, refuse);
    return executeRun(ctx, steps, migrate, { refuse, contract: boolFlag(ctx.args, 'contract') });
  },
  render: renderRun,
  afterFleet: (outcomes, { elapsedMs }) => fleetRunSummary(outcomes, elapsedMs),
  /**
   * A rollout (flags, or the targets file's) takes the whole fleet, a targets file's or one
   * database as a fleet of one; otherwise each target runs its own `up`.
   */
  async wholeFleet(ctx) {
    const { fleet } = ctx;
    const spec = rolloutOf(ctx.args, fleet.rollout);
    if (spec) {
      await beforeRollout(fleet.targets.map(fleet.contextFor));
      return rolloutUp(ctx, fleet.targets, fleet.contextFor, spec, fleet.fromFile, fleet.options);
    }
    // Every target is read before a contract file runs anywhere (fleet/contract.ts); one database checks its own.
    if (fleet.fromFile && boolFlag(ctx.args, 'contract') && !boolFlag(ctx.args, 'dry-run'))
      await checkContractsOverFleet(fleet.targets, fleet.options, (t) => engineOptions(fleet.contextFor(t)));
    return undefined;
  },
};

/** What a rollout does not take, over a fleet or one database, and what to run instead. */
const NOT_WITH_ROLLOUT: Record<string, string> = {
  contract: 'finish the rollout, then run `migrate-tool up --contract`',
  'check-drift': 'run `migrate-tool drift` first (over the fleet, too), then the rollout',
  'allow-drift': 'run `migrate-tool drift` first (over the fleet, too), then the rollout',
};

/**
 * What --lint and --backup do before a rollout, in each database (a fleet's, or the one): the
 * pending files are linted and an error stops everything; then each database with work is backed
 * up, and a failed backup stops everything, before any stage has run anywhere.
 */
async function beforeRollout(contexts: CommandContext[]): Promise<void> {
  const [first] = contexts;
  if (first && boolFlag(first.args, 'lint')) for (const c of contexts) await lintBeforeUp(c, {});
  if (first && boolFlag(first.args, 'backup') && !boolFlag(first.args, 'dry-run'))
    for (const c of contexts) await backupFirst(c, undefined, undefined);
}

/** The staged rollout asked for (flags win over the targets file's), refused with what it does not take. */
function rolloutOf(args: ParsedArgs, fromFile?: RolloutSpec): RolloutSpec | undefined {
  const spec = rolloutFromArgs(args, fromFile);
  const flag = spec && Object.keys(NOT_WITH_ROLLOUT).find((f) => boolFlag(args, f));
  if (flag)
    throw new UsageError(
      `--${flag} cannot be combined with --canary or --waves, nor with a targets file's rollout`,
      NOT_WITH_ROLLOUT[flag],
      'BAD_ROLLOUT',
    );
  return spec;
}

/**
 * The backup before a run, when the run will change something: a dump of a large database taken
 * before `no change` costs its time and a slot in the retention for nothing. (What a run finds is
 * planned again under its lock: a schema created in between is caught up without a backup, empty.)
 */
async function backupFirst(
  ctx: CommandContext,
  steps: number | undefined,
  refuse: RunOptions['refuse'],
): Promise<void> {
  const { plan } = await migrate(engineOptions(ctx), {
    steps,
    tenant: stringFlag(ctx.args, 'tenant'),
    refuse,
    dryRun: true,
  });
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
    throw new OperationError(`Backup failed, so nothing was migrated: ${e.message}`, 'BACKUP_FAILED', e.remedy, {
      cause: error,
    });
  }
}
