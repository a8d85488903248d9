import { EXIT } from '../../errors';
import { rollback } from '../../migrations/api';
import { boolFlag, intArg, stringFlag } from '../args';
import { confirmInProd } from '../confirm';
import { engineOptions, type Command } from '../context';
import { eventPrinter, printDryRun, printRunResult } from '../render-run';

export const down: Command = {
  name: 'down',
  summary: 'roll back the N (default 1) most recent versions, in every schema that has them',
  usage: 'down [N] [--tenant S] [--dry-run] [--yes]',
  flags: {
    steps: { type: 'string', value: 'N', desc: 'how many versions to roll back (same as the positional N)' },
    tenant: { type: 'string', value: 'S', desc: 'roll back only tenant schema S' },
  },
  database: true,
  async run(ctx) {
    const steps = intArg(ctx.args.positionals[0] ?? stringFlag(ctx.args, 'steps'), 'N', { min: 1 }) ?? 1;
    await confirmInProd(ctx, `roll back ${steps} version${steps === 1 ? '' : 's'}`);
    const outcome = await rollback(engineOptions(ctx, eventPrinter(ctx.out)), {
      steps,
      tenant: stringFlag(ctx.args, 'tenant'),
      dryRun: boolFlag(ctx.args, 'dry-run'),
    });
    if (!outcome.result) {
      printDryRun(outcome, ctx.out);
      return EXIT.ok;
    }
    printRunResult(outcome.result, ctx.out);
    return outcome.result.failed.length > 0 || outcome.result.interrupted ? EXIT.failed : EXIT.ok;
  },
};
