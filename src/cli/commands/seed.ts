import { seed as runSeed, type Event, type SeedEvent, type SeedReport, type SetResult } from '../../index';
import { EXIT } from '../../internal';
import { boolFlag } from '../args';
import { connectionOf, engineOptions, type Command, type Log } from '../context';
import { eventPrinter } from '../render-run';

export const seed: Command<SeedReport> = {
  name: 'seed',
  summary: 'apply the seed data in SEEDS_DIR idempotently, all sets in one transaction',
  usage: 'seed [--dry-run] [--force] [--json]',
  flags: {
    force: { type: 'boolean', desc: 'seed even when migrations are pending or the database is dirty' },
  },
  database: true,
  fleet: true,
  // Each set's line is logged as it finishes, so a long seed shows its progress; the totals are the result.
  async execute(ctx) {
    const dryRun = boolFlag(ctx.args, 'dry-run');
    ctx.out.print(`Starting seeding process...${dryRun ? ' (dry run: everything is rolled back at the end)' : ''}`);
    ctx.out.print(`Target database: ${connectionOf(ctx).database}`);
    const printSet = setPrinter(ctx.out, dryRun);
    const printOther = eventPrinter(ctx.out);
    const onEvent = (e: Event) => (e.type === 'set:start' || e.type === 'set:done' ? printSet(e) : printOther(e));
    return runSeed(
      { ...engineOptions(ctx), onEvent },
      { seedsDir: ctx.config.seedsDir, force: boolFlag(ctx.args, 'force'), dryRun },
    );
  },
  render(report, ctx) {
    const t = report.totals;
    const counts = `${t.inserted} inserted, ${t.updated} updated, ${t.unchanged} unchanged`;
    const line = boolFlag(ctx.args, 'dry-run')
      ? `Dry run complete, nothing was changed: ${counts.replace(/ (inserted|updated)/g, ' would be $1')}`
      : `Seeding complete! ${counts}`;
    return { doc: report, lines: [line], code: EXIT.ok };
  },
};

function setPrinter(out: Log, dryRun: boolean): (e: SeedEvent) => void {
  return (e) => {
    if (e.type === 'set:start') {
      const where = e.scope === 'tenant' ? ` in ${e.schemas} tenant schema${e.schemas === 1 ? '' : 's'}` : '';
      out.progress(`Seeding ${e.name}${where}...`);
      return;
    }
    const r = e.result;
    const where = r.scope === 'tenant' ? ` in ${r.schemas} tenant schema${r.schemas === 1 ? '' : 's'}` : '';
    out.print(`Seeding ${r.name}${where}... ${counts(r)}`);
    if (dryRun) for (const line of changeLines(r)) out.print(line);
  };
}

function counts(r: SetResult): string {
  if (r.kind === 'sql')
    return `${r.statements} statement${r.statements === 1 ? '' : 's'} run, ${r.rowsAffected} row${r.rowsAffected === 1 ? '' : 's'} affected`;
  return `${r.inserted} inserted, ${r.updated} updated, ${r.unchanged} unchanged`;
}

function changeLines(r: SetResult): string[] {
  return r.changes.map((c) => {
    const key = Object.entries(c.key)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(', ');
    const where = r.scope === 'tenant' ? `${c.schema}.${r.table}` : r.table;
    return c.action === 'insert'
      ? `  + insert ${where} ${key}`
      : `  ~ update ${where} ${key}: ${c.columns!.join(', ')}`;
  });
}
