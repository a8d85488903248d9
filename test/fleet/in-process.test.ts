// The fleet called in this process, with commands of the test's own beside the real ones. Prod
// confirmation: one question for every target, naming how many schemas change, counted by each
// command's preview (the library's dry run), not read back from its result. A target's entry in the
// fleet's JSON document is what the command renders for one database, its `name` beside it.
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { GLOBAL_FLAGS, parseArgs } from '../../src/cli/args';
import { down } from '../../src/cli/commands/down';
import { up } from '../../src/cli/commands/up';
import type { Command } from '../../src/cli/context';
import { renderRun, type Ran } from '../../src/cli/render-run';
import { runOverFleet } from '../../src/cli/fleet';
import { Output } from '../../src/cli/output';
import { envFor, runCli } from '../support/cli';
import { createDatabase, type TestDatabase } from '../support/db';
import { describe, expect, test } from '../support/fixtures';
import { BASIC, createTenants, writeMigrations } from '../support/migrations';
import { targetsFileFor } from './support';

/** runOverFleet as run.ts calls it, in prod unless told, on a terminal answering `answer`; the questions asked are kept. */
async function overFleet(
  command: Command,
  argv: string[],
  env: Record<string, string>,
  answer: string,
  appEnv = 'prod',
) {
  const questions: string[] = [];
  const stdout = new PassThrough();
  let text = '';
  stdout.on('data', (d) => (text += d));
  const inv = {
    argv,
    env,
    cwd: process.cwd(),
    streams: { stdout, stderr: new PassThrough().resume() },
    signal: new AbortController().signal,
    hardSignal: new AbortController().signal,
    interactive: true,
    ask: async (q: string) => (questions.push(q), answer),
  };
  const out = new Output(argv.includes('--json'), inv.streams);
  const args = parseArgs(argv, { ...GLOBAL_FLAGS, ...command.flags });
  const code = await runOverFleet(command, args, inv, out, args.flags.targets as string, {
    needsDatabase: true,
    overrides: { appEnv },
  }).catch((e: Error) => e.message);
  return { code, questions, stdout: text };
}

/** `fn` with a second database of the suite's server, dropped afterwards whatever `fn` did. */
async function withOther(fn: (other: TestDatabase) => Promise<void>, prefix?: string): Promise<void> {
  const other = await createDatabase(prefix);
  try {
    await fn(other);
  } finally {
    await other.drop();
  }
}

/** Two targets (two databases of the suite's server, three tenant schemas), nothing applied yet. */
async function twoTargets(db: TestDatabase, other: TestDatabase, dir: string) {
  const migrations = await writeMigrations(dir, BASIC);
  await createTenants(db, 'company_1', 'company_2');
  await createTenants(other, 'company_3');
  const { file, env } = await targetsFileFor(dir, [
    ['one', db],
    ['two', other],
  ]);
  return { file, fleetEnv: { ...env, MIGRATIONS_DIR: migrations } };
}

/** The two targets, every migration applied. */
async function migratedFleet(db: TestDatabase, other: TestDatabase, dir: string) {
  const fleet = await twoTargets(db, other, dir);
  expect((await runCli(['up', '--targets', fleet.file], { env: fleet.fleetEnv })).code).toBe(0);
  return fleet;
}

/** A down whose result shows nothing of what it changed: the question's count cannot come from it. */
const silentDown: Command<Ran> = {
  ...down,
  render: (ran) => ({ ...renderRun(ran), doc: { steps: [], rolledBack: [] }, lines: [] }),
};

