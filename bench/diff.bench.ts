// Benchmark: `migrate-tool diff` on the sample application, scratch database included, against the
// target of 2 s. Two cases: the whole schema from an empty folder (writes 4 files and lints them),
// and the sample's own migrations (applied in the scratch database, then compared: no changes).
// No peer is measured: `prisma migrate diff` needs a native engine download that is unreachable here.
// Run: `npm run bench -- diff` or `tsx bench/diff.bench.ts` (BENCH_DATABASE_URL, default the local server).
//   --runs N   timed runs of each case (default 7, after 1 untimed warm-up run)
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BIN, cliEnv, ensureBuilt, ROOT } from './lib/cli';
import { createDatabase, dropDatabase } from './lib/db';
import { largeSchema } from './lib/large-schema';
import { machine } from './lib/machine';
import { median, millis, mustSucceed, percentile, runProcess, seconds, table } from './lib/measure';
import { benchServer } from './lib/server';

const { values: flags } = parseArgs({ options: { runs: { type: 'string' } } });
const RUNS = Math.max(1, Number(flags.runs ?? 7));
const TARGET_MS = 2_000;
/** The target for a 70-model, 30-enum schema. */
const LARGE_TARGET_MS = 3_000;
const DB = 'mtbench_diff';

const server = await benchServer();
const work = await mkdtemp(join(tmpdir(), 'migrate-tool-bench-diff-'));
try {
  console.log('diff: `migrate-tool diff` for the sample schema, scratch database included');
  console.log(`machine: ${machine()}`);
  console.log(`server:  ${server.description}\n`);
  const url = await createDatabase(server.url, DB);
  await ensureBuilt();

  let n = 0;
  const fromEmpty = async () => {
    const dir = join(work, `empty-${n++}`);
    const run = await runProcess(process.execPath, [BIN, 'diff', 'init'], {
      env: { ...cliEnv(url, join(dir, 'migrations')), PRISMA_SCHEMA: join(ROOT, 'prisma/schema.prisma') },
      cwd: ROOT,
    });
    if (!/Wrote .*init\.up\.sql/.test(mustSucceed('diff from an empty folder', run).stdout))
      throw new Error(`diff wrote nothing:\n${run.stdout}`);
    return run;
  };
  const sampleDir = join(work, 'sample');
  await cp(join(ROOT, 'migrations'), sampleDir, { recursive: true });
  const fromSample = async () => {
    const run = await runProcess(process.execPath, [BIN, 'diff', 'check'], {
      env: { ...cliEnv(url, sampleDir), PRISMA_SCHEMA: join(ROOT, 'prisma/schema.prisma') },
      cwd: ROOT,
    });
    if (mustSucceed('diff against the sample migrations', run).stdout.trim() !== 'no changes')
      throw new Error(`expected no changes:\n${run.stdout}`);
    return run;
  };

  const largePath = join(work, 'large.prisma');
  await writeFile(largePath, largeSchema(70, 30));
  const fromLarge = async () => {
    const dir = join(work, `large-${n++}`);
    const run = await runProcess(process.execPath, [BIN, 'diff', 'init'], {
      env: { ...cliEnv(url, join(dir, 'migrations')), PRISMA_SCHEMA: largePath },
      cwd: ROOT,
    });
    if (!/Wrote .*tenant.*init\.up\.sql/.test(mustSucceed('diff of the 70-model schema', run).stdout))
      throw new Error(`diff wrote no tenant pair:\n${run.stdout}`);
    return run;
  };

  const cases = [
    {
      name: 'whole schema from an empty folder (4 files written, linted)',
      run: fromEmpty,
      ms: [] as number[],
      rss: [] as number[],
    },
    {
      name: 'sample migrations applied in scratch, compared: no changes',
      run: fromSample,
      ms: [] as number[],
      rss: [] as number[],
    },
    {
      name: '70 models, 30 enums, from an empty folder (4 files written, linted)',
      run: fromLarge,
      ms: [] as number[],
      rss: [] as number[],
      target: LARGE_TARGET_MS,
    },
  ];
  for (const c of cases) await c.run(); // warm-up: file cache, server
  for (let i = 0; i < RUNS; i++) {
    for (const c of cases) {
      const r = await c.run();
      c.ms.push(r.ms);
      if (r.peakRssMb) c.rss.push(r.peakRssMb);
    }
  }
  const rows = [['case', 'median', 'p90', 'max', 'peak RSS', 'target', 'verdict']];
  for (const c of cases) {
    const worst = Math.max(...c.ms);
    const target = (c as { target?: number }).target ?? TARGET_MS;
    rows.push([
      c.name,
      seconds(median(c.ms)),
      seconds(percentile(c.ms, 90)),
      seconds(worst),
      c.rss.length ? `${median(c.rss).toFixed(0)} MB` : '-',
      `<= ${seconds(target)}`,
      median(c.ms) <= target ? 'met' : 'MISSED',
    ]);
  }
  console.log(table(rows));
  console.log(
    `\n${RUNS} timed runs of each case, interleaved, whole process (node start, Prisma wasm load, scratch create/drop).`,
  );
  for (const c of cases) console.log(`  ${c.name}: ${c.ms.map(millis).join(', ')}`);
} finally {
  await dropDatabase(server.url, DB).catch(() => {});
  await rm(work, { recursive: true, force: true });
  await server.stop();
}
