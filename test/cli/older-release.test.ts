// An older release (image rolled back) against a database that a newer release migrated: every
// read command says so, `status --exit-code` exits 4, and `down` refuses the versions it has no files for.
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { describe, expect, test } from '../support/fixtures';
import { envFor, runCli } from '../support/cli';
import { BASIC, createTenants, writeMigrations } from '../support/migrations';
import { rewriteSum } from '../../src/migrations/create';
import type { TestDatabase } from '../support/db';

const NEWER = 'the database has 1 version this folder does not have: 20250101000200; is this an older release?';

/** Migrates with the whole folder, then takes the newest tenant migration away: the older release's folder. */
async function olderRelease(db: TestDatabase, dir: string) {
  const root = await writeMigrations(dir, BASIC);
  await createTenants(db, 'company_a', 'company_b');
  const env = { ...envFor(db.url), MIGRATIONS_DIR: root };
  expect((await runCli(['up'], { env })).code).toBe(0);
  for (const f of ['up', 'down']) await rm(join(root, `tenant/20250101000200_employee_email.${f}.sql`));
  await rewriteSum(root);
  return env;
}

describe('an older release against a newer database', () => {
  test('version, status, tenants and up each name the versions the folder lacks', async ({ db, dir }) => {
    const env = await olderRelease(db, dir);
    const version = await runCli(['version'], { env });
    expect(version.code).toBe(0);
    expect(version.stdout).toContain(NEWER);
    const status = await runCli(['status'], { env });
    expect(status.stdout).toContain(NEWER);
    const tenants = await runCli(['tenants'], { env });
    expect(tenants.stdout).toContain(
      'the tenant schemas have 1 version this folder does not have: 20250101000200; is this an older release?',
    );
    const up = await runCli(['up'], { env });
    expect(up.code).toBe(0);
    expect(up.stdout.trim()).toBe('no change');
    expect(up.stderr).toContain(`warning: ${NEWER}`);
  });

  test('the --json documents carry unknownVersions', async ({ db, dir }) => {
    const env = await olderRelease(db, dir);
    for (const command of ['version', 'status', 'up']) {
      const r = await runCli([command, '--json'], { env });
      expect(JSON.parse(r.stdout).unknownVersions, command).toEqual(['20250101000200']);
    }
    const tenants = JSON.parse((await runCli(['tenants', '--json'], { env })).stdout);
    expect(tenants.tenants.map((t: { unknownVersions?: string[] }) => t.unknownVersions)).toEqual([
      ['20250101000200'],
      ['20250101000200'],
    ]);
  });

  test('status --exit-code exits 4, not 0 and not 3', async ({ db, dir }) => {
    const env = await olderRelease(db, dir);
    const r = await runCli(['status', '--exit-code'], { env });
    expect(r.code).toBe(4);
  });

  test('down refuses the version it has no files for, saying why, and rolls nothing back', async ({ db, dir }) => {
    const env = await olderRelease(db, dir);
    const r = await runCli(['down'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${NEWER} Nothing was rolled back`);
    expect(r.stderr).toContain('fix: roll back with the release (image) that has these files');
    const columns = await db.query(
      `SELECT 1 FROM information_schema.columns WHERE table_schema = 'company_a' AND column_name = 'email'`,
    );
    expect(columns.rowCount).toBe(1);
  });
});
