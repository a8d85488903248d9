// In the image the migrations folder is read-only: create and hash must say so, not crash.
import { spawnSync } from 'node:child_process';
import { chmod, copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from '../support/fixtures';
import { ROOT, runCli } from '../support/cli';
import { BASIC, writeMigrations } from '../support/migrations';
import { notRun } from '../support/not-run';

const root = process.getuid?.() === 0;
// Root writes anywhere, so as root the CLI runs as "nobody" through setpriv.
const canDropPrivileges = root && spawnSync('setpriv', ['--version']).status === 0;

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

function runAsNobody(bundle: string, args: string[], cwd: string) {
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, bundle, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '' },
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('a read-only migrations folder', () => {
  const skip = root && !canDropPrivileges ? 'as root it needs setpriv to run the CLI as another user: install util-linux' : undefined;
  test.skipIf(Boolean(skip))(notRun('create and hash explain what to do instead of failing with EACCES', skip), async ({ dir }) => {
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
  });
});
