import { backup as runBackup, type BackupResult } from '../../index';
import { EXIT } from '../../internal';
import { boolFlag } from '../args';
import { connectionOf, engineOptions, type Command, type CommandContext } from '../context';
import { formatBytes, seconds, shortPath } from '../format';

export const backup: Command = {
  name: 'backup',
  summary:
    'pg_dump -F c to BACKUP_DIR/backup_<db>_<YYYYMMDD_HHMMSS>.dump (verified, mode 0600), then apply the retention',
  usage: 'backup [--keep] [--json]',
  flags: {
    keep: { type: 'boolean', desc: 'remove no old backup (BACKUP_RETENTION_DAYS is not applied)' },
  },
  database: true,
  noDryRun: true,
  async run(ctx) {
    const result = await takeBackup(ctx, { keep: boolFlag(ctx.args, 'keep') });
    ctx.out.data(result);
    return EXIT.ok;
  },
};

/** Takes a backup and says where it is; also the first step of `up --backup`. */
export async function takeBackup(
  ctx: CommandContext,
  opts: { keep?: boolean; toStderr?: boolean } = {},
): Promise<BackupResult> {
  const c = connectionOf(ctx);
  const say = (line: string) => (opts.toStderr ? ctx.out.note(line) : ctx.out.print(line));
  const result = await runBackup({
    connection: c,
    backupDir: ctx.config.backupDir,
    retentionDays: ctx.config.backupRetentionDays,
    keep: opts.keep,
    // pg_dump needs the process's own environment (PATH, locale, TLS files); the connection is added to it.
    env: ctx.env,
    signal: ctx.signal,
    waitMs: engineOptions(ctx).waitMs,
    onEvent: (e) => {
      if (e.type === 'backup:progress')
        ctx.out.progress(`Backing up ${c.database}: ${formatBytes(e.bytes)} written, ${seconds(e.elapsedMs)}`);
    },
  });
  ctx.out.clearProgress();
  say(`Backup written: ${shortPath(result.file, ctx.cwd)}`);
  say(
    `  ${formatBytes(result.bytes)} (${result.bytes} bytes) in ${seconds(result.ms)}, ${result.entries} entries verified with pg_restore --list, mode 0600`,
  );
  say(`  pg_dump ${result.pgDump}, server PostgreSQL ${result.server}`);
  if (result.restore.problem)
    ctx.out.note(`warning: this installation cannot restore this backup into this server: ${result.restore.problem}`);
  else if (result.restore.method === 'script')
    say(
      `  restore into this server: pg_restore ${result.restore.pgRestore} is newer, so its SQL script runs through psql`,
    );
  if (result.removed.length) {
    say(
      `Removed ${result.removed.length} backup${result.removed.length === 1 ? '' : 's'} of ${c.database} older than ${ctx.config.backupRetentionDays} days:`,
    );
    for (const f of result.removed) say(`  ${f}`);
  }
  for (const f of result.notRemoved) ctx.out.note(`warning: could not remove old backup ${f}`);
  return result;
}
