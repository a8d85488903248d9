import { tenants as readTenants, type TenantStatus } from '../../index';
import { EXIT } from '../../internal';
import { boolFlag } from '../args';
import { engineOptions, type Command, type CommandContext } from '../context';
import { table, thousands as n, unknownVersionLines } from '../format';
import {
  FILTER_FLAGS,
  fleetSummaryLines,
  summarize,
  summaryLines,
  tenantFilter,
  type TenantsSummaryDoc,
} from '../tenant-filters';

export const tenants: Command = {
  name: 'tenants',
  summary: 'every tenant schema with its version, dirty flag and how many migrations it is behind',
  usage: 'tenants [--behind] [--dirty] [--failed] [--version V] [--summary] [--json]',
  flags: FILTER_FLAGS,
  database: true,
  async run(ctx) {
    const filter = tenantFilter(ctx.args); // a bad --version is refused before connecting
    const all = await readTenants(engineOptions(ctx));
    const list = filter ? all.filter(filter.keep) : all;
    const pattern = ctx.config.tenantPattern;
    if (boolFlag(ctx.args, 'summary')) {
      const summary = summarize(list, pattern);
      ctx.out.data({ summary, ...(filter ? { total: all.length } : {}) });
      for (const line of summary.count ? summaryLines(summary) : []) ctx.out.print(line);
      printMatched(ctx, filter?.flags, list.length, all.length, pattern);
      return EXIT.ok;
    }
    ctx.out.data({ pattern, tenants: list, ...(filter ? { total: all.length } : {}) });
    if (list.length) printTable(ctx, list);
    printMatched(ctx, filter?.flags, list.length, all.length, pattern);
    const unknown = [...new Set(list.flatMap((t) => t.unknownVersions ?? []))].sort();
    for (const line of unknownVersionLines(unknown))
      ctx.out.print(line.replace('the database has', 'the tenant schemas have'));
    return EXIT.ok;
  },
  afterFleet: (targets) =>
    fleetSummaryLines(
      targets.map((t) => ({ name: t.name, summary: (t.data as { summary?: TenantsSummaryDoc }).summary })),
    ),
};

function printTable(ctx: CommandContext, list: TenantStatus[]): void {
  // The INVALID INDEXES and FAILED columns show only when there are some, so the usual table stays as it is.
  const invalid = list.filter((t) => t.invalidIndexes).length;
  const failed = list.filter((t) => t.failed).length;
  const head = [
    'SCHEMA',
    'VERSION',
    'DIRTY',
    'BEHIND',
    ...(invalid ? ['INVALID INDEXES'] : []),
    ...(failed ? ['FAILED'] : []),
  ];
  const rows = list.map((t) => [
    t.schema,
    t.version ?? 'none',
    String(t.dirty),
    String(t.behind),
    ...(invalid ? [t.invalidIndexes?.join(', ') ?? '-'] : []),
    ...(failed ? [t.failed ? `${t.failed.version}: ${firstLine(t.failed.error)}` : '-'] : []),
  ]);
  // One write for the whole table: 10,000 lines written one by one cost a system call each.
  ctx.out.print(table([head, ...rows]).join('\n'));
  const withInvalid = invalid
    ? `, ${invalid} with invalid indexes (drop them with DROP INDEX CONCURRENTLY and re-run up)`
    : '';
  const withFailed = failed ? `, ${failed} failed in a recorded run and not migrated since` : '';
  ctx.out.print(
    `${list.length} tenant schema${list.length === 1 ? '' : 's'}, ${list.filter((t) => t.behind > 0).length} behind, ${list.filter((t) => t.dirty).length} dirty${withInvalid}${withFailed}`,
  );
}

/** With filters, how many of how many matched (also when none did); without, only an empty list is said. */
function printMatched(
  ctx: CommandContext,
  flags: string[] | undefined,
  matched: number,
  total: number,
  pattern: string,
): void {
  if (flags)
    ctx.out.print(`${n(matched)} of ${n(total)} tenant schema${total === 1 ? '' : 's'} match ${flags.join(' ')}`);
  else if (total === 0) ctx.out.print(`no tenant schemas match ${pattern}`);
}

const firstLine = (text: string) => text.split('\n')[0]!;
