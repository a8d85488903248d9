import { status as readStatus, type ExitCode, type MigrationStatus, type StatusReport } from '../../index';
import { EXIT } from '../../internal';
import { boolFlag } from '../args';
import { engineOptions, type Command, type CommandContext } from '../context';
import { invalidIndexLines, table, tenantsLine, unknownVersionLines } from '../format';

export const status: Command<StatusReport> = {
  name: 'status',
  summary: 'every migration with its scope and whether it is applied; a tenants summary',
  usage: 'status [--exit-code] [--json]',
  flags: {
    'exit-code': {
      type: 'boolean',
      desc: 'exit 3 when anything is pending or dirty, or an index is invalid; 4 when the database has versions the folder lacks',
    },
  },
  database: true,
  fleet: true,
  execute: (ctx) => readStatus(engineOptions(ctx)),
  render(report, ctx) {
    // Recorded versions without files: the database is ahead of this folder (an older release).
    const unknown = report.migrations.filter((m) => m.missingFile).map((m) => m.version);
    const rows = report.migrations.map((m) => [m.version, m.name, m.scope, describe(m)]);
    const lines = [
      table([['VERSION', 'NAME', 'SCOPE', 'STATUS'], ...rows]).join('\n'),
      tenantsLine(report.tenants),
      ...(report.contracts ?? []).map(
        (c) =>
          `Contract ${c.file} waits: ${c.ready}/${c.schemas} schemas have every version before it; then \`migrate-tool up --contract\``,
      ),
      ...invalidIndexLines(report.invalidIndexes),
      ...unknownVersionLines(unknown),
    ];
    return {
      doc: { ...report, ...(unknown.length ? { unknownVersions: unknown } : {}) },
      lines,
      code: codeOf(report, unknown, ctx),
    };
  },
};

/** With --exit-code: 4 when the database has versions the folder lacks, 3 when anything is pending. */
function codeOf(report: StatusReport, unknown: string[], ctx: CommandContext): ExitCode {
  if (!boolFlag(ctx.args, 'exit-code')) return EXIT.ok;
  // An older release must not go on as if all were well: its own code, ahead of pending work.
  if (unknown.length) return EXIT.unknownVersions;
  // An invalid index is a migration not really done: it counts as pending.
  const pending =
    report.migrations.some((m) => !m.applied || m.dirty) ||
    report.tenants.dirty.length > 0 ||
    Boolean(report.invalidIndexes?.length);
  return pending ? EXIT.pending : EXIT.ok;
}

function describe(m: MigrationStatus): string {
  const when = m.appliedAt ? ` ${m.appliedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}` : '';
  if (m.missingFile) return 'applied, but its files are missing';
  if (m.dirty) return 'DIRTY (run force after fixing)';
  if (m.scope === 'global') return m.applied ? `applied${when}` : 'pending';
  // Not "applied 0/0": on a first setup nothing has received it yet, and every new schema will.
  if (m.tenantsTotal === 0) return 'no tenant schemas yet';
  const count = `${m.tenantsApplied}/${m.tenantsTotal} tenants`;
  return m.applied ? `applied ${count}${when}` : `pending (${count})`;
}
