// Benchmark: what the application sees during `up` while one of its transactions stays open on a
// tenant table (issue 23, part 1). A probe queries that table every 50 ms while `up` adds a column to
// it in every tenant schema; the probe's latency is measured with the blocker check (the ALTER is not
// sent while the transaction is open; that schema fails after --blocker-timeout) and without it
// (--blocker-timeout 0: the ALTER queues for its lock under lock_timeout, the probe queues behind it,
// at each retry), in the same run, each on a database of its own built the same way.
// Run: `npm run bench -- online-blockers` (or `online`, with the backfill's) or `tsx bench/online-blockers.bench.ts`.
//   --schemas N          tenant schemas (default 20)
//   --blocker-timeout S  the check's timeout (default 5)
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { ensureBuilt, migrateTool } from './lib/cli';
import { createDatabase, dropDatabase, withClient } from './lib/db';
import { machine } from './lib/machine';
import { millis, mustSucceed, percentile, seconds, table } from './lib/measure';
import { benchServer } from './lib/server';

const { values: flags } = parseArgs({
  options: { schemas: { type: 'string' }, 'blocker-timeout': { type: 'string' } },
});
const SCHEMAS = Number(flags.schemas ?? 20);
const BLOCKER_TIMEOUT_S = Number(flags['blocker-timeout'] ?? 5);
const PROBE_EVERY_MS = 50;
const BLOCKED = 'company_0001';

const FILES: Record<string, string> = {
  'tenant/20250101000100_items.up.sql':
    'CREATE TABLE items (id int PRIMARY KEY, name text);\nINSERT INTO items SELECT i, md5(i::text) FROM generate_series(1, 1000) i;',
  'tenant/20250101000200_items_note.up.sql': 'ALTER TABLE items ADD COLUMN note text;',
};

const server = await benchServer();
const work = await mkdtemp(join(tmpdir(), 'migrate-tool-bench-'));
try {
  console.log(
    `online: a probe reads ${BLOCKED}.items every ${PROBE_EVERY_MS} ms during \`up\` (ALTER TABLE in ${SCHEMAS} tenant schemas),`,
  );
  console.log(
    `while an application transaction stays open on that table (it read it: AccessShareLock); lock_timeout 2 s, 8 retries (the defaults)`,
  );
  console.log(`machine: ${machine()}`);
  console.log(`server:  ${server.description}\n`);
  const dir = join(work, 'migrations');
  for (const [rel, text] of Object.entries(FILES)) {
    await mkdir(join(dir, rel, '..'), { recursive: true });
    await writeFile(join(dir, rel), text);
  }
  await ensureBuilt();
  mustSucceed('migrate-tool hash', await migrateTool(['hash'], server.url, dir));

  const rows = [['up', 'exit', 'up took', 'probes', 'p50', 'p99', 'worst', `${BLOCKED}`]];
  for (const [label, timeout] of [
    [`with the check (--blocker-timeout ${BLOCKER_TIMEOUT_S})`, String(BLOCKER_TIMEOUT_S)],
    ['without it (--blocker-timeout 0, as before)', '0'],
  ] as const) {
    const m = await measure(dir, `mtbench_online_${timeout === '0' ? 'off' : 'on'}`, timeout);
    rows.push([
      label,
      String(m.code),
      seconds(m.upMs),
      String(m.latencies.length),
      ...[50, 99, 100].map((p) => millis(percentile(m.latencies, p))),
      m.blocked,
    ]);
  }
  console.log(table(rows));
} finally {
  await rm(work, { recursive: true, force: true });
  await server.stop();
}

/** One database: tenants at the first version, the application's open transaction, then `up` with the probe running. */
async function measure(dir: string, name: string, blockerTimeout: string) {
  const url = await createDatabase(server.url, name);
  try {
    await withClient(url, (c) =>
      c.query(
        `DO $$BEGIN FOR i IN 1..${SCHEMAS} LOOP EXECUTE format('CREATE SCHEMA %I', 'company_' || lpad(i::text, 4, '0')); END LOOP; END$$`,
      ),
    );
    mustSucceed('migrate-tool up 1', await migrateTool(['up', '1'], url, dir));
    const app = new pg.Client({ connectionString: url, application_name: 'bench-app' });
    const probe = new pg.Client({ connectionString: url, application_name: 'bench-probe' });
    await Promise.all([app.connect(), probe.connect()]);
    try {
      await app.query('BEGIN');
      await app.query(`SELECT count(*) FROM ${BLOCKED}.items`);
      const latencies: number[] = [];
      let running = true;
      const probing = (async () => {
        while (running) {
          const started = performance.now();
          await probe.query(`SELECT count(*) FROM ${BLOCKED}.items`);
          const ms = performance.now() - started;
          latencies.push(ms);
          await new Promise((r) => setTimeout(r, Math.max(0, PROBE_EVERY_MS - ms)));
        }
      })();
      const started = performance.now();
      const run = await migrateTool(['up', '--blocker-timeout', blockerTimeout], url, dir);
      const upMs = performance.now() - started;
      running = false;
      await probing;
      await app.query('COMMIT');
      const done = await withClient(url, (c) =>
        c.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM migrate_tool.migrations WHERE schema_name = $1 AND version = '20250101000200'`,
          [BLOCKED],
        ),
      );
      return { code: run.code, upMs, latencies, blocked: done.rows[0]!.n ? 'migrated' : 'failed (blocked)' };
    } finally {
      await Promise.all([app.end(), probe.end()]);
    }
  } finally {
    await dropDatabase(server.url, name);
  }
}
