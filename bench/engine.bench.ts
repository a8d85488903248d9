// Benchmark: `migrate-tool up` of three pending tenant migrations over 1,000 tenant schemas, side by
// side with the DO-loop floor, node-pg-migrate and dbmate, each on an identical fresh copy of the
// database, each run checked afterwards. Run: `npm run bench -- engine` or `tsx bench/engine.bench.ts`.
//   --schemas N          tenant schemas (default 1000)
//   --dbmate-schemas N   schemas dbmate is timed on (default: all; fewer prints a labelled extrapolation)
//   --repeat N           runs per contender, each on a fresh copy, in interleaved rounds; the median is shown
//                        (default 1; the floor and the default `up`, which decide the headline target, run at least 3 times)
//   --concurrency LIST   the --concurrency values swept (default 1,2,4,8)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureBuilt, migrateTool } from './lib/cli';
import { dropDatabase } from './lib/db';
import { machine } from './lib/machine';
import { mustSucceed, seconds } from './lib/measure';
import { benchServer } from './lib/server';
import { BASELINE, PENDING, writeDbmateDir, writeMigrateToolDir, writeNodePgMigrateDir } from './engine/fixture';
import { runDbmate, runFloor, runNodePgMigrate, tenantSchemas, type Timing } from './engine/peers';
import { printReport, type EngineReport, type Result } from './engine/report';
import { buildTemplate, type Template } from './engine/template';
import { verifyApplied, verifyPeerRecords } from './engine/verify';

const { values: flags } = parseArgs({
  options: {
    schemas: { type: 'string' },
    'dbmate-schemas': { type: 'string' },
    repeat: { type: 'string' },
    concurrency: { type: 'string' },
  },
});
const SCHEMAS = Number(flags.schemas ?? 1000);
const DBMATE_SCHEMAS = Math.min(SCHEMAS, Number(flags['dbmate-schemas'] ?? SCHEMAS));
const REPEAT = Math.max(1, Number(flags.repeat ?? 1));
/** The floor's runs spread widely on a busy machine: one pairing must not decide the headline ratio. */
const HEADLINE_RUNS = Math.max(REPEAT, 3);
const CONCURRENCIES = (flags.concurrency ?? '1,2,4,8')
  .split(',')
  .map(Number)
  .filter((c) => c >= 1);
const READ_RUNS = 5;
const COPY = 'mtbench_run';

const server = await benchServer();
const work = await mkdtemp(join(tmpdir(), 'migrate-tool-bench-'));
let template: Template | undefined;
try {
  console.log(`engine: \`migrate-tool up\` of ${PENDING.length} tenant migrations over ${SCHEMAS} tenant schemas`);
  console.log(`machine: ${machine()}`);
  console.log(`server:  ${server.description}`);
  console.log(
    `runs:    ${REPEAT} per contender (${HEADLINE_RUNS} for the floor and the default up), each on a fresh copy of the same database, in interleaved rounds (median shown)\n`,
  );

  const dirs = {
    migrateTool: await writeMigrateToolDir(join(work, 'migrate-tool'), [BASELINE, ...PENDING]),
    nodePgMigrate: await writeNodePgMigrateDir(join(work, 'node-pg-migrate'), [BASELINE, ...PENDING]),
    dbmate: await writeDbmateDir(join(work, 'dbmate'), [BASELINE, ...PENDING]),
  };
  const started = performance.now();
  template = await buildTemplate(server.url, 'mtbench_template', SCHEMAS, work);
  console.log(
    `template database built in ${seconds(performance.now() - started)} (schemas, baseline applied by migrate-tool, rows, each peer's baseline record)`,
  );
  mustSucceed('migrate-tool hash', await migrateTool(['hash'], server.url, dirs.migrateTool));

  const t = template;
  const reads: EngineReport['reads'] = [];
  const upWith =
    (concurrency?: number) =>
    async (url: string): Promise<Timing> => {
      await ensureBuilt();
      const args = ['up', ...(concurrency ? ['--concurrency', String(concurrency)] : [])];
      const run = mustSucceed('migrate-tool up', await migrateTool(args, url, dirs.migrateTool));
      await verifyApplied('migrate-tool', url, SCHEMAS);
      await verifyMigrateToolState(url, dirs.migrateTool);
      if (!concurrency && reads.length === 0) reads.push(...(await timeReads(url, dirs.migrateTool)));
      return { ms: run.ms, peakRssMb: run.peakRssMb, cpuMs: run.cpuMs, schemas: SCHEMAS };
    };

  const contenders: Contender[] = [
    { label: 'floor: one DO block per migration via psql (tracks nothing)', run: floorRun, runs: HEADLINE_RUNS },
    { label: 'migrate-tool up (default concurrency)', run: upWith(), runs: HEADLINE_RUNS },
    {
      label: 'node-pg-migrate runner(), per schema, one at a time',
      run: (url) => nodePgMigrate(url, dirs.nodePgMigrate, 1),
    },
    { label: 'dbmate migrate, per schema, one at a time', run: (url) => dbmate(url, dirs.dbmate, 1) },
    {
      label: 'node-pg-migrate runner(), per schema, 4 at a time',
      run: (url) => nodePgMigrate(url, dirs.nodePgMigrate, 4),
    },
    { label: 'dbmate migrate, per schema, 4 at a time', run: (url) => dbmate(url, dirs.dbmate, 4) },
    ...CONCURRENCIES.map((c) => ({ label: `migrate-tool up --concurrency ${c}`, run: upWith(c) })),
  ];
  const [floor, tool, npmSeq, dbmSeq, npmPar, dbmPar, ...swept] = await measureAll(t, contenders);
  const sweep = swept.map((r, i) => ({ ...r, concurrency: CONCURRENCIES[i]! }));
  printReport({
    schemas: SCHEMAS,
    pending: PENDING.length,
    floor: floor!,
    tool: tool!,
    peers: [npmSeq!, dbmSeq!],
    parallelPeers: [npmPar!, dbmPar!],
    sweep,
    reads,
  });
} finally {
  await dropDatabase(server.url, COPY).catch(() => {});
  await template?.drop().catch(() => {});
  await rm(work, { recursive: true, force: true });
  await server.stop();
}

