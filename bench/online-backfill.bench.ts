// Benchmark: what the application feels while a migration fills a column of 1,000,000 rows. A probe
// updates one random row every 20 ms, on its own connection, while the real CLI runs the same
// UPDATE two ways, each on its own identical copy of the table: as a `-- migrate:backfill` file
// (batches by primary key, each its own transaction), and as a plain migration (one transaction, as
// before backfills existed). The probe's worst and p99 latency are compared, with each run's time.
// Run: `npm run bench -- online-backfill` or `tsx bench/online-backfill.bench.ts`.
//   --rows N (default 1000000) --batch N (default 1000)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { ensureBuilt, migrateTool } from './lib/cli';
import { createDatabase, dropDatabase } from './lib/db';
import { machine } from './lib/machine';
import { millis, percentile, seconds, table } from './lib/measure';
import { benchServer } from './lib/server';
import { writeMigrations } from '../test/support/migrations';

const { values: flags } = parseArgs({ options: { rows: { type: 'string' }, batch: { type: 'string' } } });
const ROWS = Math.max(1000, Number(flags.rows ?? 1_000_000));
const BATCH = Math.max(1, Number(flags.batch ?? 1000));
const PROBE_EVERY_MS = 20;

const TABLE = 'CREATE TABLE items (id bigserial PRIMARY KEY, b int NOT NULL, c text);';
const UPDATE = "UPDATE items SET c = 'v' || b WHERE c IS NULL;";

interface Figures {
  ms: number;
  probes: number[];
}

const server = await benchServer();
const work = await mkdtemp(join(tmpdir(), 'migrate-tool-bench-'));
try {
  console.log(
    `online-backfill: UPDATE of ${ROWS.toLocaleString('en-US')} rows, a probe updating one row every ${PROBE_EVERY_MS} ms`,
  );
  console.log(`machine: ${machine()}`);
  console.log(`server:  ${server.description}\n`);
  await ensureBuilt();
  const batched = await measure(
    'mtbench_backfill_batched',
    { '20250101000200_fill_c.up.sql': `-- migrate:backfill\n${UPDATE}\n` },
    ['--backfill-batch', String(BATCH)],
  );
  const plain = await measure('mtbench_backfill_plain', { '20250101000200_fill_c.up.sql': `${UPDATE}\n` }, []);
  const row = (what: string, f: Figures) => [
    what,
    seconds(f.ms),
    String(f.probes.length),
    millis(percentile(f.probes, 99)),
    millis(Math.max(...f.probes)),
  ];
  console.log(
    table([
      ['migration', 'run', 'probes', 'probe p99', 'probe worst'],
      row(`-- migrate:backfill (batch ${BATCH})`, batched),
      row('plain UPDATE (one transaction)', plain),
    ]),
  );
} finally {
  await rm(work, { recursive: true, force: true });
  await server.stop();
}

/** One database: the table and its rows, then `up` for the UPDATE file while the probe runs. */
async function measure(name: string, update: Record<string, string>, args: string[]): Promise<Figures> {
  const url = await createDatabase(server.url, name);
  const dir = await writeMigrations(join(work, name), { '20250101000100_items.up.sql': TABLE, ...update });
  const first = await migrateTool(['up', '1'], url, dir);
  if (first.code !== 0) throw new Error(`up 1 failed:\n${first.stdout}\n${first.stderr}`);
  const probe = new pg.Client({ connectionString: url });
  await probe.connect();
  try {
    await probe.query(`INSERT INTO items (b) SELECT g FROM generate_series(1, ${ROWS}) g`);
    await probe.query('VACUUM ANALYZE items');
    let running = true;
    const probes: number[] = [];
    const probing = (async () => {
      while (running) {
        const started = performance.now();
        await probe.query('UPDATE items SET b = b WHERE id = $1', [1 + Math.floor(Math.random() * ROWS)]);
        probes.push(performance.now() - started);
        await delay(PROBE_EVERY_MS);
      }
    })();
    const run = await migrateTool(['up', ...args], url, dir);
    running = false;
    await probing;
    if (run.code !== 0) throw new Error(`up failed:\n${run.stdout}\n${run.stderr}`);
    const left = await probe.query<{ n: number }>('SELECT count(*)::int AS n FROM items WHERE c IS NULL');
    if (left.rows[0]!.n !== 0) throw new Error(`${left.rows[0]!.n} rows were not updated`);
    return { ms: run.ms, probes };
  } finally {
    await probe.end();
    await dropDatabase(server.url, name);
  }
}
