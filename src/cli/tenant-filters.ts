// `tenants`' filters and its summary: at 2,000 schemas a table of every one is read by nobody.
// The filters keep the schemas that need a look; the summary counts schemas per version.
import { UsageError, type TenantStatus } from '../index';
import { boolFlag, stringFlag, type FlagSpecs, type ParsedArgs } from './args';
import { table, thousands as n } from './format';

export const FILTER_FLAGS: FlagSpecs = {
  behind: { type: 'boolean', desc: 'only schemas that lack a tenant migration of the folder' },
  dirty: { type: 'boolean', desc: 'only dirty schemas (a no-transaction migration did not finish)' },
  failed: { type: 'boolean', desc: 'only schemas a recorded up or down failed, while still as it left them' },
  version: {
    type: 'string',
    value: 'V',
    desc: 'only schemas whose latest tenant version is V (`none`: nothing applied)',
  },
  summary: { type: 'boolean', desc: 'how many schemas are at each version, instead of one line per schema' },
};

export interface TenantFilter {
  /** The flags as typed, for the "N of M match" line. */
  flags: string[];
  keep(t: TenantStatus): boolean;
}

/** The filters given; several must all hold (`--behind --failed`: failed and behind). */
export function tenantFilter(args: ParsedArgs): TenantFilter | undefined {
  const tests: Array<(t: TenantStatus) => boolean> = [];
  const flags: string[] = [];
  const on = (name: string, test: (t: TenantStatus) => boolean) => {
    if (!boolFlag(args, name)) return;
    flags.push(`--${name}`);
    tests.push(test);
  };
  on('behind', (t) => t.behind > 0);
  on('dirty', (t) => t.dirty);
  on('failed', (t) => t.failed !== undefined);
  const version = stringFlag(args, 'version');
  if (version !== undefined) {
    if (version !== 'none' && !/^\d{14}$/.test(version)) {
      throw new UsageError(
        `--version must be a 14-digit version or none (got "${version}")`,
        'write e.g. --version 20251210215900',
        'BAD_VERSION',
      );
    }
    flags.push(`--version ${version}`);
    tests.push((t) => (t.version ?? 'none') === version);
  }
  return tests.length ? { flags, keep: (t) => tests.every((test) => test(t)) } : undefined;
}

export interface VersionCount {
  /** null: nothing applied. */
  version: string | null;
  schemas: number;
}

export interface TenantsSummaryDoc {
  pattern: string;
  count: number;
  behind: number;
  dirty: number;
  failed: number;
  /** Newest version first; schemas with nothing applied last. */
  versions: VersionCount[];
}

export function summarize(list: TenantStatus[], pattern: string): TenantsSummaryDoc {
  const counts = new Map<string | null, number>();
  for (const t of list) counts.set(t.version, (counts.get(t.version) ?? 0) + 1);
  const versions = [...counts]
    .map(([version, schemas]) => ({ version, schemas }))
    .sort((a, b) => newestFirst(a.version, b.version));
  return {
    pattern,
    count: list.length,
    behind: list.filter((t) => t.behind > 0).length,
    dirty: list.filter((t) => t.dirty).length,
    failed: list.filter((t) => t.failed).length,
    versions,
  };
}

/** Versions newest first (fixed width: text order is time order); null (nothing applied) last. */
export function newestFirst(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null || b === null) return a === null ? 1 : -1;
  return a < b ? 1 : -1;
}

export function summaryLines(s: TenantsSummaryDoc): string[] {
  const rows = s.versions.map((v) => [v.version ?? 'none', n(v.schemas)]);
  return [
    ...table([['VERSION', 'SCHEMAS'], ...rows]),
    `${n(s.count)} tenant schema${s.count === 1 ? '' : 's'}, ${n(s.behind)} behind, ${n(s.dirty)} dirty, ${n(s.failed)} failed`,
  ];
}

/** Over a fleet: one row per target, one column per version (newest first), and the total. */
export function fleetSummaryLines(targets: Array<{ name: string; summary?: TenantsSummaryDoc }>): string[] {
  const shown = targets.filter((t) => t.summary);
  if (shown.length === 0) return [];
  const versions = [...new Set(shown.flatMap((t) => t.summary!.versions.map((v) => v.version)))].sort(newestFirst);
  const head = ['TARGET', ...versions.map((v) => v ?? 'none'), 'TOTAL'];
  const rows = shown.map((t) => {
    const at = new Map(t.summary!.versions.map((v) => [v.version, v.schemas]));
    return [t.name, ...versions.map((v) => n(at.get(v) ?? 0)), n(t.summary!.count)];
  });
  return ['Tenant schemas per target and version:', ...table([head, ...rows])];
}
