import { existsSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { drift as checkDrift, overview, UsageError, type DriftReport } from '../../index';
import { describeTarget, EXIT } from '../../internal';
import { boolFlag, stringFlag, type ParsedArgs } from '../args';
import { connectionOf, engineOptions, type Command, type CommandContext, type Log } from '../context';
import { reportHtml, type ReportTarget } from '../report-html';
import { thousands as n } from '../format';
import { summarize } from '../tenant-filters';
import { TOOL_VERSION } from '../version';

/** One database's part of the page, and the page when it was written for that database alone. */
interface Read {
  target: ReportTarget;
  written?: string;
}

export const report: Command<Read> = {
  name: 'report',
  summary: 'write one self-contained HTML page: versions per target, dirty, failed and drifted schemas, the last run',
  usage: 'report --html FILE [--no-drift] [--json]',
  flags: {
    html: { type: 'string', value: 'FILE', desc: 'the page to write (replaced if it exists)' },
    'no-drift': {
      type: 'boolean',
      desc: 'leave out the drift check (it builds each recorded state in a scratch database)',
    },
  },
  database: true,
  fleet: true,
  async execute(ctx) {
    const file = htmlFile(ctx.args); // refused before connecting, as every usage error
    const target = await readTarget(ctx);
    // Over a fleet each target only reads; afterFleet writes the one page.
    if (ctx.inFleet) return { target };
    await writePage(file, [target], ctx.out);
    return { target, written: file };
  },
  render: ({ target, written }) => ({
    doc: { report: target },
    lines: [factsLine(target), ...(written ? [`Report written to ${written}`] : [])],
    code: EXIT.ok,
  }),
  async afterFleet(outcomes, { args, out }) {
    const file = htmlFile(args);
    const pages = outcomes.map(({ target: t, value, error }) => {
      if (value) return { ...value.target, name: t.name };
      const why = error instanceof Error ? error.message : error === undefined ? 'not read' : String(error);
      return { name: t.name, where: describeTarget(t.connection), error: why };
    });
    await writePage(file, pages, out);
    return [`Report written to ${file} (${pages.length} target${pages.length === 1 ? '' : 's'})`, ''];
  },
};

/** --html FILE as given (messages name it so); its folder must exist, so that nothing is read for a page that cannot be written. */
function htmlFile(args: ParsedArgs): string {
  const file = stringFlag(args, 'html');
  if (!file)
    throw new UsageError(
      'report needs --html FILE',
      'write e.g. migrate-tool report --html report.html',
      'NO_REPORT_FILE',
    );
  const folder = dirname(resolve(file));
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    throw new UsageError(
      `the folder of --html ${file} does not exist`,
      `create ${folder}, or name a file in an existing folder`,
      'NO_REPORT_FOLDER',
    );
  }
  return file;
}

/** The page goes through the output's scrubbing as every printed line does: no password in it, whatever an error quoted. */
async function writePage(file: string, targets: ReportTarget[], out: Pick<Log, 'scrub'>): Promise<void> {
  await writeFile(
    file,
    out.scrub(reportHtml({ generatedAt: new Date().toISOString(), toolVersion: TOOL_VERSION, targets })),
  );
}

/** One database's part of the page, from its recorded state, its last recorded run and a drift check. */
async function readTarget(ctx: CommandContext): Promise<ReportTarget> {
  const options = engineOptions(ctx);
  const o = await overview(options);
  const connection = connectionOf(ctx);
  return {
    name: connection.database,
    where: describeTarget(connection),
    globalVersion: o.globalVersion,
    latest: o.latestTenantVersion,
    summary: summarize(o.tenants, ctx.config.tenantPattern),
    dirty: o.tenants.filter((t) => t.dirty).map((t) => ({ schema: t.schema, version: t.version })),
    failed: [
      ...(o.publicFailed ? [o.publicFailed] : []),
      ...o.tenants.flatMap((t) => (t.failed ? [{ schema: t.schema, ...t.failed }] : [])),
    ],
    drift: boolFlag(ctx.args, 'no-drift')
      ? { reason: 'left out (--no-drift)' }
      : await driftOf(() => checkDrift(options, {})),
    ...(o.lastRun ? { lastRun: o.lastRun } : {}),
    ...(o.rollout ? { rollout: o.rollout } : {}),
  };
}

/** What the page will say of this target, in one line: `2,012 tenant schemas, 15 behind, 1 dirty, 3 failed, 4 drifted` (failed: public too). */
function factsLine(t: ReportTarget): string {
  const s = t.summary!;
  const drifted = t.drift && 'differ' in t.drift ? `${n(t.drift.differ.length)} drifted` : 'drift not checked';
  return `${n(s.count)} tenant schema${s.count === 1 ? '' : 's'}, ${n(s.behind)} behind, ${n(s.dirty)} dirty, ${n(t.failed!.length)} failed, ${drifted}`;
}

/** A drift check that cannot run (no right to create a scratch database, say) is said on the page, not fatal. */
async function driftOf(check: () => Promise<DriftReport>): Promise<ReportTarget['drift']> {
  try {
    const r = await check();
    return {
      checked: r.checked,
      differ: r.groups.flatMap((g) => g.schemas.map((schema) => ({ schema, version: g.version, summary: g.summary }))),
      unchecked: r.unchecked.reduce((sum, u) => sum + u.schemas.length, 0),
    };
  } catch (error) {
    return { reason: (error as Error).message };
  }
}
