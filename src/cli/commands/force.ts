import { UsageError, force as forceVersion, type ForceResult, type SchemaChange } from '../../index';
import { EXIT, forceChanges as changed } from '../../internal';
import { boolFlag, stringFlag } from '../args';
import { confirmInProd } from '../confirm';
import { engineOptions, type Command, type CommandContext } from '../context';

export const force: Command<ForceResult & { dryRun: boolean }> = {
  name: 'force',
  summary: 'record version V as current without running SQL, clearing the dirty flag (0: nothing applied)',
  usage: 'force V [--tenant S | --all] [--forget-applied] [--dry-run] [--yes]',
  flags: {
    version: { type: 'string', value: 'V', desc: 'the version to record (same as the positional V)' },
    tenant: { type: 'string', value: 'S', desc: 'only in tenant schema S' },
    all: {
      type: 'boolean',
      desc: 'rewrite every schema, healthy ones included (without it, force leaves healthy schemas alone or refuses)',
    },
    'forget-applied': {
      type: 'boolean',
      desc: 'also erase the records of cleanly applied migrations after V (undo their changes by hand first)',
    },
  },
  database: true,
  fleet: true,
  async execute(ctx) {
    const { target, request } = requestOf(ctx);
    const dryRun = boolFlag(ctx.args, 'dry-run');
    const run = (preview: boolean) => forceVersion(engineOptions(ctx), target, { ...request, dryRun: preview });
    // The prompt says how much changes; the refusals come before any question (asks nothing on a dry run).
    await confirmInProd(ctx, async () => `force version ${target}, changing ${changedText(await run(true))},`);
    return { ...(await run(dryRun)), dryRun };
  },
  render({ dryRun, ...result }) {
    const where = `${result.version ?? 'none'} in ${result.schemas} schema${result.schemas === 1 ? '' : 's'} (${result.changed} changed)`;
    const dirty = result.changes.some((c) => c.dirty);
    const lines = [
      ...result.changes.filter(changed).map((c) => `  ${c.schema}: ${describeChange(c)}`),
      dryRun
        ? `Dry run: would force version ${where}${dirty ? ' and clear the dirty flag' : ''}; nothing was changed`
        : `Forced version ${where}${dirty ? '; dirty flag cleared' : ''}`,
    ];
    return { doc: dryRun ? { dryRun, ...result } : result, lines, code: EXIT.ok };
  },
  async preview(ctx) {
    const { target, request } = requestOf(ctx);
    return (await forceVersion(engineOptions(ctx), target, { ...request, dryRun: true })).changed;
  },
};

/** The version and the request, as the flags give them; contradictions refused before anything is read. */
function requestOf(ctx: CommandContext) {
  const target = ctx.args.positionals[0] ?? stringFlag(ctx.args, 'version');
  if (!target)
    throw new UsageError(
      'force needs a version',
      'write `migrate-tool force 20251210215800` or -action=force -version=20251210215800',
    );
  const tenant = stringFlag(ctx.args, 'tenant');
  if (tenant && boolFlag(ctx.args, 'all'))
    throw new UsageError(
      '--tenant and --all contradict each other',
      'give --tenant S for one schema, or --all for every schema',
    );
  return {
    target,
    request: { tenant, all: boolFlag(ctx.args, 'all'), forgetApplied: boolFlag(ctx.args, 'forget-applied') },
  };
}

function changedText(r: ForceResult): string {
  const names = r.changes.filter(changed).map((c) => c.schema);
  const shown = names.length > 5 ? `${names.slice(0, 5).join(', ')}, ...` : names.join(', ');
  return `${r.changed} of ${r.schemas} schema${r.schemas === 1 ? '' : 's'}${names.length ? ` (${shown})` : ''}`;
}

/** `removes 20250101000300 (dirty); records 20250101000100 as applied without running it` */
export function describeChange(c: SchemaChange): string {
  const parts: string[] = [];
  if (c.removed.length)
    parts.push(
      `removes ${c.removed.map((r) => `${r.version} (${r.applied ? 'applied: its change stays in place' : 'dirty'})`).join(', ')}`,
    );
  if (c.cleared) parts.push(`clears the dirty flag of ${c.cleared}, recording it as applied`);
  if (c.recorded.length)
    parts.push(
      `records ${c.recorded.join(', ')} as applied without running ${c.recorded.length === 1 ? 'it' : 'them'}`,
    );
  return parts.join('; ');
}
