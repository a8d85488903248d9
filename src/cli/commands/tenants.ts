import { tenants as readTenants, type TenantStatus } from '../../index';
import { EXIT } from '../../internal';
import { boolFlag } from '../args';
import { engineOptions, type Command } from '../context';
import { table, thousands as n, unknownVersionLines } from '../format';
import { FILTER_FLAGS, fleetSummaryLines, summarize, summaryLines, tenantFilter } from '../tenant-filters';

export const tenants: Command<Found> = {
  name: 'tenants',
  summary: 'every tenant schema with its version, dirty flag and how many migrations it is behind',
  usage: 'tenants [--behind] [--dirty] [--failed] [--version V] [--summary] [--json]',
  flags: FILTER_FLAGS,
  database: true,
  fleet: true,
  async execute(ctx) {
    const filter = tenantFilter(ctx.args); // a bad --version is refused before connecting
    const all = await readTenants(engineOptions(ctx));
    return {
      all,
      list: filter ? all.filter(filter.keep) : all,
      pattern: ctx.config.tenantPattern,
      flags: filter?.flags,
    };
  },
  render(found, ctx) {
    const { all, list, pattern, flags } = found;
    const total = flags ? { total: all.length } : {};
    if (boolFlag(ctx.args, 'summary')) {
      const summary = summarize(list, pattern);
      const lines = [...(summary.count ? summaryLines(summary) : []), ...matchedLines(found)];
      return { doc: { summary, ...total }, lines, code: EXIT.ok };
    }
    const unknown = [...new Set(list.flatMap((t) => t.unknownVersions ?? []))].sort();
    const lines = [
      ...(list.length ? tableLines(list) : []),
      ...matchedLines(found),
      ...unknownVersionLines(unknown).map((line) => line.replace('the database has', 'the tenant schemas have')),
    ];
    return { doc: { pattern, tenants: list, ...total }, lines, code: EXIT.ok };
  },
  // --summary over a fleet: one target x version table of them all.
  afterFleet: (outcomes, { args }) => {
    if (!boolFlag(args, 'summary')) return [];
    const lines = fleetSummaryLines(
      outcomes.map((o) => ({ name: o.target.name, summary: o.value && summarize(o.value.list, o.value.pattern) })),
    );
    return lines.length ? [...lines, ''] : [];
  },
};

/** The tenant schemas read, those the filters kept, and the filters given. */
interface Found {
  all: TenantStatus[];
  list: TenantStatus[];
  pattern: string;
  flags?: string[];
}

function tableLines(list: TenantStatus[]): string[] {
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
  const lines = [table([head, ...rows]).join('\n')];
  const withInvalid = invalid
    ? `, ${invalid} with invalid indexes (drop them with DROP INDEX CONCURRENTLY and re-run up)`
    : '';
  const withFailed = failed ? `, ${failed} failed in a recorded run and not migrated since` : '';
  lines.push(
    `${list.length} tenant schema${list.length === 1 ? '' : 's'}, ${list.filter((t) => t.behind > 0).length} behind, ${list.filter((t) => t.dirty).length} dirty${withInvalid}${withFailed}`,
  );
  return lines;
}

/** With filters, how many of how many matched (also when none did); without, only an empty list is said. */
function matchedLines({ all, list, pattern, flags }: Found): string[] {
  const total = all.length;
  if (flags)
    return [`${n(list.length)} of ${n(total)} tenant schema${total === 1 ? '' : 's'} match ${flags.join(' ')}`];
  return total === 0 ? [`no tenant schemas match ${pattern}`] : [];
}

const firstLine = (text: string) => text.split('\n')[0]!;