interface Contender {
  label: string;
  run: (url: string) => Promise<Timing>;
  /** Runs wanted, when more than REPEAT. */
  runs?: number;
}

/**
 * Runs every contender REPEAT times (or its own `runs`), each run on a fresh copy of the template.
 * Rounds are interleaved (every contender once, then again), so a burst of other load on the
 * machine does not land on one contender's runs only. Each gets its median time and highest peak RSS.
 */
async function measureAll(t: Template, contenders: Contender[]): Promise<Result[]> {
  const runs: Timing[][] = contenders.map(() => []);
  const wanted = (c: Contender) => Math.max(REPEAT, c.runs ?? 0);
  const rounds = Math.max(...contenders.map(wanted));
  for (let round = 1; round <= rounds; round++) {
    if (rounds > 1) console.log(`round ${round} of ${rounds}`);
    for (const [i, c] of contenders.entries()) {
      if (round > wanted(c)) continue;
      const url = await t.copy(COPY);
      const r = await c.run(url);
      await dropDatabase(server.url, COPY);
      runs[i]!.push(r);
      console.log(
        `  ${c.label}: ${seconds(r.ms)} over ${r.schemas} schemas${r.peakRssMb ? `, peak RSS ${r.peakRssMb.toFixed(0)} MB` : ''}`,
      );
    }
  }
  return contenders.map((c, i) => summarize(c.label, runs[i]!));
}

/** The median run gives the time and its process CPU; memory is the worst of all runs. */
function summarize(label: string, runs: Timing[]): Result {
  const mid = [...runs].sort((a, b) => a.ms - b.ms)[Math.ceil(runs.length / 2) - 1]!;
  const rss = runs.map((r) => r.peakRssMb).filter((v): v is number => v !== undefined);
  return {
    label,
    ms: mid.ms,
    cpuMs: mid.cpuMs,
    peakRssMb: rss.length ? Math.max(...rss) : undefined,
    schemas: mid.schemas,
    runs: runs.map((r) => r.ms),
  };
}

async function floorRun(url: string): Promise<Timing> {
  const r = await runFloor(url);
  await verifyApplied('DO-loop floor', url, SCHEMAS);
  return r;
}

async function nodePgMigrate(url: string, dir: string, lanes: number): Promise<Timing> {
  const r = await runNodePgMigrate(url, dir, lanes);
  await verifyApplied('node-pg-migrate', url, SCHEMAS);
  await verifyPeerRecords('node-pg-migrate', url, 'pgmigrations', SCHEMAS, SCHEMAS);
  return r;
}

async function dbmate(url: string, dir: string, lanes: number): Promise<Timing> {
  const schemas = (await tenantSchemas(url)).slice(0, DBMATE_SCHEMAS);
  const r = await runDbmate(url, dir, schemas, lanes);
  await verifyApplied('dbmate', url, schemas.length);
  await verifyPeerRecords('dbmate', url, 'schema_migrations', schemas.length, SCHEMAS);
  return r;
}

/** migrate-tool's own record agrees: every pending migration applied in every tenant schema. */
async function verifyMigrateToolState(url: string, dir: string): Promise<void> {
  const run = mustSucceed('migrate-tool status', await migrateTool(['status', '--json'], url, dir));
  const report = JSON.parse(run.stdout) as { migrations: Array<{ version: string; tenantsApplied?: number }> };
  for (const m of PENDING) {
    const got = report.migrations.find((r) => r.version === m.version)?.tenantsApplied;
    if (got !== SCHEMAS)
      throw new Error(`migrate-tool status: ${m.version} applied in ${got} tenant schemas, expected ${SCHEMAS}`);
  }
}

/** What an operator runs on every deploy once the tenants are up to date: each reads all schemas' state. */
async function timeReads(url: string, dir: string): Promise<EngineReport['reads']> {
  const commands: Array<[string, string[], RegExp]> = [
    ['migrate-tool version', ['version'], /^\d{14}\ndirty: false\n/],
    ['migrate-tool status', ['status'], /tenant/],
    ['migrate-tool up (nothing pending)', ['up'], /^no change$/m],
  ];
  const out: EngineReport['reads'] = [];
  for (const [label, args, expected] of commands) {
    const ms: number[] = [];
    for (let i = 0; i < READ_RUNS; i++) {
      const run = mustSucceed(label, await migrateTool(args, url, dir));
      if (!expected.test(run.stdout)) throw new Error(`${label} printed ${JSON.stringify(run.stdout.slice(0, 300))}`);
      ms.push(run.ms);
    }
    out.push({ label, ms });
  }
  return out;
}