describe('a fleet in this process', () => {
  test("the count in the question is each target's preview, whatever its result shows; a confirmed down runs", async ({
    db,
    dir,
  }) => {
    await withOther(async (other) => {
      const { file, fleetEnv } = await migratedFleet(db, other, dir);
      // The question counts the three tenant schemas the rollback of 20250101000200 changes,
      // whatever the result would show (declined, so nothing runs).
      const declined = await overFleet(silentDown, ['down', '--targets', file, '--json'], fleetEnv, 'no');
      expect(declined.questions).toEqual([
        'About to run down on 2 targets, changing 3 schemas, (env: prod). Type the number of targets (2) to go on: ',
      ]);
      expect(declined.code).toBe('Not confirmed; nothing was changed');

      // The real down, text output, confirmed with the number of targets: it runs on both.
      const confirmed = await overFleet(down, ['down', '--targets', file], fleetEnv, '2');
      expect(confirmed.questions).toEqual([
        'About to run down on 2 targets, changing 3 schemas, (env: prod). Type the number of targets (2) to go on: ',
      ]);
      expect(confirmed.code).toBe(0);
      expect(confirmed.stdout).toContain('down over 2 targets: 2 ok');
      const columns = await other.query(
        `SELECT column_name FROM information_schema.columns WHERE table_schema = 'company_3' AND table_name = 'employees' ORDER BY 1`,
      );
      expect((columns as { rows: Array<{ column_name: string }> }).rows.map((r) => r.column_name)).toEqual([
        'id',
        'name',
      ]);
    });
  });

  test("a target's entry in the fleet's document is the document of the same command on that database alone, named", async ({
    db,
    dir,
  }) => {
    await withOther(async (other) => {
      const { file, fleetEnv } = await migratedFleet(db, other, dir);
      const fleet = await overFleet(down, ['down', '--targets', file, '--json', '--dry-run'], fleetEnv, '', 'dev');
      expect(fleet.code).toBe(0);
      const entries = (JSON.parse(fleet.stdout) as { targets: Array<{ name: string }> }).targets;
      const alone = async (t: TestDatabase) => {
        const r = await runCli(['down', '--json', '--dry-run'], {
          env: { ...envFor(t.url), MIGRATIONS_DIR: fleetEnv.MIGRATIONS_DIR! },
        });
        return JSON.parse(r.stdout) as Record<string, unknown>;
      };
      expect(entries).toEqual([
        { name: 'one', ...(await alone(db)) },
        { name: 'two', ...(await alone(other)) },
      ]);
      expect(entries.map((e) => Object.keys(e))).toEqual(
        entries.map(() => ['name', 'dryRun', 'direction', 'steps', 'refused']),
      );
    });
  });

  test('--pause over a fleet asks on the terminal before each wave, and the rollout runs once answered', async ({
    db,
    dir,
  }) => {
    await withOther(async (other) => {
      const { file, fleetEnv } = await twoTargets(db, other, dir);
      const argv = ['up', '--targets', file, '--canary', '1', '--waves', '1', '--pause'];
      const r = await overFleet(up, argv, fleetEnv, 'y', 'dev');
      expect(r.code).toBe(0);
      expect(r.questions).toEqual(['Start wave 1/2 (1 schema)? [y/N] ', 'Start wave 2/2 (1 schema)? [y/N] ']);
    });
  });

  test('a rollout refuses --check-drift and --contract in one way, over one database or a fleet (exit 2, BAD_ROLLOUT)', async ({
    db,
    dir,
  }) => {
    const migrations = await writeMigrations(dir, BASIC);
    await createTenants(db, 'company_1', 'company_2');
    const one = { ...envFor(db.url), MIGRATIONS_DIR: migrations, BACKUP_DIR: dir };
    const { file, env } = await targetsFileFor(dir, [['one', db]]);
    const fleet = { ...env, MIGRATIONS_DIR: migrations, BACKUP_DIR: dir };
    for (const flag of ['--check-drift', '--allow-drift', '--contract']) {
      for (const [args, runEnv] of [
        [['up', '--canary', '1', flag, '--json'], one],
        [['up', '--targets', file, '--waves', '2', flag, '--json'], fleet],
      ] as const) {
        const r = await runCli([...args], { env: runEnv });
        expect([r.code, JSON.parse(r.stdout).error], `${args.join(' ')}\n${r.stderr}`).toEqual([
          2,
          expect.objectContaining({
            code: 'BAD_ROLLOUT',
            message: `${flag} cannot be combined with --canary or --waves, nor with a targets file's rollout`,
          }),
        ]);
      }
    }
    // Refused before anything ran: no state.
    expect(
      (await db.query(`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = 'migrate_tool'`)).rows[0].n,
    ).toBe(0);
  });

  test('with a rollout, --backup backs up each database before the canary, and --lint stops it on an error, on one database and over a fleet', async ({
    db,
    dir,
  }) => {
    const migrations = await writeMigrations(dir, BASIC);
    await createTenants(db, 'company_1', 'company_2');
    await withOther(async (other) => {
      await createTenants(other, 'company_3');
      const backups = join(dir, 'backups');
      const one = { ...envFor(db.url), MIGRATIONS_DIR: migrations, BACKUP_DIR: backups };
      const dumps = (folder: string) =>
        existsSync(folder)
          ? readdirSync(folder, { recursive: true })
              .map(String)
              .filter((f) => f.endsWith('.dump'))
          : [];
      const single = await runCli(['up', '--canary', '1', '--backup'], { env: one });
      expect(single.code, single.stderr).toBe(0);
      expect(dumps(backups)).toHaveLength(1);

      const { file, env } = await targetsFileFor(dir, [
        ['one', db],
        ['two', other],
      ]);
      const fleetBackups = join(dir, 'fleet-backups');
      const fleet = { ...env, MIGRATIONS_DIR: migrations, BACKUP_DIR: fleetBackups };
      // A file with an error-level finding stops the rollout before any stage, in every target.
      writeFileSync(
        join(migrations, 'tenant', '20991231000000_idx.up.sql'),
        'CREATE INDEX employees_name_idx ON employees (name);\n',
      );
      expect((await runCli(['hash'], { env: fleet })).code).toBe(0);
      const linted = await runCli(['up', '--targets', file, '--waves', '1', '--lint', '--backup'], { env: fleet });
      expect(linted.code, linted.stderr).not.toBe(0);
      expect(linted.stderr).toMatch(/20991231000000_idx\.up\.sql:1:\d+: error require-concurrent-index-creation/);
      expect(dumps(fleetBackups)).toEqual([]);
      rmSync(join(migrations, 'tenant', '20991231000000_idx.up.sql'));
      expect((await runCli(['hash'], { env: fleet })).code).toBe(0);
      const backed = await runCli(['up', '--targets', file, '--waves', '1', '--backup'], { env: fleet });
      expect(backed.code, backed.stderr).toBe(0);
      // `one` had nothing left to do after the single run: only `two` is backed up, in its own folder.
      expect(dumps(fleetBackups).map((f) => f.split('/')[0])).toEqual(['two']);
    }, 'rollout_two');
  });
});
