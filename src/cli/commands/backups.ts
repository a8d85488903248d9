import { latestBackup, listBackups, type BackupEntry, type BackupList } from '../../index';
import { EXIT } from '../../internal';
import { connectionOf, engineOptions, type Command } from '../context';
import { formatBytes, shortPath, table } from '../format';

/** The listing, and the backup `restore --latest` would take (when there are any). */
interface Listed {
  list: BackupList;
  latest?: BackupEntry;
}

export const backups: Command<Listed> = {
  name: 'backups',
  summary:
    'the backups in BACKUP_DIR: file, time, size, database, server version, and whether this installation can restore each',
  usage: 'backups [--json]',
  database: true,
  async execute(ctx) {
    const c = connectionOf(ctx);
    const list = await listBackups({
      backupDir: ctx.config.backupDir,
      connection: c,
      env: ctx.env,
      signal: ctx.signal,
      waitMs: engineOptions(ctx).waitMs,
    });
    if (list.serverUnknown)
      ctx.out.note(
        `warning: the server did not answer (${list.serverUnknown}): only checked that pg_restore reads each file`,
      );
    if (!list.backups.length) return { list };
    // The one `restore --latest` takes: the newest named as backup names this database's files.
    const file = await latestBackup(list.dir, c.database);
    return { list, latest: list.backups.find((b) => b.file === file) };
  },
  render({ list, latest }, ctx) {
    const database = connectionOf(ctx).database;
    const dir = shortPath(list.dir, ctx.cwd);
    if (!list.backups.length)
      return { doc: list, lines: [`no backups in ${dir}; take one with \`migrate-tool backup\``], code: EXIT.ok };
    const against = list.server ? `PostgreSQL ${list.server} (${database})` : 'a server that did not answer';
    const rows = list.backups.map((b) => [
      b.file.slice(list.dir.length + 1),
      b.takenAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
      formatBytes(b.bytes),
      b.database ?? '?',
      b.serverVersion ?? '?',
      restoreCell(b),
    ]);
    const lines = [
      `Backups in ${dir}, checked with pg_restore ${list.pgRestore} against ${against}:`,
      table([['FILE', 'TAKEN', 'SIZE', 'DATABASE', 'SERVER', 'RESTORE HERE'], ...rows]).join('\n'),
      ...list.backups.filter((x) => x.problem).map((b) => `  ${b.file.slice(list.dir.length + 1)}: ${b.problem}`),
    ];
    if (latest?.restorable)
      lines.push(
        `The newest of ${database}: \`migrate-tool restore --latest\` restores ${shortPath(latest.file, ctx.cwd)}`,
      );
    else if (latest)
      lines.push(`The newest of ${database}, ${shortPath(latest.file, ctx.cwd)}, cannot be restored here (see above)`);
    return { doc: list, lines, code: EXIT.ok };
  },
};

function restoreCell(b: BackupEntry): string {
  if (!b.restorable) return 'no (below)';
  return b.method === 'script' ? 'yes, through psql' : 'yes';
}
