// `backups` lists BACKUP_DIR and says which files this installation can restore into the target;
// `restore --latest` takes the newest backup of the target database; advice names BACKUP_DIR as it
// is set (/backups in the image).
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inject } from 'vitest';
import { backupName } from '../../src/backup/retention';
import { runCli } from '../support/cli';
import { describe, expect, test } from '../support/fixtures';
import type { TestDatabase } from '../support/db';
import { project } from '../seed/support';
import { notRun } from '../support/not-run';
import { breakPsql, pgDumpSkipReason, pgRestore17 } from './support';

const skip = await pgDumpSkipReason(inject('adminUrl'));

async function migrated(dir: string, db: TestDatabase) {
  const p = await project(dir, db);
  const r = await runCli(['up'], { env: p.env });
  expect(r.code, r.stderr).toBe(0);
  return { ...p, backups: p.env.BACKUP_DIR! };
}

async function takeBackup(env: Record<string, string>): Promise<string> {
  const r = await runCli(['backup', '--keep', '--json'], { env });
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { file: string }).file;
}

/**
 * A copy of `file` whose header is changed in place, bytes of the same length: an archive format
 * this pg_restore does not know (the version bytes after `PGDMP`), or another server version string.
 */
async function altered(file: string, to: string, edit: (header: Buffer) => void): Promise<void> {
  const bytes = await readFile(file);
  edit(bytes);
  await writeFile(to, bytes);
}

const serverMajor = async (db: TestDatabase) =>
  Math.floor(Number((await db.query('SHOW server_version_num')).rows[0].server_version_num) / 10000);

