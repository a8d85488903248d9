import { DEFAULTS } from '../../internal';
import { rollback } from '../../index';
import { intArg, stringFlag } from '../args';
import { confirmInProd } from '../confirm';
import { engineOptions, type Command, type CommandContext } from '../context';
import { executeRun, fleetRunSummary, renderRun, type Ran } from '../render-run';

export const down: Command<Ran> = {
  name: 'down',
  summary: 'roll back the N (default 1) most recent versions, in every schema that has them',
  usage: 'down [N] [--tenant S] [--dry-run] [--yes] [--blocker-timeout S]',
  flags: {
    steps: { type: 'string', value: 'N', desc: 'how many versions to roll back (same as the positional N)' },
    tenant: { type: 'string', value: 'S', desc: 'roll back only tenant schema S' },
    'blocker-timeout': {
      type: 'string',
      value: 'S',
      desc: `wait at most S seconds while another session holds a table a statement must lock, sending nothing meanwhile; then that schema fails, clean (default ${DEFAULTS.blockerTimeoutMs / 1000}; 0: no check)`,
    },
  },
  database: true,
  fleet: true,
  async execute(ctx) {
    const steps = stepsOf(ctx);
    await confirmInProd(ctx, `roll back ${steps} version${steps === 1 ? '' : 's'}`);
    return executeRun(ctx, steps, rollback);
  },
  render: renderRun,
  afterFleet: (outcomes, { elapsedMs }) => fleetRunSummary(outcomes, elapsedMs),
  /** The schemas the rollback's plan touches, each once. */
  async preview(ctx) {
    const { plan } = await rollback(engineOptions(ctx), {
      steps: stepsOf(ctx),
      tenant: stringFlag(ctx.args, 'tenant'),
      dryRun: true,
    });
    return new Set(plan.steps.flatMap((s) => s.schemas)).size;
  },
};

const stepsOf = (ctx: CommandContext) =>
  intArg(ctx.args.positionals[0] ?? stringFlag(ctx.args, 'steps'), 'N', { min: 1 }) ?? 1;
