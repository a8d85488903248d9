import { backup as runBackup, type BackupResult } from '../../index';
import { EXIT } from '../../internal';
import { boolFlag } from '../args';
import { connectionOf, engineOptions, type Command, type CommandContext } from '../context';
import { formatBytes, seconds, shortPath } from '../format';

export const backup: Command<BackupResult> = {
  name: 'backup',
  summary:
    'pg_dump -F c to BACKUP_DIR/backup_<db>_<YYYYMMDD_HHMMSS>.dump (verified, mode 0600), then apply the retention',
  usage: 'backup [--keep] [--json]',
  flags: {
    keep: { type: 'boolean', desc: 'remove no old backup (BACKUP_RETENTION_DAYS is not applied)' },
  },
  database: true,
  noDryRun: true,
  fleet: true,
  execute: (ctx) => runBackupOf(ctx, boolFlag(ctx.args, 'keep')),
  render: (result, ctx) => ({ doc: result, lines: backupLines(result, ctx), code: EXIT.ok }),
};

/** Takes a backup and says where it is: the first step of `up --backup`. */
export async function takeBackup(ctx: CommandContext, opts: { toStderr?: boolean } = {}): Promise<BackupResult> {
  const result = await runBackupOf(ctx, false);
  const say = (line: string) => (opts.toStderr ? ctx.out.note(line) : ctx.out.print(line));
  for (const line of backupLines(result, ctx)) say(line);
  return result;
}

/** pg_dump with its progress on the log; what went wrong beside a backup that was written is said at once. */
async function runBackupOf(ctx: CommandContext, keep: boolean): Promise<BackupResult> {
  const c = connectionOf(ctx);
  const result = await runBackup({
    connection: c,
    backupDir: ctx.config.backupDir,
    retentionDays: ctx.config.backupRetentionDays,
    keep,
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
  if (result.restore.problem)
    ctx.out.note(`warning: this installation cannot restore this backup into this server: ${result.restore.problem}`);
  for (const f of result.notRemoved) ctx.out.note(`warning: could not remove old backup ${f}`);
  return result;
}

/** Where the backup is, what it holds, how it restores, and the old ones removed. */
function backupLines(result: BackupResult, ctx: CommandContext): string[] {
  const database = connectionOf(ctx).database;
  const removed = result.removed.length;
  return [
    `Backup written: ${shortPath(result.file, ctx.cwd)}`,
    `  ${formatBytes(result.bytes)} (${result.bytes} bytes) in ${seconds(result.ms)}, ${result.entries} entries verified with pg_restore --list, mode 0600`,
    `  pg_dump ${result.pgDump}, server PostgreSQL ${result.server}`,
    ...(!result.restore.problem && result.restore.method === 'script'
      ? [
          `  restore into this server: pg_restore ${result.restore.pgRestore} is newer, so its SQL script runs through psql`,
        ]
      : []),
    ...(removed
      ? [
          `Removed ${removed} backup${removed === 1 ? '' : 's'} of ${database} older than ${ctx.config.backupRetentionDays} days:`,
          ...result.removed.map((f) => `  ${f}`),
        ]
      : []),
  ];
}
