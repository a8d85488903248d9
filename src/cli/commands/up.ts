import { EXIT } from '../../errors';
import { migrate } from '../../migrations/api';
import { boolFlag, intArg, stringFlag } from '../args';
import { engineOptions, type Command } from '../context';
import { eventPrinter, printDryRun, printRunResult } from '../render-run';

export const up: Command = {
  name: 'up',
  summary: 'apply all (or the next N) pending migrations, in public and every tenant schema',
  usage: 'up [N] [--tenant S] [--dry-run] [--concurrency N] [--fail-fast]',
  flags: {
    steps: { type: 'string', value: 'N', desc: 'apply only the next N versions (same as the positional N)' },
    tenant: { type: 'string', value: 'S', desc: 'limit tenant work to schema S' },
  },
  database: true,
  async run(ctx) {
    const steps = intArg(ctx.args.positionals[0] ?? stringFlag(ctx.args, 'steps'), 'N', { min: 1 });
    const outcome = await migrate(engineOptions(ctx, eventPrinter(ctx.out)), {
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
