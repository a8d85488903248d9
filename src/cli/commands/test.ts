import { relative } from 'node:path';
import { roundtrip, type RoundtripReport, type StepResult } from '../../index';
import { describeDifferences, EXIT } from '../../internal';
import { stringFlag } from '../args';
import { connectionOf, engineOptions, type Command, type Log } from '../context';
import { eventPrinter } from '../render-run';

export const test: Command<RoundtripReport> = {
  name: 'test',
  summary:
    'in a scratch database: up and down every migration step by step, down all, up all; fail when a down does not undo its up',
  usage: 'test [--from VERSION] [--json]',
  flags: {
    from: {
      type: 'string',
      value: 'VERSION',
      desc: 'round-trip only the migrations after VERSION (those up to it are applied once, and need no .down.sql)',
    },
  },
  database: true,
  async execute(ctx) {
    const { waitMs } = engineOptions(ctx);
    const onEvent = eventPrinter(ctx.out);
    // Each step is printed as it is checked: a long round trip shows where it is.
    const printStep = stepPrinter(ctx.out);
    ctx.out.note(
      `Working in a scratch database beside ${connectionOf(ctx).database}, which is not touched; the scratch database is dropped afterwards.`,
    );
    return roundtrip({
      connection: connectionOf(ctx),
      migrationsDir: ctx.config.migrationsDir,
      tenantPattern: ctx.config.tenantPattern,
      from: stringFlag(ctx.args, 'from'),
      signal: ctx.signal,
      waitMs,
      onEvent: (e) => (e.type === 'roundtrip:step' ? printStep(e.step) : onEvent(e)),
    });
  },
  render(report, ctx) {
    const where = `public and ${report.schemas.length - 1} tenant schema${report.schemas.length === 2 ? '' : 's'}`;
    if (report.ok) {
      const after = report.base === undefined ? '' : ` after the first ${report.base} (applied once)`;
      const n = report.migrations;
      return {
        doc: report,
        lines: [`Round trip passed: ${n} migration${n === 1 ? '' : 's'}${after}, in ${where}`],
        code: EXIT.ok,
      };
    }
    const f = report.failure!;
    const lines = [`FAILED: ${f.message}`];
    if (f.migration?.file) lines.push(`  file: ${relative(ctx.cwd, f.migration.file)}`);
    if (f.differences.length) {
      lines.push('  difference (+ there but should not be, - missing, ~ changed):');
      lines.push(...describeDifferences(f.differences).map((line) => `    ${line}`));
    }
    return { doc: report, lines, code: EXIT.failed };
  },
};

const LABEL: Record<StepResult['check'], string> = {
  down: 'up, down: back to the schema before it',
  redo: 'up again: same schema as the first time',
  'down-all': 'down all: every schema back to the empty start',
  'up-all': 'up all again: same schema as the first up all',
};

function stepPrinter(out: Log): (s: StepResult) => void {
  return (s) => out.print(`${s.ok ? 'ok  ' : 'FAIL'}  ${s.version ? `${s.version}_${s.name}: ` : ''}${LABEL[s.check]}`);
}
