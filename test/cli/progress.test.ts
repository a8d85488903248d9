// Progress and the closing summary. On a terminal the progress line is redrawn in place; in a pipe
// (docker logs, a CI job) it is a line on stderr every --progress-interval seconds; never on stdout,
// so never inside --json's document. Every run that did something ends with a summary.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { inject } from 'vitest';
import { describe, expect, test } from '../support/fixtures';
import type { TestDatabase } from '../support/db';
import { BIN, envFor, runCli } from '../support/cli';
import { notRun } from '../support/not-run';
import { scriptMissing } from '../support/terminal';
import { BASIC, createTenants, writeMigrations } from '../support/migrations';
import { pgDumpSkipReason, wrappers } from '../backup/support';
import { targetsFileFor } from '../fleet/support';

const skip = await pgDumpSkipReason(inject('adminUrl'));

/** BASIC with a tenant migration that takes a while in each schema, so that a run lasts long enough to report on. */
const SLOW = {
  ...BASIC,
  'tenant/20250101000100_employees.up.sql': `${BASIC['tenant/20250101000100_employees.up.sql']}\nSELECT pg_sleep(0.15);`,
};

const LINE =
  /^ {2}tenant schemas: (\d+)\/(\d+) in [^,]+(, (\d+) failed)?, [\d.]+ schemas\/(s|min), ETA [^,]+, applying 20250101000100\.\.20250101000200 \(2 versions\)$/;
const progressLines = (text: string) => text.split('\n').filter((l) => LINE.test(l));

async function slowProject(db: TestDatabase, dir: string, schemas: string[]) {
  const root = await writeMigrations(dir, SLOW);
  await createTenants(db, ...schemas);
  return { ...envFor(db.url), MIGRATIONS_DIR: root };
}

const eight = Array.from({ length: 8 }, (_, i) => `company_${i + 1}`);

