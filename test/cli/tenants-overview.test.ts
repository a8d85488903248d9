// `tenants` as an overview: filters that keep only the schemas needing a look (behind, dirty,
// failed, at a version), a count per version, and over a fleet a target × version table.
import { describe, expect, test } from '../support/fixtures';
import { envFor } from '../support/cli';
import { inProcess } from '../support/in-process';
import { BASIC, createTenants, writeMigrations } from '../support/migrations';
import { mixedTenants, V2, V3, V4, versionCounts, withTwoTargets } from '../support/overview';

const schemasOf = (stdout: string) =>
  (JSON.parse(stdout) as { tenants: Array<{ schema: string }> }).tenants.map((t) => t.schema);

describe('tenants filters', () => {
  test('--behind, --dirty, --failed and --version V keep only those schemas, and together all must hold', async ({
    db,
    dir,
  }) => {
    const env = await mixedTenants(db, dir);
    const json = async (...flags: string[]) => {
      const r = await inProcess(['tenants', ...flags, '--json'], env);
      expect(r.code, r.stderr).toBe(0);
      return schemasOf(r.stdout);
    };
    expect(await json()).toEqual(['company_a', 'company_b', 'company_c', 'company_d']);
    expect(await json('--behind')).toEqual(['company_b', 'company_c', 'company_d']);
    expect(await json('--dirty')).toEqual(['company_c']);
    expect(await json('--failed')).toEqual(['company_b', 'company_c']);
    expect(await json('--version', V2)).toEqual(['company_b']);
    expect(await json('--version', 'none')).toEqual(['company_d']);
    expect(await json('--failed', '--dirty')).toEqual(['company_c']);
    expect(await json('--version', V4, '--behind')).toEqual(['company_c']);

    const failed = await inProcess(['tenants', '--failed'], env);
    expect(failed.stdout).toMatch(new RegExp(`company_b .*${V3}: .*audit.* already exists`));
    expect(failed.stdout).toContain('2 of 4 tenant schemas match --failed');
    expect(failed.stdout).not.toContain('company_a');
  });

  test('a failure ends when a later run gets the schema past it', async ({ db, dir }) => {
    const env = await mixedTenants(db, dir);
    await db.query('DROP TABLE company_b.audit');
    // company_c is still dirty: this run refuses it again, and it stays failed.
    expect((await inProcess(['up'], env)).code).toBe(1);
    const r = await inProcess(['tenants', '--failed', '--json'], env);
    expect(schemasOf(r.stdout)).toEqual(['company_c']);
    const c = (JSON.parse(r.stdout) as { tenants: Array<{ failed: { version: string } }> }).tenants[0]!;
    expect(c.failed.version).toBe(V4);
  });

  test('a failed rollback is failed until the next run', async ({ db, dir }) => {
    const env = { ...envFor(db.url), MIGRATIONS_DIR: await writeMigrations(dir, BASIC) };
    await createTenants(db, 'company_a', 'company_b');
    expect((await inProcess(['up'], env)).code).toBe(0);
    await db.query('ALTER TABLE company_b.employees DROP COLUMN email'); // its down now fails there
    expect((await inProcess(['down'], env)).code).toBe(1);
    const failed = async () =>
      (
        JSON.parse((await inProcess(['tenants', '--failed', '--json'], env)).stdout) as {
          tenants: Array<{ schema: string; failed: object }>;
        }
      ).tenants;
    expect(await failed()).toMatchObject([{ schema: 'company_b', failed: { version: V2, direction: 'down' } }]);
    // company_b keeps V2, as it would if the rollback had been given up: the next run ends the failure.
    expect((await inProcess(['up'], env)).code).toBe(0);
    expect(await failed()).toEqual([]);
  });

  test('a bad --version is a usage error naming the form, before any connection', async ({ dir }) => {
    const env = { ...envFor('postgres://nobody@127.0.0.1:1/none'), MIGRATIONS_DIR: await writeMigrations(dir, BASIC) };
    const r = await inProcess(['tenants', '--version', '2025'], env);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(
      /--version must be a 14-digit version or none \(got "2025"\); fix: write e\.g\. --version \d{14}$/,
    );
  });
});

describe('tenants --summary', () => {
  test('counts schemas per version, newest first, as the database records them', async ({ db, dir }) => {
    const env = await mixedTenants(db, dir);
    const r = await inProcess(['tenants', '--summary', '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    const { summary } = JSON.parse(r.stdout) as {
      summary: { count: number; behind: number; dirty: number; failed: number; versions: unknown[] };
    };
    const expected = { rows: await versionCounts(db) };
    expect(summary.versions).toEqual(expected.rows);
    expect(summary).toMatchObject({ count: 4, behind: 3, dirty: 1, failed: 2 });

    const text = await inProcess(['tenants', '--summary'], env);
    const lines = text.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^VERSION\s+SCHEMAS$/);
    expect(lines.slice(1, -1).map((l) => l.split(/\s+/))).toEqual(
      expected.rows.map((e) => [e.version ?? 'none', String(e.schemas)]),
    );
    expect(lines.at(-1)).toBe('4 tenant schemas, 3 behind, 1 dirty, 2 failed');
  });

  test('over a fleet, one row per target and one column per version', async ({ db, dir }) => {
    await withTwoTargets(db, dir, async (targets, env) => {
      const r = await inProcess(['tenants', '--summary', '--targets', targets], env);
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout.split('\n');
      const at = lines.indexOf('Tenant schemas per target and version:');
      expect(at).toBeGreaterThan(0);
      expect(lines.slice(at + 1, at + 4).map((l) => l.trim().split(/\s+/))).toEqual([
        ['TARGET', V4, V2, 'none', 'TOTAL'],
        ['eu', '2', '1', '1', '4'],
        ['us', '2', '0', '0', '2'],
      ]);
    });
  });
});
