// In the image the migrations folder is read-only, and a mounted backup folder may not be the
// image user's: create, hash and backup must say so, not crash.
import { spawnSync } from 'node:child_process';
import { chmod, copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { inject } from 'vitest';
import { describe, expect, test } from '../support/fixtures';
import { envFor, ROOT, runCli } from '../support/cli';
import { pgDumpSkipReason } from '../backup/support';
import { BASIC, writeMigrations } from '../support/migrations';
import { notRun } from '../support/not-run';

const root = process.getuid?.() === 0;
// Root writes anywhere, so as root the CLI runs as "nobody" through setpriv.
const canDropPrivileges = root && spawnSync('setpriv', ['--version']).status === 0;
// The backup needs a pg_dump that can dump the suite's server.
const dumpSkip = await pgDumpSkipReason(inject('adminUrl'));

/**
 * The CLI bundle copied into `dir`, where "nobody" can read it: the checkout may sit in a private
 * folder (0700, e.g. under root's home) that "nobody" cannot enter. The bundle needs nothing beside
 * it for create and hash.
 */
async function bundleIn(dir: string): Promise<string> {
  const copy = join(dir, 'migrate-tool.mjs');
  await copyFile(join(ROOT, 'dist/cli.js'), copy);
  return copy;
}

function runAsNobody(bundle: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  const r = spawnSync(
    'setpriv',
    ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, bundle, ...args],
    {
      cwd,
      env: { PATH: process.env.PATH ?? '', ...env },
      encoding: 'utf8',
    },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('a read-only migrations folder', () => {
  const skip =
    root && !canDropPrivileges
      ? 'as root it needs setpriv to run the CLI as another user: install util-linux'
      : undefined;
  test.skipIf(Boolean(skip))(
    notRun('create and hash explain what to do instead of failing with EACCES', skip),
    async ({ dir }) => {
      const migrations = await writeMigrations(dir, BASIC);
      const bundle = root ? await bundleIn(dir) : '';
      for (const d of [join(migrations, 'tenant'), migrations, dir]) await chmod(d, 0o555);
      try {
        for (const args of [['create', 'add_phone', '--tenant'], ['hash']]) {
          const r = root ? runAsNobody(bundle, args, dir) : await runCli(args, { cwd: dir });
          expect(r.code, args.join(' ')).toBe(2);
          expect(r.stderr).toContain('error: Cannot write to the migrations folder ./migrations (EACCES)');
          expect(r.stderr).toContain('fix: write migrations in a checkout, commit them, and rebuild the image');
        }
      } finally {
        for (const d of [dir, migrations, join(migrations, 'tenant')]) await chmod(d, 0o755);
      }
    },
  );
});

describe('a backup folder this user cannot write', () => {
  const skip =
    (root && !canDropPrivileges
      ? 'as root it needs setpriv to run the CLI as another user: install util-linux'
      : undefined) ?? dumpSkip;
  test.skipIf(Boolean(skip))(
    notRun('backup names the uid it runs as and the chown to run, not just BACKUP_DIR', skip),
    async ({ db, dir }) => {
      const backups = join(dir, 'backups');
      await mkdir(backups, { mode: 0o755 });
      await chmod(dir, 0o755);
      const env = { ...envFor(db.url), BACKUP_DIR: backups };
      const r = root
        ? runAsNobody(await bundleIn(dir), ['backup'], dir, env)
        : await runCli(['backup'], { cwd: dir, env: { ...env, BACKUP_DIR: '/' } });
      const uid = root ? 65534 : process.getuid!();
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`is not writable by uid ${uid}, the user migrate-tool runs as`);
      expect(r.stderr).toContain(`chown ${uid}:`);
      expect(r.stderr).toContain('(the image runs as uid 10001)');
      expect(r.stderr).not.toContain('check BACKUP_DIR');
    },
  );
});