describe('progress in a log (no terminal)', () => {
  test('up writes a line every --progress-interval on stderr: done/total, rate, ETA, the versions; then a summary', async ({
    db,
    dir,
  }) => {
    const env = await slowProject(db, dir, eight);
    const r = await runCli(['up', '--progress-interval', '0.1', '--concurrency', '2'], { env });
    expect(r.code, r.stderr).toBe(0);
    const lines = progressLines(r.stderr);
    expect(lines.length, r.stderr).toBeGreaterThanOrEqual(2);
    for (const l of lines) expect(Number(LINE.exec(l)![2])).toBe(8);
    // Counts only go up.
    const done = lines.map((l) => Number(LINE.exec(l)![1]));
    expect(done).toEqual([...done].sort((a, b) => a - b));
    expect(r.stdout).not.toContain('tenant schemas:');
    // public and 8 tenants; 1 global + 2 x 8 tenant migrations; the slowest, longest first, are mostly
    // tenant schemas (each sleeps 150 ms; public, which does not, can be slow too on a loaded machine).
    expect(r.stdout).toMatch(
      /^Summary: 9 schemas migrated, 0 failed, 0 skipped; 17 migrations applied; [\d.]+ s in all$/m,
    );
    const slowest = /^Slowest schemas: (.*)$/m
      .exec(r.stdout)![1]!
      .split(', ')
      .map((s) => s.split(' '));
    expect(slowest).toHaveLength(5);
    expect(slowest.filter(([schema]) => eight.includes(schema!)).length).toBeGreaterThanOrEqual(4);
    // `312 ms`, or from a second on `1.2 s`
    const ms = ([, n, unit]: string[]) => Number.parseFloat(n!) * (unit === 'ms' ? 1 : 1000);
    const times = slowest.map(ms);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    for (const entry of slowest) {
      expect([...eight, 'public']).toContain(entry[0]);
      if (entry[0] !== 'public') expect(ms(entry)).toBeGreaterThanOrEqual(150);
    }
    // The summary comes just before the closing line, which stays last.
    expect(
      r.stdout
        .trimEnd()
        .split('\n')
        .slice(-3, -1)
        .map((l) => l.split(':')[0]),
    ).toEqual(['Summary', 'Slowest schemas']);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('Migration complete!');
  });

  test('--json: stdout stays one JSON document; the progress and the summary go to stderr', async ({ db, dir }) => {
    const env = await slowProject(db, dir, eight);
    const r = await runCli(['up', '--json', '--progress-interval', '0.1', '--concurrency', '2'], { env });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { applied: unknown[] };
    expect(doc.applied).toHaveLength(17);
    expect(progressLines(r.stderr).length, r.stderr).toBeGreaterThanOrEqual(2);
    expect(r.stderr).toMatch(/^Summary: 9 schemas migrated, 0 failed, 0 skipped; 17 migrations applied/m);
  });

  test('failures are counted on the line and in the summary; down ends with its own summary', async ({ db, dir }) => {
    const env = await slowProject(db, dir, ['company_0bad', ...eight]);
    await db.query('CREATE TABLE company_0bad.employees (x int)');
    const r = await runCli(['up', '--progress-interval', '0.1', '--concurrency', '2'], { env });
    expect(r.code).toBe(1);
    expect(
      progressLines(r.stderr).some((l) => LINE.exec(l)![4] === '1'),
      r.stderr,
    ).toBe(true);
    expect(r.stdout).toMatch(/^Summary: 9 schemas migrated, 1 failed, 0 skipped; 17 migrations applied/m);

    const down = await runCli(['down', '--progress-interval', '0'], { env });
    expect(down.code).toBe(0);
    expect(down.stdout).toMatch(
      /^Summary: 8 schemas rolled back, 0 failed, 0 skipped; 8 migrations rolled back; [\d.]+ s in all$/m,
    );
  });

  test('--progress-interval 0 writes no progress; a bad value is refused (exit 2) before anything runs', async ({
    db,
    dir,
  }) => {
    const env = await slowProject(db, dir, eight.slice(0, 4));
    const bad = await runCli(['up', '--progress-interval', 'soon'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      'error: --progress-interval must be a number of seconds, like 5 or 0.5 (got "soon"); fix: write e.g.',
    );
    expect((await db.query("SELECT to_regclass('public.companies') AS t")).rows[0].t).toBeNull();

    const none = await runCli(['up', '--progress-interval', '0', '--concurrency', '1'], { env });
    expect(none.code).toBe(0);
    expect(none.stderr).not.toContain('tenant schemas:');
    expect(none.stdout).toContain('Summary: 5 schemas migrated');
  });

  test("a staged rollout's waves write their progress too", async ({ db, dir }) => {
    const env = await slowProject(db, dir, eight);
    const r = await runCli(['up', '--waves', '4', '--progress-interval', '0.1', '--concurrency', '1'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^ {2}tenant schemas: \d\/4 in [^,]+, [\d.]+ schemas\/(s|min), ETA [^,]+, applying/m);
    expect(r.stdout).not.toContain('tenant schemas:');
    expect(r.stdout).toMatch(
      /^Summary: 9 schemas migrated, 0 failed, 0 skipped; 17 migrations applied; [\d.]+ s in all\nSlowest schemas: .*\nRollout complete!/m,
    );
  });

  test("over a targets file each target's progress lines carry its name", async ({ db, dir }) => {
    const env = await slowProject(db, dir, eight.slice(0, 4));
    const { file, env: fleetEnv } = await targetsFileFor(dir, [['eu-1', db]]);
    const r = await runCli(['up', '--targets', file, '--progress-interval', '0.1', '--concurrency', '1'], {
      env: { ...fleetEnv, MIGRATIONS_DIR: env.MIGRATIONS_DIR },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^\[eu-1\] {3}tenant schemas: \d\/4 in [^,]+, [\d.]+ schemas\/(s|min), ETA/m);
    expect(r.stdout).not.toContain('tenant schemas:');
  });

  test.skipIf(Boolean(skip))(notRun("backup's progress goes to the log too", skip), async ({ db, dir }) => {
    const root = await writeMigrations(dir, BASIC);
    const w = await wrappers(dir, { delay: 0.8 });
    const env = {
      ...envFor(db.url),
      MIGRATIONS_DIR: root,
      BACKUP_DIR: join(dir, 'backups'),
      PATH: `${w.bin}:${process.env.PATH}`,
    };
    const r = await runCli(['backup', '--progress-interval', '0.2'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`^Backing up ${db.name}: [\\d.]+ k?B written, \\d+\\.\\d s$`, 'm'));
    expect(r.stdout).not.toContain('Backing up');
  });
});

describe('progress on a terminal', () => {
  test.skipIf(Boolean(scriptMissing))(
    notRun('is redrawn in place with the rate and the ETA (a pseudo-terminal from `script`)', scriptMissing),
    async ({ db, dir }) => {
      const env = {
        PATH: process.env.PATH ?? '',
        ...(await slowProject(db, dir, ['company_a', 'company_b', 'company_c'])),
      };
      const r = spawnSync('script', ['-qefc', `${process.execPath} ${BIN} up --concurrency 1`, '/dev/null'], {
        env,
        encoding: 'utf8',
      });
      expect(r.status).toBe(0);
      const redrawn = new RegExp(
        String.raw`\r\x1b\[2K {2}tenant schemas: [12]/3 in [^,]+, [\d.]+ schemas/(s|min), ETA [^,]+, applying`,
      );
      expect(r.stdout).toMatch(redrawn);
      expect(r.stdout).toContain('Migration complete!');
    },
  );
});
