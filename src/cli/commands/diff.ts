import { join, relative } from 'node:path';
import {
  type BaselineResult,
  type DiffResult,
  type LintReport,
  type Written,
  UsageError,
  computeDiff,
  generateBaseline,
  lintFiles,
  writeDiff,
} from '../../index';
import { EXIT, checkMigrationName } from '../../internal';
import { boolFlag, stringFlag } from '../args';
import { connectionOf, engineOptions, type Command, type CommandContext, type Rendering } from '../context';
import { eventPrinter } from '../render-run';
import { findingLines, lintSummary } from '../render-lint';

/**
 * `--baseline`'s files; or the changes found, with (unless a dry run or nothing changed) the files
 * written and their lint report (undefined when linting failed).
 */
type Diffed = { baseline: BaselineResult } | { result: DiffResult; written?: Written[]; lint?: LintReport };

export const diff: Command<Diffed> = {
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
  async execute(ctx) {
    const baseline = stringFlag(ctx.args, 'baseline');
    if (baseline !== undefined) return { baseline: await runBaseline(ctx, baseline) };
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
    if (result.scopes.length === 0 || dryRun) return { result };
    const written = await writeDiff(
      ctx.config.migrationsDir,
      name!,
      result.scopes,
      relative(ctx.cwd, ctx.config.prismaSchema) || ctx.config.prismaSchema,
    );
    return { result, written, lint: await lintWritten(ctx, written) };
  },
  render(r, ctx) {
    if ('baseline' in r) return renderBaseline(r.baseline, ctx);
    const { result, written } = r;
    if (result.scopes.length === 0) return { doc: { changes: [], written: [] }, lines: ['no changes'], code: EXIT.ok };
    const lines = changeLines(result);
    if (!written) {
      // A dry run: the SQL that would be written.
      for (const s of result.scopes)
        lines.push(`\n-- ${s.scope} up:\n${s.up.trim()}\n\n-- ${s.scope} down:\n${s.down.trim()}`);
      return { doc: { changes: result.scopes, written: [] }, lines, code: EXIT.ok };
    }
    for (const w of written) lines.push(`Wrote ${shown(w.up, ctx.cwd)} and ${shown(w.down, ctx.cwd)}`);
    if (r.lint) lines.push(...lintLines(r.lint, ctx.cwd));
    lines.push('Review the files, then run `migrate-tool test` before committing them.');
    return {
      doc: { changes: result.scopes.map((s, i) => ({ ...s, files: written[i] })), written, lint: r.lint },
      lines,
      code: EXIT.ok,
    };
  },
};

/** `diff --baseline NAME`: needs no schema.prisma; the history itself is what it collapses. */
async function runBaseline(ctx: CommandContext, name: string): Promise<BaselineResult> {
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
  return generateBaseline({
    connection: connectionOf(ctx),
    migrationsDir: ctx.config.migrationsDir,
    name,
    signal: ctx.signal,
    waitMs,
    onEvent,
  });
}

function renderBaseline(result: BaselineResult, ctx: CommandContext): Rendering {
  const lines = result.files.map((f) => {
    const s = f.statements;
    return `Wrote ${shown(join(ctx.config.migrationsDir, f.upFile), ctx.cwd)}: ${f.scope} baseline of ${f.replaces} migration${f.replaces === 1 ? '' : 's'} (${s.tables} tables, ${s.types} types, ${s.functions} functions, ${s.rows} rows)`;
  });
  lines.push(
    `Versions ${result.from}..${result.to} stay in the folder: existing databases keep them and record the baseline without running it; new databases and new tenant schemas run the baseline instead.`,
  );
  return { doc: result, lines, code: EXIT.ok };
}

function changeLines(result: DiffResult): string[] {
  return result.scopes.flatMap((s) => [
    s.scope === 'global' ? 'Global changes (schema public):' : 'Tenant changes (every tenant schema):',
    ...s.changes.map((c) => `  ${c.text}`),
  ]);
}

/** Lints what was written; the findings inform the review, they do not fail diff. */
async function lintWritten(ctx: CommandContext, written: Written[]): Promise<LintReport | undefined> {
  try {
    return await lintFiles(written.map((w) => w.up));
  } catch (error) {
    ctx.out.note(`warning: could not lint the generated files: ${(error as Error).message}`);
    return undefined;
  }
}

function lintLines(report: LintReport, cwd: string): string[] {
  const findings = report.findings.length
    ? [
        'Lint findings in what was generated (see `migrate-tool lint`):',
        ...findingLines(report, cwd).map((l) => `  ${l}`),
      ]
    : [];
  return [...findings, lintSummary(report)];
}

function shown(path: string, cwd: string): string {
  return relative(cwd, path) || join('.', path);
}
