import { drift as checkDrift, type DriftReport } from '../../index';
import { differenceLines, EXIT } from '../../internal';
import { stringFlag } from '../args';
import { engineOptions, type Command } from '../context';
import type { Output } from '../output';
import { Lines } from '../show';

export const drift: Command<DriftReport> = {
  name: 'drift',
  summary: "compare each schema's live catalog with what its recorded migrations build; exit 3 when some differ",
  usage: 'drift [--tenant S] [--json]',
  flags: {
    tenant: { type: 'string', value: 'S', desc: 'check only tenant schema S, and print every difference' },
  },
  database: true,
  fleet: true,
  execute: (ctx) => checkDrift(engineOptions(ctx), { tenant: stringFlag(ctx.args, 'tenant') }),
  render(report, ctx) {
    const lines = new Lines();
    printDrift(report, lines, stringFlag(ctx.args, 'tenant') ? Infinity : 20);
    return {
      doc: report,
      lines: lines.lines,
      code: report.groups.length || report.unchecked.length ? EXIT.pending : EXIT.ok,
    };
  },
};

/** Lines per group at most (`--tenant` shows them all). */
export function printDrift(report: DriftReport, out: Pick<Output, 'print'>, maxLines: number): void {
  for (const g of report.groups) {
    const lines = differenceLines(g.differences);
    out.print(`${listSchemas(g.schemas)} (recorded at ${g.version ?? 'no version'}):`);
    for (const line of lines.slice(0, maxLines)) out.print(`  ${line}`);
    if (lines.length > maxLines)
      out.print(`  ... ${lines.length - maxLines} more: migrate-tool drift --tenant ${g.schemas[0]}`);
  }
  for (const u of report.unchecked) out.print(`not checked: ${listSchemas(u.schemas)}: ${u.reason}`);
  if (report.dirty.length)
    out.print(
      `dirty (a no-transaction migration did not finish, which may be the difference): ${listSchemas(report.dirty)}`,
    );
  out.print(summaryLine(report));
}

/** `9,997 match; 3 differ: company_x (extra index foo_idx), ...` */
export function summaryLine(r: DriftReport): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const differ = r.groups.reduce((sum, g) => sum + g.schemas.length, 0);
  const named = r.groups.flatMap((g) => g.schemas.map((s) => `${s} (${g.summary})`));
  const shown = named.slice(0, 10).join(', ') + (named.length > 10 ? `, and ${n(named.length - 10)} more` : '');
  const unchecked = r.unchecked.reduce((sum, u) => sum + u.schemas.length, 0);
  return [
    `${n(r.matching)} match`,
    ...(differ ? [`${n(differ)} differ: ${shown}`] : []),
    ...(unchecked ? [`${n(unchecked)} not checked`] : []),
  ].join('; ');
}

function listSchemas(schemas: string[]): string {
  const shown = schemas.slice(0, 5).join(', ');
  return schemas.length > 5 ? `${shown} and ${(schemas.length - 5).toLocaleString('en-US')} more` : shown;
}
