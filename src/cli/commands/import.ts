import { importFolder, UsageError, type ImportResult, type Tool } from '../../index';
import { EXIT, isTool, TOOLS } from '../../internal';
import { boolFlag, stringFlag } from '../args';
import type { Command } from '../context';

/** What was (or, with --dry-run, would be) imported. */
interface Imported {
  tool: Tool;
  dryRun: boolean;
  imported: ImportResult;
}

export const importCommand: Command<Imported> = {
  name: 'import',
  summary: `convert another tool's migration folder into this layout (${TOOLS.join(', ')})`,
  usage: `import <${TOOLS.join('|')}> SRC [--tenant] [--search-path A,B] [--dry-run]`,
  flags: {
    'search-path': {
      type: 'string',
      value: 'A,B',
      desc: "the search_path the source tool ran its files with (dbmate's ?search_path=); the imported files run with it",
    },
    tenant: { type: 'boolean', desc: 'write the migrations to tenant/ (they run in every tenant schema)' },
  },
  database: false,
  async execute(ctx) {
    const [toolName, src] = ctx.args.positionals;
    const tool = toolArg(toolName, 'import');
    if (!src)
      throw new UsageError(
        'import needs the source folder',
        `write \`migrate-tool import ${tool} path/to/migrations\``,
      );
    const dryRun = boolFlag(ctx.args, 'dry-run');
    const imported = await importFolder(tool, src, ctx.config.migrationsDir, {
      tenant: boolFlag(ctx.args, 'tenant'),
      dryRun,
      tenantPattern: ctx.config.tenantPattern,
      searchPath: stringFlag(ctx.args, 'search-path'),
    });
    return { tool, dryRun, imported };
  },
  render({ tool, dryRun, imported: r }, ctx) {
    const count = r.files.filter((f) => f.to.endsWith('.up.sql')).length;
    return {
      // The files' text is what was written, not what a script reads about it.
      doc: { tool: r.tool, dryRun, files: r.files.map(({ text: _text, ...f }) => f), notes: r.notes },
      lines: [
        dryRun ? `Plan (dry run: nothing will be written), import from ${tool}:` : `Imported from ${tool}:`,
        ...r.files.map((f) => `  ${f.from} -> ${f.to}${f.changes.length ? ` (${f.changes.join('; ')})` : ''}`),
        ...r.notes.map((n) => `  note: ${n}`),
        dryRun
          ? `${count} migrations would be written to ${ctx.config.migrationsDir}`
          : `Wrote ${count} migrations to ${ctx.config.migrationsDir} and updated migrate.sum`,
      ],
      code: EXIT.ok,
    };
  },
};

export function toolArg(name: string | undefined, command: string): Tool {
  if (name && isTool(name)) return name;
  throw new UsageError(
    name ? `Unknown tool "${name}"` : `${command} needs the tool the migrations come from`,
    `write \`migrate-tool ${command} <${TOOLS.join('|')}>${command === 'import' ? ' SRC' : ''}\``,
    'UNKNOWN_TOOL',
  );
}
