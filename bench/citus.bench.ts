// Benchmark: `migrate-tool up` of 3 tenant migrations over 1,000 tenant schemas on a Citus cluster
// (a coordinator and two workers, schema-based sharding on: every tenant schema distributed) against
// the same on plain PostgreSQL, in one run. Run: `npm run bench -- citus` (the cluster: `../shared/tools/citus up`).
//   --schemas N   tenant schemas (default 1000)
// Both sides start from the same state, made the same way and not timed: the schemas, then the
// tenant baseline (four tables with keys and an index) applied by migrate-tool itself. On Citus a
// database cannot be copied from a template (the workers' shards would not follow), so each side
// is built once and timed once. All the nodes share this machine: the figure is the cost of the
// distributed path (each statement a query of its own, forwarded to a worker), not a speed-up.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createCitusDatabase, findCluster } from '../scripts/lib/citus-cluster';
import { BASELINE, createSchemasScript, PENDING, writeMigrateToolDir } from './engine/fixture';
import { verifyApplied } from './engine/verify';
import { ensureBuilt, migrateTool } from './lib/cli';
import { createDatabase, dropDatabase, runScript } from './lib/db';
import { machine } from './lib/machine';
import { mustSucceed, seconds, table } from './lib/measure';
import { benchServer } from './lib/server';

const { values: flags } = parseArgs({ options: { schemas: { type: 'string' } } });
const SCHEMAS = Math.max(1, Number(flags.schemas ?? 1000));
const NAME = 'mtbench_citus';

interface Side {
  label: string;
  baselineMs: number;
  upMs: number;
}

const cluster = await findCluster();
if (typeof cluster === 'string') {
  console.error(`citus: ${cluster}`);
  process.exit(1);
}
const plain = await benchServer();
const work = await mkdtemp(join(tmpdir(), 'migrate-tool-citus-'));
try {
  console.log(
    `citus: up of ${PENDING.length} tenant migrations over ${SCHEMAS} tenant schemas, Citus against plain PostgreSQL`,
  );
  console.log(`machine: ${machine()}`);
  console.log(`plain:   ${plain.description}`);
  console.log(
    `citus:   Citus ${cluster.version}, coordinator ${new URL(cluster.url).host}, workers ${cluster.workers.map((w) => w.port).join(', ')} (all on this machine)\n`,
  );
  await ensureBuilt();
  const baselineDir = await writeMigrateToolDir(join(work, 'baseline'), [BASELINE]);
  const dir = await writeMigrateToolDir(join(work, 'all'), [BASELINE, ...PENDING]);
  for (const d of [baselineDir, dir]) mustSucceed('migrate-tool hash', await migrateTool(['hash'], plain.url, d));

  const sides: Side[] = [];
  const onPlain = await createDatabase(plain.url, NAME);
  try {
    sides.push(await measure('plain PostgreSQL', onPlain, baselineDir, dir));
  } finally {
    await dropDatabase(plain.url, NAME);
  }
  const onCitus = await createCitusDatabase(cluster, NAME);
  try {
    sides.push(await measure('Citus (coordinator + 2 workers)', onCitus.url, baselineDir, dir));
  } finally {
    await onCitus.drop();
  }

  console.log(
    `\nup of ${PENDING.length} tenant migrations over ${SCHEMAS} tenant schemas, default settings (--concurrency 4), one run each`,
  );
  const [p, c] = sides as [Side, Side];
  console.log(
    table([
      ['server', 'baseline up (not compared)', 'up', 'per schema', 'up / plain'],
      ...sides.map((s) => [
        s.label,
        seconds(s.baselineMs),
        seconds(s.upMs),
        `${(s.upMs / SCHEMAS).toFixed(1)} ms`,
        (s.upMs / p.upMs).toFixed(2),
      ]),
    ]),
  );
  console.log(
    `\nAll three Citus nodes and the plain server share this machine's cores: ${(c.upMs / p.upMs).toFixed(1)}x is what the distributed path costs here (every statement its own query, forwarded to a worker, a distributed commit), not how a cluster of separate machines would scale.`,
  );
} finally {
  await rm(work, { recursive: true, force: true });
  await plain.stop();
}

/** Schemas and baseline (untimed), then the timed `up`, checked: the objects in every schema, and the state. */
async function measure(label: string, url: string, baselineDir: string, dir: string): Promise<Side> {
  await runScript(url, createSchemasScript(SCHEMAS));
  const baseline = mustSucceed(`${label}: migrate-tool up (baseline)`, await migrateTool(['up'], url, baselineDir));
  const up = mustSucceed(`${label}: migrate-tool up`, await migrateTool(['up'], url, dir));
  await verifyApplied(label, url, SCHEMAS);
  const status = mustSucceed(`${label}: migrate-tool status`, await migrateTool(['status', '--exit-code'], url, dir));
  console.log(
    `  ${label}: baseline ${seconds(baseline.ms)}, up ${seconds(up.ms)}; status: ${status.stdout.trim().split('\n').at(-1)}`,
  );
  return { label, baselineMs: baseline.ms, upMs: up.ms };
}
