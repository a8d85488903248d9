import { EXIT } from '../../errors';
import { version as readVersion } from '../../migrations/api';
import type { TenantsSummary, VersionReport } from '../../migrations/report';
import { engineOptions, type Command } from '../context';

export const version: Command = {
  name: 'version',
  summary: 'print the current version and the dirty flag, then a tenants line',
  usage: 'version [--json]',
  database: true,
  async run(ctx) {
    const report = await readVersion(engineOptions(ctx));
    ctx.out.data(report);
    for (const line of versionLines(report)) ctx.out.print(line);
    return EXIT.ok;
  },
};

/** The guide's two lines (`20251128112901`, `dirty: false`), or `no migration`; then the tenants line. */
export function versionLines(report: VersionReport): string[] {
  const head = report.version === null && !report.dirty ? ['no migration'] : [report.version ?? 'no migration', `dirty: ${report.dirty}`];
  return [...head, tenantsLine(report.tenants), ...invalidIndexLines(report.invalidIndexes)];
}

/** Nothing when there are none, so the guide's output stays as it is. */
export function invalidIndexLines(list: string[] = []): string[] {
  if (list.length === 0) return [];
  const shown = `${list.slice(0, 5).join(', ')}${list.length > 5 ? `, and ${list.length - 5} more` : ''}`;
  return [`invalid indexes: ${list.length} (${shown}): unusable, left by index builds that did not finish; drop them with DROP INDEX CONCURRENTLY and re-run up`];
}

export function tenantsLine(t: TenantsSummary): string {
  const list = (names: string[]) => (names.length ? ` (${names.slice(0, 3).join(', ')}${names.length > 3 ? ', ...' : ''})` : '');
  return `tenants: ${t.count} matching ${t.pattern}, ${t.behind.length} behind${list(t.behind)}, ${t.dirty.length} dirty${list(t.dirty)}`;
}
