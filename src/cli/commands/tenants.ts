import { EXIT, tenants as readTenants } from '../../index';
import { engineOptions, type Command } from '../context';
import { table, unknownVersionLines } from '../format';

export const tenants: Command = {
  name: 'tenants',
  summary: 'every tenant schema with its version, dirty flag and how many migrations it is behind',
  usage: 'tenants [--json]',
  database: true,
  async run(ctx) {
    const list = await readTenants(engineOptions(ctx));
    ctx.out.data({ pattern: ctx.config.tenantPattern, tenants: list });
    if (list.length === 0) {
      ctx.out.print(`no tenant schemas match ${ctx.config.tenantPattern}`);
      return EXIT.ok;
    }
    // The INVALID INDEXES column shows only when there are some, so the usual table stays as it is.
    const invalid = list.filter((t) => t.invalidIndexes).length;
    const head = ['SCHEMA', 'VERSION', 'DIRTY', 'BEHIND', ...(invalid ? ['INVALID INDEXES'] : [])];
    const rows = list.map((t) => [t.schema, t.version ?? 'none', String(t.dirty), String(t.behind), ...(invalid ? [t.invalidIndexes?.join(', ') ?? '-'] : [])]);
    // One write for the whole table: 10,000 lines written one by one cost a system call each.
    ctx.out.print(table([head, ...rows]).join('\n'));
    const withInvalid = invalid ? `, ${invalid} with invalid indexes (drop them with DROP INDEX CONCURRENTLY and re-run up)` : '';
    ctx.out.print(
      `${list.length} tenant schema${list.length === 1 ? '' : 's'}, ${list.filter((t) => t.behind > 0).length} behind, ${list.filter((t) => t.dirty).length} dirty${withInvalid}`,
    );
    const unknown = [...new Set(list.flatMap((t) => t.unknownVersions ?? []))].sort();
    for (const line of unknownVersionLines(unknown)) ctx.out.print(line.replace('the database has', 'the tenant schemas have'));
    return EXIT.ok;
  },
};
