import { EXIT, UsageError } from '../../errors';
import { force as forceVersion } from '../../migrations/api';
import { boolFlag, stringFlag } from '../args';
import { confirmInProd } from '../confirm';
import { engineOptions, type Command } from '../context';

export const force: Command = {
  name: 'force',
  summary: 'record version V as current without running SQL, clearing the dirty flag (0: nothing applied)',
  usage: 'force V [--tenant S] [--dry-run] [--yes]',
  flags: {
    version: { type: 'string', value: 'V', desc: 'the version to record (same as the positional V)' },
    tenant: { type: 'string', value: 'S', desc: 'only in tenant schema S' },
  },
  database: true,
  async run(ctx) {
    const target = ctx.args.positionals[0] ?? stringFlag(ctx.args, 'version');
    if (!target) throw new UsageError('force needs a version', 'write `migrate-tool force 20251210215800` or -action=force -version=20251210215800');
    await confirmInProd(ctx, `force version ${target}`); // asks nothing on a dry run, which must then change nothing
    const dryRun = boolFlag(ctx.args, 'dry-run');
    const result = await forceVersion(engineOptions(ctx), target, { tenant: stringFlag(ctx.args, 'tenant'), dryRun });
    ctx.out.data(dryRun ? { dryRun, ...result } : result);
    const where = `${result.version ?? 'none'} in ${result.schemas} schema${result.schemas === 1 ? '' : 's'}`;
    ctx.out.print(dryRun ? `Dry run: would force version ${where} and clear the dirty flag; nothing was changed` : `Forced version ${where}; dirty flag cleared`);
    return EXIT.ok;
  },
};
