// Benchmark: how fast `migrate-tool version` answers (bundle already built, a migrated database with
// three tenant schemas) against a bare `node -e 0`, runs interleaved so both see the same machine.
// Run: `npm run bench -- startup` or `tsx bench/startup.bench.ts`.
//   --runs N      timed runs of each (default 20, after 3 untimed warm-up runs)
//   --npx-runs N  runs of `npx migrate-tool version`, for reference (default 5)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BIN, cliEnv, ensureBuilt, migrateTool, ROOT } from './lib/cli';
import { createDatabase, dropDatabase, runScript } from './lib/db';
import { machine } from './lib/machine';
import { median, millis, mustSucceed, percentile, runProcess, table, type ProcessRun } from './lib/measure';
import { benchServer } from './lib/server';
import { BASELINE, createSchemasScript, PENDING, writeMigrateToolDir } from './engine/fixture';

const { values: flags } = parseArgs({ options: { runs: { type: 'string' }, 'npx-runs': { type: 'string' } } });
const RUNS = Math.max(1, Number(flags.runs ?? 20));
const NPX_RUNS = Math.max(0, Number(flags['npx-runs'] ?? 5));
const WARMUP = 3;
const TARGET_RATIO = 4;
const DB = 'mtbench_startup';

const server = await benchServer();
const work = await mkdtemp(join(tmpdir(), 'migrate-tool-bench-'));
try {
  console.log('startup: `migrate-tool version` against `node -e 0`');
  console.log(`machine: ${machine()}`);
  console.log(`server:  ${server.description}\n`);

  const url = await createDatabase(server.url, DB);
  await runScript(url, createSchemasScript(3));
  const dir = await writeMigrateToolDir(join(work, 'migrations'), [BASELINE, ...PENDING]);
  await ensureBuilt();
  mustSucceed('migrate-tool hash', await migrateTool(['hash'], url, dir));
  mustSucceed('migrate-tool up', await migrateTool(['up'], url, dir));

  const env = cliEnv(url, dir);
  const nodeBare = () => runProcess(process.execPath, ['-e', '0'], { measureRss: false });
  const version = async () =>
    checkVersion(await runProcess(process.execPath, [BIN, 'version'], { env, cwd: ROOT, measureRss: false }));
  const npx = async () =>
    checkVersion(
      await runProcess('npx', ['--no-install', 'migrate-tool', 'version'], {
        env: { ...env, npm_config_update_notifier: 'false' },
        cwd: ROOT,
        measureRss: false,
      }),
    );

  for (let i = 0; i < WARMUP; i++) {
    await nodeBare();
    await version();
  }
  const bare: number[] = [];
  const tool: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    bare.push((await nodeBare()).ms);
    tool.push((await version()).ms);
  }
  const viaNpx: number[] = [];
  for (let i = 0; i < NPX_RUNS; i++) viaNpx.push((await npx()).ms);

  const row = (label: string, ms: number[]) => [
    label,
    String(ms.length),
    millis(median(ms)),
    millis(percentile(ms, 90)),
    `${(median(ms) / median(bare)).toFixed(2)}×`,
  ];
  console.log(
    table([
      ['command', 'runs', 'median', 'p90', '/ node -e 0 (median)'],
      row('node -e 0', bare),
      row('node bin/migrate-tool.js version', tool),
      ...(viaNpx.length ? [row("npx migrate-tool version (reference: includes npx's own start-up)", viaNpx)] : []),
    ]),
  );
  const r = median(tool) / median(bare);
  console.log(
    `\ntarget: migrate-tool version / node -e 0 ≤ ${TARGET_RATIO}×: ${r.toFixed(2)}× (${r <= TARGET_RATIO ? 'met' : 'MISSED'})`,
  );
  console.log(
    'each `version` run connects, reads the state of every schema and prints it; its output was checked on every run',
  );
} finally {
  await dropDatabase(server.url, DB).catch(() => {});
  await rm(work, { recursive: true, force: true });
  await server.stop();
}

/** A `version` that failed or printed the wrong thing must not count as a fast one. */
function checkVersion(run: ProcessRun): ProcessRun {
  mustSucceed('migrate-tool version', run);
  const last = PENDING.at(-1)!.version;
  if (!run.stdout.startsWith(`${last}\ndirty: false\n`))
    throw new Error(`migrate-tool version printed ${JSON.stringify(run.stdout)}, expected ${last} then dirty: false`);
  return run;
}
