// `backup`, `restore` and `up --backup` end to end: the real CLI, the real pg_dump/pg_restore,
// a real PostgreSQL.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inject } from 'vitest';
import { backupName, pruneBackups } from '../../src/backup/retention';
import { BIN, collect, runCli, SENTINEL_PASSWORD, spawnCli } from '../support/cli';
import { describe, expect, test } from '../support/fixtures';
import type { TestDatabase } from '../support/db';
import { project, snapshot } from '../seed/support';
import { notRun } from '../support/not-run';
import { scriptMissing } from '../support/terminal';
import { breakPsql, commandLines, pgDumpSkipReason, pgRestore17, realPath, wrappers } from './support';

const skip = await pgDumpSkipReason(inject('adminUrl'));
const DAY = 24 * 3600 * 1000;

async function seeded(dir: string, db: TestDatabase) {
  await db.query('CREATE SCHEMA company_a; CREATE SCHEMA company_b');
  const p = await project(dir, db);
  for (const args of [['up'], ['seed']]) {
    const r = await runCli(args, { env: p.env });
    expect(r.code, r.stderr).toBe(0);
  }
  return { ...p, backups: p.env.BACKUP_DIR! };
}

async function backupFile(env: Record<string, string>, ...flags: string[]): Promise<string> {
  const r = await runCli(['backup', '--json', ...flags], { env });
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { file: string }).file;
}

/** The password in the suite's server URL, if it has one. */
const serverPassword = (url: string) => (new URL(url).password ? decodeURIComponent(new URL(url).password) : undefined);

const list = (file: string) => execFileSync('pg_restore', ['--list', file], { encoding: 'utf8' });

