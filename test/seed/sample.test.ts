// The sample application's seed data (seeds/) against tables shaped as prisma/schema.prisma
// declares them: the fixture migrations always, and the sample migrations once they exist.
import { existsSync } from 'node:fs';
import { inject } from 'vitest';
import { pgDumpSkipReason } from '../backup/support';
import { join } from 'node:path';
import { envFor, ROOT, runCli } from '../support/cli';
import { describe, expect, test } from '../support/fixtures';
import { notRun } from '../support/not-run';
import { project, readSet } from './support';

const SEEDS = join(ROOT, 'seeds');
const SAMPLE_MIGRATIONS = join(ROOT, 'migrations');
const noDump = await pgDumpSkipReason(inject('adminUrl'));
const noSample = existsSync(SAMPLE_MIGRATIONS)
  ? undefined
  : 'the checkout has no sample migrations/ folder: run the suite in a full checkout';
const FILES = ['01_resources.json', '02_roles.json', '03_endpoints.json', '04_policies.json'];

async function seedTwice(env: Record<string, string>) {
  const first = await runCli(['seed', '--json'], { env });
  expect(first.code, first.stderr).toBe(0);
  const second = await runCli(['seed', '--json'], { env });
  expect(second.code, second.stderr).toBe(0);
  return [JSON.parse(first.stdout), JSON.parse(second.stdout)];
}

async function expectedRows(): Promise<number> {
  let n = 0;
  for (const f of FILES) n += (await readSet(SEEDS, f)).rows.length;
  return n;
}

describe('the sample seed data', () => {
  test('applies to tables shaped as the models declare, and a second run changes nothing', async ({ db, dir }) => {
    const p = await project(dir, db);
    const env = { ...p.env, SEEDS_DIR: SEEDS };
    expect((await runCli(['up'], { env })).code).toBe(0);
    const [first, second] = await seedTwice(env);
    expect(first.totals.inserted).toBe(await expectedRows());
    expect(second.totals).toEqual({ inserted: 0, updated: 0, unchanged: first.totals.inserted });
  });

  test.skipIf(Boolean(noSample))(
    notRun('applies to a database migrated with the sample migrations', noSample),
    async ({ db }) => {
      await db.query('CREATE SCHEMA company_a; CREATE SCHEMA company_b');
      const env = { ...envFor(db.url), MIGRATIONS_DIR: SAMPLE_MIGRATIONS, SEEDS_DIR: SEEDS };
      const up = await runCli(['up'], { env });
      expect(up.code, up.stderr).toBe(0);
      const [first, second] = await seedTwice(env);
      expect(first.totals.inserted).toBe(await expectedRows());
      expect(second.totals).toMatchObject({ inserted: 0, updated: 0 });
      const admin = await db.query(
        `SELECT count(*)::int AS n FROM policy_rules p JOIN roles r ON r.id = p.role_id WHERE r.name = 'owner'`,
      );
      expect(admin.rows[0].n).toBe(
        (await readSet(SEEDS, '04_policies.json')).rows.filter((r) => r.role === 'owner').length,
      );
    },
  );

  test.skipIf(Boolean(noSample ?? noDump))(
    notRun('the production checklist on the sample: backup, migrate, seed, verify, restore', noSample ?? noDump),
    async ({ db, dir }) => {
      await db.query('CREATE SCHEMA company_acme');
      const env = {
        ...envFor(db.url),
        MIGRATIONS_DIR: SAMPLE_MIGRATIONS,
        SEEDS_DIR: SEEDS,
        BACKUP_DIR: join(dir, 'backups'),
      };
      const run = async (...args: string[]) => {
        const r = await runCli(args, { env });
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
        return r.stdout;
      };
      await run('up', '--backup');
      await run('seed');
      const verified = await run('seed', '--dry-run');
      expect(verified).toContain('Dry run complete, nothing was changed: 0 would be inserted, 0 would be updated');
      expect(await run('status', '--exit-code')).not.toContain('pending');
      const file = /Backup written: (\S+)/.exec(await run('backup'))![1]!;
      const version = await run('version');

      await db.query(`DELETE FROM policy_rules; INSERT INTO company_acme.branches (name) VALUES ('Damage')`);
      const restored = await run('restore', file);
      expect(restored).toContain(`Restored version:\n${version}`);
      expect((await db.query('SELECT count(*)::int AS n FROM company_acme.branches')).rows[0].n).toBe(0);
      expect(await run('seed', '--dry-run')).toContain('0 would be inserted, 0 would be updated');
    },
  );
});
