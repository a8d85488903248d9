import { adopt as adoptHistory, type AdoptResult, type SchemaAdoption, type Tool } from '../../index';
import { EXIT, TOOLS } from '../../internal';
import { boolFlag, stringFlag } from '../args';
import { engineOptions, type Command } from '../context';
import { toolArg } from './import';

/**
 * One line per schema; a run of three or more tenant schemas that read alike (10,000 companies
 * adopted from one history) is one line naming the first and the last.
 */
function schemaLines(schemas: SchemaAdoption[]): string[] {
  const describe = (s: SchemaAdoption) => {
    const range = s.adopt.length ? ` (${s.adopt[0]!.migration.version} ... ${s.adopt.at(-1)!.migration.version})` : '';
    const already = s.alreadyRecorded ? `, ${s.alreadyRecorded} already recorded` : '';
    // A tenant's own table is named for its schema: `<schema>.` lets alike histories read alike.
    const table = s.table.startsWith(`${s.schema}.`) ? `<schema>${s.table.slice(s.schema.length)}` : s.table;
    return `${table} ${s.summary} -> ${s.adopt.length} version${s.adopt.length === 1 ? '' : 's'}${range}${already}`;
  };
  const lines: string[] = [];
  for (let i = 0; i < schemas.length;) {
    const text = describe(schemas[i]!);
    let j = i + 1;
    while (schemas[i]!.schema !== 'public' && j < schemas.length && describe(schemas[j]!) === text) j++;
    if (j - i >= 3)
      lines.push(`${j - i} tenant schemas (${schemas[i]!.schema} ... ${schemas[j - 1]!.schema}): ${text}`);
    else
      for (const s of schemas.slice(i, j))
        lines.push(`${s.schema}: ${describe(s).replace('<schema>.', `${s.schema}.`)}`);
    i = j;
  }
  return lines;
}

function someOf(names: string[]): string {
  return names.length > 5 ? `${names.slice(0, 5).join(', ')}, ... and ${names.length - 5} more` : names.join(', ');
}

/** What was (or, with --dry-run, would be) recorded. */
interface Adopted {
  tool: Tool;
  dryRun: boolean;
  adopted: AdoptResult;
}

export const adopt: Command<Adopted> = {
  name: 'adopt',
  summary: "record another tool's applied migrations as this tool's state, without running SQL",
  usage: `adopt <${TOOLS.join('|')}> [--history-table SCHEMA.TABLE] [--dry-run]`,
  flags: {
    'history-table': {
      type: 'string',
      value: 'SCHEMA.TABLE',
      desc: "where the project keeps the tool's history (dbmate --migrations-table, golang-migrate x-migrations-table, ...); TABLE alone: in public and every tenant schema",
    },
  },
  database: true,
  async execute(ctx) {
    const tool = toolArg(ctx.args.positionals[0], 'adopt');
    const dryRun = boolFlag(ctx.args, 'dry-run');
    const adopted = await adoptHistory(engineOptions(ctx), tool, {
      dryRun,
      historyTable: stringFlag(ctx.args, 'history-table'),
    });
    return { tool, dryRun, adopted };
  },
  render({ tool, dryRun, adopted: r }) {
    const data = r.schemas.map((s) => ({
      schema: s.schema,
      table: s.table,
      history: s.summary,
      versions: s.adopt.map((a) => ({ version: a.migration.version, original: a.original })),
      alreadyRecorded: s.alreadyRecorded,
    }));
    const lines = [
      dryRun
        ? `Plan (dry run: nothing will be recorded), adopt from ${tool}:`
        : `Adopted from ${tool} (no SQL was run):`,
      ...schemaLines(r.schemas).map((line) => `  ${line}`),
    ];
    if (r.withoutHistory.length)
      lines.push(
        `  no ${tool} history in ${r.withoutHistory.length} tenant schema${r.withoutHistory.length === 1 ? '' : 's'} (${someOf(r.withoutHistory)}): their tenant migrations stay pending`,
      );
    const fromLoops = r.schemas.filter((s) => s.fromLoops).length;
    if (fromLoops)
      lines.push(
        `  ${fromLoops} tenant schema${fromLoops === 1 ? '' : 's'} recorded with the tenant parts of the global history's loops, each as far as its catalog shows`,
      );
    lines.push(...r.notes.map((n) => `  note: ${n}`));
    const total = r.schemas.reduce((n, s) => n + s.adopt.length, 0);
    lines.push(
      `${dryRun ? 'Would record' : 'Recorded'} ${total} version${total === 1 ? '' : 's'} in ${r.schemas.length} schema${r.schemas.length === 1 ? '' : 's'}; check with \`migrate-tool status\``,
    );
    return {
      doc: { tool, dryRun, schemas: data, withoutHistory: r.withoutHistory, notes: r.notes },
      lines,
      code: EXIT.ok,
    };
  },
};
