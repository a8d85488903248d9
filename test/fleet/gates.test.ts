// Staged rollouts without a terminal: --soak waits after each stage, --gate asks a shell command
// whether the next stage may start (also `soak`/`gate` in a targets file's rollout). And the
// summary that ends a rollout and a fleet run.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { collect, envFor, runCli, spawnCli } from '../support/cli';
import { createDatabase, type TestDatabase } from '../support/db';
import { describe, expect, test } from '../support/fixtures';
import { BASIC, createTenants, writeMigrations } from '../support/migrations';
import { fleetDoc, targetsFileFor } from './support';

const SCHEMAS = ['company_1', 'company_2', 'company_3', 'company_4', 'company_5'];

async function project(db: TestDatabase, dir: string) {
  await createTenants(db, ...SCHEMAS);
  return { ...envFor(db.url), MIGRATIONS_DIR: await writeMigrations(dir, BASIC) };
}

async function migrated(db: TestDatabase): Promise<string[]> {
  const r = await db.query(
    "SELECT table_schema FROM information_schema.tables WHERE table_name = 'employees' ORDER BY 1",
  );
  return (r as { rows: Array<{ table_schema: string }> }).rows.map((row) => row.table_schema);
}

describe('a rollout gate', () => {
  test('a failing gate stops the rollout after its stage, shows its output, exit 1; the same command resumes', async ({
    db,
    dir,
  }) => {
    const env = await project(db, dir);
    const log = join(dir, 'stages.log');
    // Records each stage it is asked about; refuses after the first wave, while a marker file is there.
    const gate = `echo "$MIGRATE_ROLLOUT_STAGE" >> ${log}; if [ -e ${dir}/unhealthy ] && [ "$MIGRATE_ROLLOUT_STAGE" = "wave 1/2" ]; then echo "error rate 7% > 1%"; exit 3; fi`;
    await writeFile(join(dir, 'unhealthy'), '');
    const args = ['up', '--canary', '1', '--waves', '2', '--gate', gate];

    const first = await runCli(args, { env });
    expect(first.code, first.stderr).toBe(1);
    expect(first.stdout).toContain('Gate after canary: passed (exit 0');
    expect(first.stdout).toMatch(
      /^Gate after wave 1\/2 FAILED \(exit 3, [\d.]+ s\); its output:\n {2}\| error rate 7% > 1%$/m,
    );
    expect(first.stdout).toContain(
      'Rollout stopped after wave 1/2 (its gate failed); later waves were not started. Fix what failed and re-run the same command to resume.',
    );
    expect((await readFile(log, 'utf8')).trim().split('\n')).toEqual(['canary', 'wave 1/2']);
    // The canary and the first wave ran; the second wave did not start.
    expect(await migrated(db)).toEqual(['company_1', 'company_2', 'company_3']);
    // The rollout's summary: the three schemas and public; two tenant migrations each, one global.
    expect(first.stdout).toMatch(
      /^Summary: 4 schemas migrated, 0 failed, 0 skipped; 7 migrations applied; [\d.]+ s in all$/m,
    );

    await writeFile(log, '');
    await rm(join(dir, 'unhealthy'));
    const resumed = await runCli([...args, '--json'], { env });
    expect(resumed.code, resumed.stderr).toBe(0);
    const doc = fleetDoc<{ stages: Array<{ label: string; gate?: { ok: boolean; exitCode: number } }> }>(
      resumed.stdout,
    );
    expect(doc.stages.map((s) => [s.label, s.gate?.exitCode])).toEqual([
      ['canary', 0],
      ['wave 1/1', 0],
    ]);
    expect(await migrated(db)).toEqual(SCHEMAS);
  });

  test('--json of a stopped rollout says stopped: gate, with the gate exit code and output', async ({ db, dir }) => {
    const env = await project(db, dir);
    const r = await runCli(['up', '--canary', '1', '--gate', 'echo canary looks bad >&2; exit 5', '--json'], { env });
    expect(r.code).toBe(1);
    const doc = fleetDoc<{
      stopped: string;
      stages: Array<{ gate: { ok: boolean; exitCode: number; output: string } }>;
    }>(r.stdout);
    expect(doc.stopped).toBe('gate');
    expect(doc.stages).toHaveLength(1);
    expect(doc.stages[0]!.gate).toMatchObject({ ok: false, exitCode: 5, output: 'canary looks bad\n' });
    expect(await migrated(db)).toEqual(['company_1']);
  });

  test('--soak waits after each stage, before its gate and the next stage', async ({ db, dir }) => {
    const env = await project(db, dir);
    const started = performance.now();
    const r = await runCli(['up', '--canary', '1', '--soak', '0.6s', '--gate', 'true'], { env });
    const ms = performance.now() - started;
    expect(r.code, r.stderr).toBe(0);
    const order = [
      'Canary ok',
      'Soaking 0.6 s after canary, then the gate...',
      'Gate after canary: passed',
      'Wave 1/1:',
      'Soaking 0.6 s after wave 1/1',
      'Rollout complete!',
    ];
    const at = order.map((text) => r.stdout.indexOf(text));
    expect(
      at.every((i) => i >= 0),
      r.stdout,
    ).toBe(true);
    expect(at).toEqual([...at].sort((a, b) => a - b));
    expect(ms).toBeGreaterThanOrEqual(1200);
  });

  test('SIGTERM during a soak stops the rollout there (exit 1, interrupted); the gate never runs', async ({
    db,
    dir,
  }) => {
    const env = await project(db, dir);
    const ran = join(dir, 'gate-ran');
    const child = spawnCli(['up', '--canary', '1', '--soak', '1h', '--gate', `touch ${ran}`], { env });
    let stdout = '';
    child.stdout!.on('data', (d) => (stdout += d));
    const done = collect(child);
    while (!stdout.includes('Soaking 1 h 00 min after canary')) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGTERM');
    const r = await done;
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Rollout stopped after canary (interrupted)');
    await expect(readFile(ran)).rejects.toThrow();
    expect(await migrated(db)).toEqual(['company_1']);
  });

  test('a bad --soak is refused (exit 2) before anything runs; so is a bad soak or gate in the targets file', async ({
    db,
    dir,
  }) => {
    const env = await project(db, dir);
    const flag = await runCli(['up', '--canary', '1', '--soak', 'a while'], { env });
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('error: --soak must be a duration like 30s, 10m or 1h (got "a while")');

    const bad = await targetsFileFor(dir, [['one', db]], { soak: 'soon', gate: 7 });
    const file = await runCli(['up', '--targets', bad.file], {
      env: { ...bad.env, MIGRATIONS_DIR: env.MIGRATIONS_DIR },
    });
    expect(file.code).toBe(2);
    expect(file.stderr).toContain('rollout: "soak" must be a duration like "30s", "10m" or "1h"');
    expect(file.stderr).toContain('rollout: "gate" must be a shell command');
    expect(await migrated(db)).toEqual([]);
  });

  test("the targets file's rollout soak and gate apply over a fleet; the fleet's summary names target:schema", async ({
    db,
    dir,
  }) => {
    const env = await project(db, dir);
    const other = await createDatabase();
    try {
      await createTenants(other, 'company_x');
      const gated = await targetsFileFor(dir, [['one', db]], {
        canary: 1,
        soak: 0.1,
        gate: 'echo "stage $MIGRATE_ROLLOUT_STAGE refused"; exit 9',
      });
      const r = await runCli(['up', '--targets', gated.file], {
        env: { ...gated.env, MIGRATIONS_DIR: env.MIGRATIONS_DIR },
      });
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('Soaking 0.1 s after canary, then the gate...');
      expect(r.stdout).toContain('  | stage canary refused');
      expect(r.stdout).toContain('(its gate failed)');
      expect(r.stdout).toMatch(/^Summary: 2 schemas migrated, 0 failed, 0 skipped; 3 migrations applied/m);

      const fleet = await targetsFileFor(dir, [
        ['one', db],
        ['two', other],
      ]);
      const all = await runCli(['up', '--targets', fleet.file], {
        env: { ...fleet.env, MIGRATIONS_DIR: env.MIGRATIONS_DIR },
      });
      expect(all.code, all.stderr).toBe(0);
      // one: 4 tenants left (2 migrations each); two: public (1) and company_x (2).
      expect(all.stdout).toMatch(
        /^Summary: 6 schemas migrated, 0 failed, 0 skipped; 11 migrations applied; [\d.]+ s in all$/m,
      );
      // Each target's section has its own summary; the fleet's comes last, before the closing line.
      const slowest = [...all.stdout.matchAll(/^Slowest schemas: (.*)$/gm)].at(-1)![1]!;
      expect(slowest).toContain('two:');
      for (const entry of slowest.split(', '))
        expect(entry).toMatch(/^(one|two):(public|company_\w+) \d+ ms$|^(one|two):\S+ [\d.]+ s$/);
      expect(all.stdout.trimEnd().split('\n').at(-1)).toBe('up over 2 targets: 2 ok');
    } finally {
      await other.drop();
    }
  });
});
