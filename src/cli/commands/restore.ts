import { basename, join, resolve } from 'node:path';
import {
  inspectArchive,
  keptByRestore,
  latestBackup,
  type ArchiveInfo,
  type Kept,
  restore as runRestore,
  type RestoreResult,
  UsageError,
  version as readVersion,
  type VersionReport,
} from '../../index';
import { toolEnv, EXIT } from '../../internal';
import { boolFlag } from '../args';
import { confirmInProd } from '../confirm';
import { connectionOf, engineOptions, type Command, type CommandContext } from '../context';
import { formatBytes, seconds, shortPath, versionLines } from '../format';

/** A dry run's archive and what it would keep, or the restore done and the version it left. */
type Restored =
  | { dryRun: true; archive: ArchiveInfo; kept: Kept }
  | { dryRun: false; result: RestoreResult; version?: VersionReport };

export const restore: Command<Restored> = {
  name: 'restore',
  summary:
    'pg_restore --clean --if-exists --no-owner FILE into the target, in one transaction, keeping the schemas the backup lacks with their recorded state; then print the version',
  usage: 'restore FILE | --latest [--dry-run] [--yes] [--json]',
  flags: {
    latest: {
      type: 'boolean',
      desc: 'the newest backup of the target database in BACKUP_DIR (as `backups` lists them)',
    },
  },
  database: true,
  async execute(ctx) {
    const c = connectionOf(ctx);
    const given = await backupFile(ctx, c.database);
    const env = ctx.env; // pg_restore's own environment (PATH, locale, TLS files)
    const archive = await inspectArchive(resolve(given), { env: toolEnv(c, env), signal: ctx.signal });
    // Named before the question and the restore, so the operator sees what is about to be restored.
    describeArchive(ctx, archive);
    if (boolFlag(ctx.args, 'dry-run')) {
      const kept = await keptByRestore({
        connection: c,
        archive,
        waitMs: engineOptions(ctx).waitMs,
        signal: ctx.signal,
      });
      return { dryRun: true, archive, kept };
    }
    await confirmInProd(ctx, `restore ${basename(archive.file)}`);
    const engine = engineOptions(ctx);
    const result = await runRestore({
      connection: c,
      file: archive.file,
      archive,
      env,
      signal: ctx.signal,
      waitMs: engine.waitMs,
      lockTimeoutMs: engine.lockTimeoutMs,
      onEvent: (e) => {
        if (e.type === 'restore:progress')
          ctx.out.progress(`Restoring into ${c.database}: ${formatBytes(e.bytes)} read, ${seconds(e.elapsedMs)}`);
      },
    });
    ctx.out.clearProgress();
    // Said as the restore ends, ahead of the notes about it and of reading the version (which may wait).
    ctx.out.print(`Restored ${result.file} into ${c.database} in ${seconds(result.ms)}`);
    if (result.method === 'script') {
      const removed = result.removedSettings
        ? `, without ${result.removedSettings} SET of a setting the server lacks`
        : '';
      ctx.out.print(
        newerThanServer(result.pgRestore, result.server)
          ? `  pg_restore ${result.pgRestore} is newer than the server (PostgreSQL ${result.server}): restored through its SQL script and psql, in one transaction${removed}`
          : `  restored through pg_restore's SQL script and psql, so that the kept schemas' state and foreign keys go back in the same transaction${removed}`,
      );
    }
    if (result.kept.schemas.length) ctx.out.note(`note: ${keptLine(result.kept, 'kept')}`);
    if (result.leftovers.length) {
      const shown =
        result.leftovers.slice(0, 10).join(', ') +
        (result.leftovers.length > 10 ? `, and ${result.leftovers.length - 10} more` : '');
      ctx.out.note(`warning: not in the backup, so left as they were: ${shown}`);
      ctx.out.note(
        '  they were probably created after the backup (by a later migration); drop them before the next `up`, or restore into an empty database for an exact copy',
      );
    }
    return { dryRun: false, result, version: await restoredVersion(ctx) };
  },
  render(r, ctx) {
    if (r.dryRun) {
      const { archive, kept } = r;
      const lines = [
        `Dry run: would restore ${archive.entries} entries into ${connectionOf(ctx).database} (pg_restore --clean --if-exists --no-owner, one transaction); nothing was changed`,
      ];
      if (kept.schemas.length) lines.push(`  ${keptLine(kept, 'would keep')}`);
      const { file, bytes, database, createdAt, entries } = archive;
      return { doc: { kept, dryRun: true, file, bytes, database, createdAt, entries }, lines, code: EXIT.ok };
    }
    // What `version` prints, for the restored database (nothing when it could not be read).
    const lines = r.version ? ['Restored version:', ...versionLines(r.version)] : [];
    return { doc: { ...r.result, version: r.version }, lines, code: EXIT.ok };
  },
};