describe.skipIf(Boolean(skip))(notRun('backups and restore --latest', skip), () => {
  test('backups lists each file, newest first, with time, size, database, server and whether it can be restored here', async ({
    db,
    dir,
  }) => {
    const p = await migrated(dir, db);
    const first = await takeBackup(p.env);
    const second = await takeBackup(p.env);
    const major = await serverMajor(db);
    // pg_restore cannot read a format newer than its own (the archive of a newer pg_dump).
    await altered(first, join(p.backups, 'from-newer-pg_dump.dump'), (b) => void (b[6] = 99));
    // A dump of a newer server than the target.
    await altered(first, join(p.backups, 'from-newer-server.dump'), (b) => {
      const at = b.indexOf(`${major}.`, 5);
      b.write(`${major + 4}`, at);
    });
    await writeFile(join(p.backups, 'notes.dump'), 'not an archive');
    await writeFile(join(p.backups, 'readme.txt'), 'not listed');

    const r = await runCli(['backups', '--json'], { env: p.env });
    expect(r.code, r.stderr).toBe(0);
    const list = JSON.parse(r.stdout);
    const server = (await db.query('SHOW server_version')).rows[0].server_version.split(' ')[0];
    expect(list).toMatchObject({ dir: p.backups, server });
    const byName = Object.fromEntries(list.backups.map((b: { file: string }) => [b.file.split('/').pop(), b]));
    expect(Object.keys(byName).sort()).toEqual(
      [first, second]
        .map((f) => f.split('/').pop())
        .concat(['from-newer-pg_dump.dump', 'from-newer-server.dump', 'notes.dump'])
        .sort(),
    );
    expect(byName[second.split('/').pop()!]).toMatchObject({
      database: db.name,
      serverVersion: server,
      restorable: true,
      method: 'direct',
      format: '1.14',
    });
    expect(byName['from-newer-pg_dump.dump']).toMatchObject({
      restorable: false,
      problem: expect.stringContaining('unsupported version (1.99) in file header'),
    });
    expect(byName['from-newer-server.dump']).toMatchObject({
      restorable: false,
      problem: expect.stringContaining(`dumped from PostgreSQL ${major + 4}.`),
    });
    expect(byName['notes.dump']).toMatchObject({
      restorable: false,
      problem: expect.stringContaining('cannot read it'),
    });
    // Newest first, by the time in the name (UTC) where there is one.
    const named = list.backups
      .filter((b: { file: string }) => b.file === first || b.file === second)
      .map((b: { file: string }) => b.file);
    expect(named).toEqual([second, first]);

    const text = await runCli(['backups'], { env: p.env });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(
      new RegExp(
        `^${second.split('/').pop()}\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ\\s+\\d+\\.\\d kB\\s+${db.name}\\s+${server}\\s+yes$`,
        'm',
      ),
    );
    expect(text.stdout).toContain(`  from-newer-server.dump: dumped from PostgreSQL ${major + 4}.`);
    expect(text.stdout).toContain(`The newest of ${db.name}: \`migrate-tool restore --latest\` restores ${second}`);
  });

  test('with a pg_restore newer than the server, a backup restores through psql, and not at all without psql', async ({
    db,
    dir,
  }) => {
    const p = await migrated(dir, db);
    const file = await takeBackup(p.env);
    const w = await pgRestore17(dir);
    const env = { ...p.env, PATH: `${w.bin}:${process.env.PATH}` };
    const r = await runCli(['backups', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      pgRestore: '17.6',
      backups: [{ file, restorable: true, method: 'script' }],
    });
    expect((await runCli(['backups'], { env })).stdout).toMatch(/\s+yes, through psql$/m);

    await breakPsql(w.bin);
    const without = JSON.parse((await runCli(['backups', '--json'], { env })).stdout);
    expect(without.backups).toEqual([
      expect.objectContaining({
        file,
        restorable: false,
        problem: expect.stringContaining('restoring into it needs psql'),
      }),
    ]);
  });

  test('restore --latest restores the newest backup of the target database, not a newer one of another', async ({
    db,
    dir,
  }) => {
    const p = await migrated(dir, db);
    await db.query(`CREATE SCHEMA company_a`);
    await runCli(['up'], { env: p.env });
    await db.query(`INSERT INTO company_a.settings (key, value) VALUES ('n', '1')`);
    await takeBackup(p.env);
    await db.query(`UPDATE company_a.settings SET value = '2'`);
    const newest = await takeBackup(p.env);
    // Another database's backup, named as taken later.
    await copyFile(newest, join(p.backups, backupName('otherdb', new Date(Date.now() + 3600_000))));
    await db.query(`UPDATE company_a.settings SET value = '3'`);

    const r = await runCli(['restore', '--latest'], { env: p.env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Restored ${newest} into ${db.name}`);
    expect((await db.query(`SELECT value FROM company_a.settings`)).rows[0].value).toBe(2);
  });

  test('restore without a file, or --latest with no backup, says what to do naming BACKUP_DIR as set (/backups in the image)', async ({
    db,
    dir,
  }) => {
    const p = await migrated(dir, db);
    const env = { ...p.env, BACKUP_DIR: '/backups' };
    const none = await runCli(['restore'], { env });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(
      `fix: e.g. migrate-tool restore /backups/backup_${db.name}_<YYYYMMDD_HHMMSS>.dump (\`migrate-tool backups\` lists those in /backups)`,
    );
    const latest = await runCli(['restore', '--latest'], { env });
    expect(latest.code).toBe(2);
    expect(latest.stderr).toContain(`error: No backup of ${db.name} in /backups (BACKUP_DIR)`);
    const both = await runCli(['restore', 'x.dump', '--latest'], { env: p.env });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('restore takes a FILE or --latest, not both');
    const empty = await runCli(['backups'], { env });
    expect(empty.code, empty.stderr).toBe(0);
    expect(empty.stdout).toContain('no backups in /backups; take one with `migrate-tool backup`');
  });

  test('backups still lists when the server does not answer, and says what it could not check', async ({ db, dir }) => {
    const p = await migrated(dir, db);
    await takeBackup(p.env);
    await mkdir(p.backups, { recursive: true });
    const r = await runCli(['backups', '--json'], { env: { ...p.env, POSTGRES_PORT: '1' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('warning: the server did not answer (');
    const list = JSON.parse(r.stdout);
    expect(list.server).toBeUndefined();
    expect(list.backups).toEqual([expect.objectContaining({ database: db.name, restorable: true })]);
  });
});