describe.skipIf(Boolean(skip))(notRun('backup and restore', skip), () => {
  test('backup writes a verified archive named backup_<db>_<UTC time>.dump, mode 0600, and prints path, size and time', async ({
    db,
    dir,
  }) => {
    const p = await seeded(dir, db);
    const started = Date.now();
    const r = await runCli(['backup'], { env: p.env });
    expect(r.code, r.stderr).toBe(0);
    const files = await readdir(p.backups);
    expect(files).toHaveLength(1);
    const m = new RegExp(`^backup_${db.name}_(\\d{4})(\\d{2})(\\d{2})_(\\d{2})(\\d{2})(\\d{2})\\.dump$`).exec(
      files[0]!,
    );
    expect(m, files[0]).not.toBeNull();
    const [, y, mo, d, h, mi, s] = m!.map(Number);
    const at = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
    expect(at).toBeGreaterThanOrEqual(Math.floor(started / 1000) * 1000);
    expect(at).toBeLessThanOrEqual(Date.now());

    const file = join(p.backups, files[0]!);
    const st = await stat(file);
    expect(st.mode & 0o777).toBe(0o600);
    expect(r.stdout).toContain(`Backup written: ${file}`);
    expect(r.stdout).toContain(`(${st.size} bytes) in `);
    expect(r.stdout).toMatch(/ in \d+\.\d s, \d+ entries verified with pg_restore --list, mode 0600/);
    expect(list(file)).toContain('TABLE public policy_rules');
  });

  test("retention removes only this database's backups older than BACKUP_RETENTION_DAYS; --keep removes none", async ({
    db,
    dir,
  }) => {
    const p = await seeded(dir, db);
    await mkdir(p.backups, { recursive: true });
    const now = Date.now();
    const old = [
      backupName(db.name, new Date(now - 3 * DAY)),
      backupName(db.name, new Date(now - 30 * DAY)),
      `.${backupName(db.name, new Date(now - 5 * DAY))}.partial`,
    ];
    const kept = [
      backupName(db.name, new Date(now - 3600_000)), // recent
      backupName('otherdb', new Date(now - 30 * DAY)), // another database
      backupName(`${db.name}_archive`, new Date(now - 30 * DAY)), // a database whose name starts like this one's
      `backup_${db.name}_latest.dump`, // not a timestamped backup
      'notes.txt',
    ];
    for (const f of [...old, ...kept]) await writeFile(join(p.backups, f), 'x');

    const first = await backupFile(p.env, '--keep');
    expect(new Set(await readdir(p.backups))).toEqual(new Set([...old, ...kept, first.split('/').pop()]));

    const r = await runCli(['backup'], { env: { ...p.env, BACKUP_RETENTION_DAYS: '2' } });
    expect(r.code, r.stderr).toBe(0);
    const newest = /Backup written: (.*)/.exec(r.stdout)![1]!;
    expect(new Set(await readdir(p.backups))).toEqual(new Set([...kept, first, newest].map((f) => f.split('/').pop())));
    expect(r.stdout).toContain(`Removed 3 backups of ${db.name} older than 2 days:`);
    for (const f of old) expect(r.stdout).toContain(join(p.backups, f));
  });

  test('with a retention of 0 days every older backup goes, never the one just taken', async ({ db, dir }) => {
    const p = await seeded(dir, db);
    const env = { ...p.env, BACKUP_RETENTION_DAYS: '0' };
    const first = await backupFile(env);
    const second = await backupFile(env);
    expect(second).not.toBe(first);
    expect(await readdir(p.backups)).toEqual([second.split('/').pop()]);
  });

  test('backup, change data and version, restore: every row, sequence and the version are back exactly', async ({
    db,
    dir,
  }) => {
    const p = await seeded(dir, db);
    await db.query(`INSERT INTO company_a.settings (key, value) VALUES ('theme', '"dark"')`);
    const before = await snapshot(db);
    const versionBefore = await runCli(['version'], { env: p.env });
    const file = await backupFile(p.env);

    await db.query(
      `DELETE FROM policy_rules WHERE id % 2 = 0; UPDATE roles SET description = 'changed'; INSERT INTO resources (name) VALUES ('new_one')`,
    );
    await db.query(`TRUNCATE company_b.settings`);
    expect((await runCli(['down'], { env: p.env })).code).toBe(0); // drops the tenant table, changes the version
    expect(await snapshot(db)).not.toEqual(before);

    const r = await runCli(['restore', file], { env: p.env });
    expect(r.code, r.stderr).toBe(0);
    expect(await snapshot(db)).toEqual(before);
    expect(r.stdout).toContain(`Restored ${file} into ${db.name}`);
    expect(r.stdout).toContain(`Restored version:\n${versionBefore.stdout}`);
    expect((await runCli(['version'], { env: p.env })).stdout).toBe(versionBefore.stdout);
    expect(r.stderr).not.toContain('warning');
  });

  test('restore names what the backup does not hold, and leaves it as it is', async ({ db, dir }) => {
    const p = await seeded(dir, db);
    const file = await backupFile(p.env);
    await db.query('CREATE TABLE public.added_later (id int); CREATE SCHEMA company_new');
    const r = await runCli(['restore', file, '--json'], { env: p.env });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).leftovers).toEqual(['public.added_later']);
    expect(r.stderr).toContain('warning: not in the backup, so left as they were: public.added_later');
    expect(r.stderr).toContain(
      'note: kept 1 schema not in the backup, with their data and recorded state: company_new',
    );
  });

  test('restore in prod needs --yes (or a person at a terminal); without it nothing changes', async ({ db, dir }) => {
    const p = await seeded(dir, db);
    const file = await backupFile(p.env);
    await db.query(`DELETE FROM policy_rules`);
    const changed = await snapshot(db);
    const refused = await runCli(['restore', file], { env: { ...p.env, APP_ENV: 'prod' } });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('without confirmation; nothing was changed');
    expect(await snapshot(db)).toEqual(changed);
    const confirmed = await runCli(['restore', file, '--yes'], { env: { ...p.env, APP_ENV: 'prod' } });
    expect(confirmed.code, confirmed.stderr).toBe(0);
    expect((await db.query('SELECT count(*)::int AS n FROM policy_rules')).rows[0].n).toBeGreaterThan(0);
  });

  test('restore refuses a file that is missing or is not an archive, before touching anything', async ({ db, dir }) => {
    const p = await seeded(dir, db);
    await writeFile(join(dir, 'not-a-dump.dump'), 'hello');
    const bad = await runCli(['restore', join(dir, 'not-a-dump.dump')], { env: p.env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('is not a backup pg_restore can read');
    const missing = await runCli(['restore', join(dir, 'nope.dump')], { env: p.env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('does not exist');
    const none = await runCli(['restore'], { env: p.env });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('restore needs the backup FILE');
  });

  test('up --backup takes the backup before migrating', async ({ db, dir }) => {
    const p = await project(dir, db);
    const r = await runCli(['up', '--backup'], { env: p.env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.indexOf('Backup written:')).toBeGreaterThanOrEqual(0);
    expect(r.stdout.indexOf('Backup written:')).toBeLessThan(r.stdout.indexOf('Migrating to'));
    const [file] = await readdir(p.env.BACKUP_DIR!);
    expect(list(join(p.env.BACKUP_DIR!, file!))).not.toContain('TABLE public roles');
    expect((await db.query(`SELECT to_regclass('public.roles') AS t`)).rows[0].t).toBe('roles');
  });

  test('up --backup migrates nothing when the backup fails (folder cannot be created)', async ({ db, dir }) => {
    const p = await project(dir, db);
    await writeFile(join(dir, 'a-file'), 'x');
    const r = await runCli(['up', '--backup'], { env: { ...p.env, BACKUP_DIR: join(dir, 'a-file', 'backups') } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Backup failed, so nothing was migrated: Cannot create the backup folder');
    expect(r.stdout).not.toContain('Migrating to');
    expect((await db.query(`SELECT to_regclass('public.roles') AS t`)).rows[0].t).toBeNull();
    expect((await runCli(['version'], { env: p.env })).stdout).toContain('no migration');
  });

  test('up --backup migrates nothing when pg_dump fails, and leaves no partial file', async ({ db, dir }) => {
    const p = await project(dir, db);
    const fail = `case "$1" in --version) exec ${realPath('pg_dump')} --version;; esac\necho "pg_dump: error: simulated failure" >&2\nexit 1`;
    const w = await wrappers(dir, { body: { pg_dump: fail } });
    const r = await runCli(['up', '--backup'], { env: { ...p.env, PATH: `${w.bin}:${process.env.PATH}` } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'Backup failed, so nothing was migrated: pg_dump failed (exit 1): pg_dump: error: simulated failure',
    );
    expect((await db.query(`SELECT to_regclass('public.roles') AS t`)).rows[0].t).toBeNull();
    expect(await readdir(p.env.BACKUP_DIR!)).toEqual([]);
  });

  test('backup creates a missing folder (0700) and fails at once where it cannot, even below /proc', async ({
    db,
    dir,
  }) => {
    const p = await project(dir, db);
    const nested = join(dir, 'a', 'b');
    const made = await runCli(['backup'], { env: { ...p.env, BACKUP_DIR: nested } });
    expect(made.code, made.stderr).toBe(0);
    for (const d of [join(dir, 'a'), nested]) expect((await stat(d)).mode & 0o777).toBe(0o700);
    const proc = await runCli(['backup'], {
      env: { ...p.env, BACKUP_DIR: '/proc/migrate-tool-backups' },
      timeoutMs: 15_000,
    });
    expect(proc.code).toBe(1);
    expect(proc.stderr).toContain('Cannot create the backup folder /proc/migrate-tool-backups');
  });

  test('a pg_restore newer than the server restores through its SQL script, without the settings the server lacks', async ({
    db,
    dir,
  }) => {
    const p = await seeded(dir, db);
    const before = await snapshot(db);
    const versionBefore = await runCli(['version'], { env: p.env });
    const file = await backupFile(p.env);
    await db.query(`DELETE FROM policy_rules WHERE id % 2 = 0; UPDATE roles SET description = 'changed'`);
    expect((await runCli(['down'], { env: p.env })).code).toBe(0);

    const w = await pgRestore17(dir);
    const r = await runCli(['restore', file, '--json'], { env: { ...p.env, PATH: `${w.bin}:${process.env.PATH}` } });
    expect(r.code, r.stderr).toBe(0);
    expect(await snapshot(db)).toEqual(before);
    expect((await runCli(['version'], { env: p.env })).stdout).toBe(versionBefore.stdout);
    const server = (await db.query('SHOW server_version')).rows[0].server_version.split(' ')[0];
    expect(JSON.parse(r.stdout)).toMatchObject({ method: 'script', pgRestore: '17.6', server, removedSettings: 1 });
    expect((await w.log()).filter((l) => l.startsWith('pg_restore argv=[--clean'))).toEqual([
      expect.stringContaining('--file=-'),
    ]);
  });

  test('backup checks that this installation can restore it into this server, and warns when it cannot', async ({
    db,
    dir,
  }) => {
    const p = await seeded(dir, db);
    const w = await pgRestore17(dir);
    const env = { ...p.env, PATH: `${w.bin}:${process.env.PATH}` };
    const ok = await runCli(['backup', '--json'], { env });
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).restore).toEqual({ method: 'script', pgRestore: '17.6' });
    const text = await runCli(['backup'], { env });
    expect(text.stdout).toContain(
      '  restore into this server: pg_restore 17.6 is newer, so its SQL script runs through psql',
    );

    // The same pg_restore without a working psql: the backup stands, and says it cannot be restored here.
    await breakPsql(w.bin);
    const warned = await runCli(['backup'], { env });
    expect(warned.code, warned.stderr).toBe(0);
    const server = (await db.query('SHOW server_version')).rows[0].server_version.split(' ')[0];
    expect(warned.stderr).toContain(
      `warning: this installation cannot restore this backup into this server: pg_restore 17.6 is newer than the server (PostgreSQL ${server}), and restoring into it needs psql: Could not read the version of psql (psql: simulated missing client)`,
    );
  });

  test('the same restore on a terminal says how it ran', async ({ db, dir }) => {
    const p = await seeded(dir, db);
    const file = await backupFile(p.env);
    const w = await pgRestore17(dir);
    const r = await runCli(['restore', file], { env: { ...p.env, PATH: `${w.bin}:${process.env.PATH}` } });
    expect(r.code, r.stderr).toBe(0);
    const server = (await db.query('SHOW server_version')).rows[0].server_version.split(' ')[0];
    expect(r.stdout).toContain(
      `pg_restore 17.6 is newer than the server (PostgreSQL ${server}): restored through its SQL script and psql, in one transaction, without 1 SET of a setting the server lacks`,
    );
  });

  test('through the SQL script, a statement that fails rolls the whole restore back', async ({ db, dir }) => {
    const p = await seeded(dir, db);
    const file = await backupFile(p.env);
    await db.query('DELETE FROM policy_rules');
    const before = await snapshot(db);
    // Fails after the drops and most of the data: everything before it must be rolled back.
    const w = await pgRestore17(dir, { script: '$i SELECT 1/0;' });
    const r = await runCli(['restore', file], { env: { ...p.env, PATH: `${w.bin}:${process.env.PATH}` } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('psql failed (exit 3), the database is as it was (one transaction)');
    expect(r.stderr).toContain('division by zero');
    expect(await snapshot(db)).toEqual(before);
  });

  test('through the SQL script, a pg_restore that dies half way commits nothing', async ({ db, dir }) => {
    const p = await seeded(dir, db);
    const file = await backupFile(p.env);
    await db.query('DELETE FROM policy_rules');
    const before = await snapshot(db);
    // Stops right after the start of the roles data, with an error, as a damaged archive would.
    const w = await pgRestore17(dir, { script: '/^COPY public.roles /q', exitCode: 1 });
    const r = await runCli(['restore', file], { env: { ...p.env, PATH: `${w.bin}:${process.env.PATH}` } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('pg_restore failed (exit 1), the database is as it was (one transaction)');
    expect(await snapshot(db)).toEqual(before);
  });

  test('a restore that fails on a setting no tool knows leaves the database as it was and says what to do', async ({
    db,
    dir,
  }) => {
    const p = await seeded(dir, db);
    const file = await backupFile(p.env);
    await db.query('DELETE FROM policy_rules');
    const before = await snapshot(db);
    // A setting that settings-filter.ts does not know (a pg_restore newer than this tool).
    const fail = `case "$1" in --list|--version) exec ${realPath('pg_restore')} "$@";; esac
echo 'pg_restore: error: could not execute query: ERROR:  unrecognized configuration parameter "some_future_timeout"' >&2
exit 1`;
    const w = await wrappers(dir, { body: { pg_restore: fail } });
    const r = await runCli(['restore', file], { env: { ...p.env, PATH: `${w.bin}:${process.env.PATH}` } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('pg_restore failed (exit 1), the database is as it was (one transaction)');
    expect(r.stderr).toContain("fix: restore with the pg_restore of the server's major version");
    expect(await snapshot(db)).toEqual(before);
  });

  test('no password in any output or in the argument list of any process', async ({ db, dir }) => {
    const p = await seeded(dir, db);
    const w = await wrappers(dir, { delay: 0.4 });
    const env: Record<string, string> = { ...p.env, PATH: `${w.bin}:${process.env.PATH}` };
    // The suite's own password when its server URL has one (it must be right), otherwise a sentinel
    // that trust auth ignores: either way a leak would show it.
    const secret = env.POSTGRES_PASSWORD!;
    expect([SENTINEL_PASSWORD, serverPassword(db.url)]).toContain(secret);

    const child = spawnCli(['backup'], { env });
    const seen = new Set<string>();
    const done = collect(child);
    let finished = false;
    void done.finally(() => (finished = true));
    while (!finished) {
      for (const cmd of await commandLines()) seen.add(cmd);
      await new Promise((r) => setTimeout(r, 20));
    }
    const result = await done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout + result.stderr).not.toContain(secret);
    expect([...seen].filter((c) => c.includes(secret))).toEqual([]);
    expect([...seen].some((c) => c.includes('pg_dump') && c.includes('--format=custom'))).toBe(true);

    // Restore, this time with the password inside DATABASE_URL.
    const file = /Backup written: (.*)/.exec(result.stdout)![1]!;
    const url = new URL(db.url);
    const urlSecret = serverPassword(db.url) ?? 'Url-Secret-93kd';
    url.password = encodeURIComponent(urlSecret);
    const { POSTGRES_PASSWORD: _, POSTGRES_DB_PROD: __, ...rest } = env;
    const restored = await runCli(['restore', file], { env: { ...rest, DATABASE_URL: url.toString() } });
    expect(restored.code, restored.stderr).toBe(0);

    const log = await w.log();
    expect(log.filter((l) => l.startsWith('pg_dump argv=[--format=custom'))).toHaveLength(1);
    expect(log.filter((l) => l.startsWith('pg_restore argv=[--clean'))).toHaveLength(1);
    for (const line of log) {
      const [, argv, password] = /argv=\[(.*)\] PGPASSWORD=\[(.*)\]$/.exec(line)!;
      expect(argv).not.toContain(secret);
      expect(argv).not.toContain(urlSecret);
      // The password reaches the tools through their environment only.
      expect([secret, urlSecret]).toContain(password);
    }
  });

  test('Ctrl-C during a backup stops pg_dump and leaves no file, not even a partial one', async ({ db, dir }) => {
    const p = await seeded(dir, db);
    const w = await wrappers(dir, { delay: 1 });
    const child = spawnCli(['backup'], { env: { ...p.env, PATH: `${w.bin}:${process.env.PATH}` } });
    const done = collect(child);
    // Ctrl-C once pg_dump runs (the wrapper has logged it and sleeps), not after a guessed delay:
    // on a busy machine the CLI may not even have started by then.
    while (!(await w.log()).some((l) => l.startsWith('pg_dump argv=[--format=custom')))
      await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGINT');
    const r = await done;
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Backup interrupted; no backup was written');
    expect(await readdir(p.backups)).toEqual([]);
  });

  test.skipIf(Boolean(scriptMissing))(
    notRun('progress (elapsed, bytes) is drawn on a terminal only', scriptMissing),
    async ({ db, dir }) => {
      const p = await seeded(dir, db);
      const w = await wrappers(dir, { delay: 0.6 });
      const env = { ...p.env, PATH: `${w.bin}:${process.env.PATH}` };
      const tty = spawnSync('script', ['-qefc', `${process.execPath} ${BIN} backup`, '/dev/null'], {
        env,
        encoding: 'utf8',
      });
      expect(tty.status, tty.stdout).toBe(0);
      expect(tty.stdout).toMatch(
        new RegExp(`\\r\\x1b\\[2KBacking up ${db.name}: \\d+(\\.\\d)? [k]?B written, \\d+\\.\\d s`),
      );
      const file = /Backup written: (\S*)/.exec(tty.stdout)![1]!;
      const restoreTty = spawnSync('script', ['-qefc', `${process.execPath} ${BIN} restore ${file}`, '/dev/null'], {
        env,
        encoding: 'utf8',
      });
      expect(restoreTty.status, restoreTty.stdout).toBe(0);
      expect(restoreTty.stdout).toMatch(
        new RegExp(`\\r\\x1b\\[2KRestoring into ${db.name}: \\d+(\\.\\d)? [kM]?B read, \\d+\\.\\d s`),
      );

      const piped = await runCli(['backup'], { env });
      expect(piped.stdout + piped.stderr).not.toContain('Backing up');
    },
  );
});

describe('backup with a pg_dump older than the server', () => {
  test('is refused before dumping, naming the client to install', async ({ db, dir }) => {
    const p = await project(dir, db);
    const w = await wrappers(dir, { body: { pg_dump: 'echo "pg_dump (PostgreSQL) 9.6.24"' } });
    const r = await runCli(['backup'], { env: { ...p.env, PATH: `${w.bin}:${process.env.PATH}` } });
    expect(r.code).toBe(1);
    const server = Math.floor(Number((await db.query('SHOW server_version_num')).rows[0].server_version_num) / 10000);
    expect(r.stderr).toContain(`error: pg_dump 9.6 is older than the server (PostgreSQL ${server}`);
    expect(r.stderr).toContain(
      `fix: install the PostgreSQL ${server} client (Debian/Ubuntu: apt-get install postgresql-client-${server}`,
    );
    expect(await readdir(p.env.BACKUP_DIR!).catch(() => [])).toEqual([]);
  });
});

describe('retention', () => {
  test('a folder that cannot be listed is reported as not pruned, never thrown: the backup already stands', async ({
    dir,
  }) => {
    const missing = join(dir, 'gone');
    const pruned = await pruneBackups(missing, 'maindb', 2, join(missing, backupName('maindb', new Date())));
    expect(pruned.removed).toEqual([]);
    expect(pruned.failed).toEqual([
      expect.stringMatching(new RegExp(`^${missing} \\(cannot list the folder to find old backups: ENOENT`)),
    ]);
  });

  test('databases whose names differ only in characters unsafe in a path keep apart', async ({ dir }) => {
    const now = new Date();
    const old = new Date(now.getTime() - 10 * 24 * 3600 * 1000);
    const names = ['my db', 'my_db', 'my/db', 'mü'];
    const files = names.map((n) => backupName(n, old));
    expect(new Set(files).size).toBe(names.length);
    for (const f of files) await writeFile(join(dir, f), 'x');
    const pruned = await pruneBackups(dir, 'my db', 2, join(dir, backupName('my db', now)), now);
    expect(pruned.removed).toEqual([join(dir, files[0]!)]);
    expect((await readdir(dir)).sort()).toEqual(files.slice(1).sort());
  });
});
