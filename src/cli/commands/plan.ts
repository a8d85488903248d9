import { plan as planLocks, type LockPlan } from '../../index';
import { EXIT } from '../../internal';
import { intArg, stringFlag } from '../args';
import { engineOptions, type Command, type CommandContext } from '../context';
import { Lines } from '../show';
import { overLimit, overLimitLine, printPlan } from '../render-plan';

export const plan: Command<LockPlan> = {
  name: 'plan',
  summary:
    'for each pending statement: the table, its lock, rewrite or scan, and per schema the size and an estimate of the lock time',
  usage: 'plan [N] [--tenant S] [--max-lock-ms N] [--json]',
  flags: {
    tenant: { type: 'string', value: 'S', desc: 'plan tenant work for schema S only' },
    'max-lock-ms': {
      type: 'string',
      value: 'N',
      desc: 'exit 3 when any estimate of a lock held exceeds N ms (a CI gate)',
    },
  },
  database: true,
  fleet: true,
  execute(ctx) {
    const steps = intArg(ctx.args.positionals[0], 'N', { min: 1 });
    maxLockMs(ctx); // a bad --max-lock-ms is refused before connecting
    return planLocks(engineOptions(ctx), { steps, tenant: stringFlag(ctx.args, 'tenant') });
  },
  render(report, ctx) {
    const lines = new Lines();
    printPlan(report, lines);
    const maxMs = maxLockMs(ctx);
    const over = maxMs === undefined ? [] : overLimit(report, maxMs);
    if (over.length) lines.closing(overLimitLine(over, maxMs!));
    return { doc: report, lines: lines.lines, code: over.length ? EXIT.pending : EXIT.ok };
  },
};

const maxLockMs = (ctx: CommandContext) => intArg(stringFlag(ctx.args, 'max-lock-ms'), '--max-lock-ms');
