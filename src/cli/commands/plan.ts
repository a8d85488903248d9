import { plan as planLocks } from '../../index';
import { EXIT } from '../../internal';
import { intArg, stringFlag } from '../args';
import { engineOptions, type Command } from '../context';
import { overLimit, overLimitLine, printPlan } from '../render-plan';

export const plan: Command = {
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
  async run(ctx) {
    const steps = intArg(ctx.args.positionals[0], 'N', { min: 1 });
    const maxMs = intArg(stringFlag(ctx.args, 'max-lock-ms'), '--max-lock-ms');
    const report = await planLocks(engineOptions(ctx), { steps, tenant: stringFlag(ctx.args, 'tenant') });
    ctx.out.data(report);
    printPlan(report, ctx.out);
    const over = maxMs === undefined ? [] : overLimit(report, maxMs);
    if (over.length) ctx.out.closing(overLimitLine(over, maxMs!));
    return over.length ? EXIT.pending : EXIT.ok;
  },
};
