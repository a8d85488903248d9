import { join, relative } from 'node:path';
import {
  type DiffResult,
  type Written,
  UsageError,
  computeDiff,
  generateBaseline,
  lintFiles,
  writeDiff,
} from '../../index';
import { EXIT, checkMigrationName } from '../../internal';
import { boolFlag, stringFlag } from '../args';
import { connectionOf, engineOptions, type Command, type CommandContext } from '../context';
import { eventPrinter } from '../render-run';
import { findingLines, lintSummary } from '../render-lint';

export const diff: Command = {
  name: 'diff',
  summary: 'generate the migration pair(s) that bring the migrations (or the database) to prisma/schema.prisma',
  usage: 'diff NAME [-models=A,B] [--from=migrations|database] [--dry-run] | diff --baseline NAME',
  flags: {
    name: { type: 'string', value: 'NAME', desc: 'the migration name (same as the positional NAME)' },
    models: { type: 'string', value: 'A,B', desc: 'only these Prisma models' },
    baseline: {
      type: 'string',
      value: 'NAME',
      desc: 'collapse the whole history into one global and one tenant migration that build it from empty (existing databases record them without running them)',
    },
    from: {
      type: 'string',
      value: 'SOURCE',
      desc: '"migrations" (default: what the folder builds, in a scratch database) or "database" (the live target)',
    },
  },
  database: true,
  async run(ctx) {
    const baseline = stringFlag(ctx.args, 'baseline');
    if (baseline !== undefined) return runBaseline(ctx, baseline);
    const name = ctx.args.positionals[0] ?? stringFlag(ctx.args, 'name');
    const dryRun = boolFlag(ctx.args, 'dry-run');
    if (!name && !dryRun)
      throw new UsageError(
        'diff needs a name',
        'write `migrate-tool diff add_employee_bio`, or -action=diff -name=add_employee_bio (--dry-run shows the changes without one)',
      );
    if (name) checkMigrationName(name); // before the scratch database and the engine, not after
    const from = stringFlag(ctx.args, 'from') ?? 'migrations';
    if (from !== 'migrations' && from !== 'database')
      throw new UsageError(`--from must be "migrations" or "database" (got "${from}")`);
    const models = stringFlag(ctx.args, 'models')
      ?.split(',')
      .map((m) => m.trim())
      .filter(Boolean);

    const { waitMs } = engineOptions(ctx);
    const onEvent = eventPrinter(ctx.out);
    const result = await computeDiff({
      connection: connectionOf(ctx),
      migrationsDir: ctx.config.migrationsDir,
      prismaSchema: ctx.config.prismaSchema,
      from,
      tenantPattern: ctx.config.tenantPattern,
      models,
      signal: ctx.signal,
      waitMs,
      onEvent,
    });
    if (result.scopes.length === 0) {
      ctx.out.data({ changes: [], written: [] });
      ctx.out.print('no changes');
      return EXIT.ok;
    }
    printChanges(ctx, result);
    if (dryRun) {
      for (const s of result.scopes)
        ctx.out.print(`\n-- ${s.scope} up:\n${s.up.trim()}\n\n-- ${s.scope} down:\n${s.down.trim()}`);
      ctx.out.data({ changes: result.scopes, written: [] });
      return EXIT.ok;
    }
    const written = await writeDiff(
      ctx.config.migrationsDir,
      name!,
      result.scopes,
      relative(ctx.cwd, ctx.config.prismaSchema) || ctx.config.prismaSchema,
    );
    for (const w of written) ctx.out.print(`Wrote ${shown(w.up, ctx.cwd)} and ${shown(w.down, ctx.cwd)}`);
    const lint = await lintWritten(ctx, written);
    ctx.out.data({ changes: result.scopes.map((s, i) => ({ ...s, files: written[i] })), written, lint });
    ctx.out.print('Review the files, then run `migrate-tool test` before committing them.');
    return EXIT.ok;
  },
};

/** `diff --baseline NAME`: needs no schema.prisma; the history itself is what it collapses. */
async function runBaseline(ctx: CommandContext, name: string) {
  if (
    ctx.args.positionals.length ||
    stringFlag(ctx.args, 'models') ||
    stringFlag(ctx.args, 'from') ||
    boolFlag(ctx.args, 'dry-run')
  ) {
    throw new UsageError('diff --baseline takes only its NAME', 'write `migrate-tool diff --baseline init`');
  }
  checkMigrationName(name);
  const { waitMs } = engineOptions(ctx);
  const onEvent = eventPrinter(ctx.out);
  const result = await generateBaseline({
    connection: connectionOf(ctx),
    migrationsDir: ctx.config.migrationsDir,
    name,
    signal: ctx.signal,
    waitMs,
    onEvent,
  });
  ctx.out.data(result);
  for (const f of result.files) {
    const s = f.statements;
    ctx.out.print(
      `Wrote ${shown(join(ctx.config.migrationsDir, f.upFile), ctx.cwd)}: ${f.scope} baseline of ${f.replaces} migration${f.replaces === 1 ? '' : 's'} (${s.tables} tables, ${s.types} types, ${s.functions} functions, ${s.rows} rows)`,
    );
  }
  ctx.out.print(
    `Versions ${result.from}..${result.to} stay in the folder: existing databases keep them and record the baseline without running it; new databases and new tenant schemas run the baseline instead.`,
  );
  return EXIT.ok;
}

function printChanges(ctx: CommandContext, result: DiffResult): void {
  for (const s of result.scopes) {
    ctx.out.print(s.scope === 'global' ? 'Global changes (schema public):' : 'Tenant changes (every tenant schema):');
    for (const c of s.changes) ctx.out.print(`  ${c.text}`);
  }
}

/** Lints what was written and prints the findings; they inform the review, they do not fail diff. */
async function lintWritten(ctx: CommandContext, written: Written[]) {
  try {
    const report = await lintFiles(written.map((w) => w.up));
    if (report.findings.length) {
      ctx.out.print('Lint findings in what was generated (see `migrate-tool lint`):');
      for (const line of findingLines(report, ctx.cwd)) ctx.out.print(`  ${line}`);
    }
    ctx.out.print(lintSummary(report));
    return report;
  } catch (error) {
    ctx.out.note(`warning: could not lint the generated files: ${(error as Error).message}`);
    return undefined;
  }
}

function shown(path: string, cwd: string): string {
  return relative(cwd, path) || join('.', path);
}