/** The FILE given, or with --latest the newest backup of this database; advice names BACKUP_DIR as it is here (/backups in the image). */
async function backupFile(ctx: CommandContext, database: string): Promise<string> {
  const given = ctx.args.positionals[0];
  const dir = shortPath(resolve(ctx.config.backupDir), ctx.cwd);
  const listed = `\`migrate-tool backups\` lists those in ${dir}`;
  if (!boolFlag(ctx.args, 'latest')) {
    if (given) return given;
    throw new UsageError(
      'restore needs the backup FILE, or --latest',
      `e.g. migrate-tool restore ${join(dir, `backup_${database}_<YYYYMMDD_HHMMSS>.dump`)} (${listed})`,
      'NO_BACKUP_FILE',
    );
  }
  if (given) throw new UsageError(`restore takes a FILE or --latest, not both (${given})`, 'drop one of them');
  const latest = await latestBackup(ctx.config.backupDir, database);
  if (!latest)
    throw new UsageError(
      `No backup of ${database} in ${dir} (BACKUP_DIR)`,
      `take one with \`migrate-tool backup\`, or give the FILE (${listed})`,
      'NO_BACKUP_FILE',
    );
  return latest;
}

/** `kept 2 schemas not in the backup, with their data and recorded state: company_late, company_new` */
function keptLine(k: Kept, verb: string): string {
  const n = k.schemas.length;
  const shown = k.schemas.slice(0, 10).join(', ') + (n > 10 ? `, and ${n - 10} more` : '');
  const keys = k.foreignKeys.length
    ? ` (and ${k.foreignKeys.length} foreign key${k.foreignKeys.length === 1 ? '' : 's'} into restored tables, checked again)`
    : '';
  return `${verb} ${n} schema${n === 1 ? '' : 's'} not in the backup, with their data and recorded state: ${shown}${keys}`;
}

const major = (version: string) => Number(version.split('.')[0]);
const newerThanServer = (pgRestore: string, server: string) => major(pgRestore) > major(server);

function describeArchive(ctx: CommandContext, a: ArchiveInfo): void {
  const from = [
    a.database && `database ${a.database}`,
    a.createdAt && `created ${a.createdAt}`,
    a.serverVersion && `PostgreSQL ${a.serverVersion}`,
  ]
    .filter(Boolean)
    .join(', ');
  ctx.out.print(`Backup: ${a.file} (${formatBytes(a.bytes)}${from ? `; ${from}` : ''})`);
  const target = connectionOf(ctx).database;
  if (a.database && a.database !== target)
    ctx.out.note(`note: this backup was taken from database ${a.database}; it is restored into ${target}`);
}

/** The restored database's version; a problem reading it does not undo the restore. */
async function restoredVersion(ctx: CommandContext): Promise<VersionReport | undefined> {
  try {
    return await readVersion(engineOptions(ctx));
  } catch (error) {
    ctx.out.note(`warning: restored, but the version could not be read: ${(error as Error).message}`);
    return undefined;
  }
}
