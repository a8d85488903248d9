import { latestBackup, listBackups, type BackupEntry } from '../../index';
import { EXIT } from '../../internal';
import { connectionOf, engineOptions, type Command } from '../context';
import { formatBytes, shortPath, table } from '../format';

export const backups: Command = {
  name: 'backups',
  summary:
    'the backups in BACKUP_DIR: file, time, size, database, server version, and whether this installation can restore each',
  usage: 'backups [--json]',
  database: true,
  async run(ctx) {
    const c = connectionOf(ctx);
    const list = await listBackups({
      backupDir: ctx.config.backupDir,
      connection: c,
      env: ctx.env,
      signal: ctx.signal,
      waitMs: engineOptions(ctx).waitMs,
    });
    ctx.out.data(list);
    const dir = shortPath(list.dir, ctx.cwd);
    const against = list.server ? `PostgreSQL ${list.server} (${c.database})` : 'a server that did not answer';
    if (list.serverUnknown)
      ctx.out.note(
        `warning: the server did not answer (${list.serverUnknown}): only checked that pg_restore reads each file`,
      );
    if (!list.backups.length) {
      ctx.out.print(`no backups in ${dir}; take one with \`migrate-tool backup\``);
      return EXIT.ok;
    }
    ctx.out.print(`Backups in ${dir}, checked with pg_restore ${list.pgRestore} against ${against}:`);
    const rows = list.backups.map((b) => [
      b.file.slice(list.dir.length + 1),
      b.takenAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
      formatBytes(b.bytes),
      b.database ?? '?',
      b.serverVersion ?? '?',
      restoreCell(b),
    ]);
    ctx.out.print(table([['FILE', 'TAKEN', 'SIZE', 'DATABASE', 'SERVER', 'RESTORE HERE'], ...rows]).join('\n'));
    for (const b of list.backups.filter((x) => x.problem))
      ctx.out.print(`  ${b.file.slice(list.dir.length + 1)}: ${b.problem}`);
    // The one `restore --latest` takes: the newest named as backup names this database's files.
    const file = await latestBackup(list.dir, c.database);
    const latest = list.backups.find((b) => b.file === file);
    if (latest?.restorable)
      ctx.out.print(
        `The newest of ${c.database}: \`migrate-tool restore --latest\` restores ${shortPath(latest.file, ctx.cwd)}`,
      );
    else if (latest)
      ctx.out.print(
        `The newest of ${c.database}, ${shortPath(latest.file, ctx.cwd)}, cannot be restored here (see above)`,
      );
    return EXIT.ok;
  },
};

function restoreCell(b: BackupEntry): string {
  if (!b.restorable) return 'no (below)';
  return b.method === 'script' ? 'yes, through psql' : 'yes';
}
