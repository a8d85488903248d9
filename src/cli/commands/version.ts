import { EXIT } from '../../errors';
import { version as readVersion } from '../../migrations/api';
import type { TenantsSummary } from '../../migrations/report';
import { engineOptions, type Command } from '../context';

export const version: Command = {
  name: 'version',
  summary: 'print the current version and the dirty flag, then a tenants line',
  usage: 'version [--json]',
  database: true,
  async run(ctx) {
    const report = await readVersion(engineOptions(ctx));
    ctx.out.data(report);
    if (report.version === null && !report.dirty) ctx.out.print('no migration');
    else {
      ctx.out.print(report.version ?? 'no migration');
      ctx.out.print(`dirty: ${report.dirty}`);
    }
    ctx.out.print(tenantsLine(report.tenants));
    return EXIT.ok;
  },
};

export function tenantsLine(t: TenantsSummary): string {
  const list = (names: string[]) => (names.length ? ` (${names.slice(0, 3).join(', ')}${names.length > 3 ? ', ...' : ''})` : '');
  return `tenants: ${t.count} matching ${t.pattern}, ${t.behind.length} behind${list(t.behind)}, ${t.dirty.length} dirty${list(t.dirty)}`;
}
