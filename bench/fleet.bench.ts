// Benchmark: one fleet `up` over 3 servers (1,000 tenant schemas each, 3 pending tenant
// migrations) against the single-database `up` run once per server, one after the other, on
// identical copies of the same databases. The servers are this benchmark's own (initdb, each on
// its own port), all on this machine: they share its cores, so the figure says what running the
// targets at once gains here, not what separate machines would gain.
// Run: `npm run bench -- fleet` or `tsx bench/fleet.bench.ts`.
//   --servers N   (default 3)   --schemas N   tenant schemas per server (default 1000)
//   --targets-concurrency N     targets at once in the fleet run (default: one per server)
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startOwnServer, type OwnServer } from '../test/support/own-server';
import { BIN, ensureBuilt, migrateTool, ROOT } from './lib/cli';
import { createDatabase, runScript, withClient } from './lib/db';
import { machine } from './lib/machine';
import { mustSucceed, ratio, runProcess, seconds, table } from './lib/measure';
import { BASELINE, createSchemasScript, PENDING, writeMigrateToolDir } from './engine/fixture';

const { values: flags } = parseArgs({
  options: { servers: { type: 'string' }, schemas: { type: 'string' }, 'targets-concurrency': { type: 'string' } },
});
const SERVERS = Math.max(1, Number(flags.servers ?? 3));
const SCHEMAS = Math.max(1, Number(flags.schemas ?? 1000));
const AT_ONCE = Number(flags['targets-concurrency'] ?? SERVERS);

const work = await mkdtemp(join(tmpdir(), 'migrate-tool-bench-fleet-'));
const servers: OwnServer[] = [];
try {
  console.log(
    `fleet: ${SERVERS} servers x ${SCHEMAS} tenant schemas x ${PENDING.length} migrations, fleet up against up per server in sequence`,
  );
  console.log(`machine: ${machine()}\n`);
  const dir = await writeMigrateToolDir(join(work, 'migrations'), [BASELINE, ...PENDING]);
  await ensureBuilt();
  let started = performance.now();
  for (let i = 0; i < SERVERS; i++) servers.push(await startOwnServer({}));
  const template = [];
  for (const s of servers) {
    const url = await createDatabase(s.url, 'fleet_template');
    await runScript(url, createSchemasScript(SCHEMAS));
    if (template.length === 0) mustSucceed('migrate-tool hash', await migrateTool(['hash'], url, dir));
    mustSucceed('migrate-tool up 1 (the baseline)', await migrateTool(['up', '1'], url, dir));
    template.push(url);
  }
  const copies = async (name: string) => Promise.all(servers.map((s) => createDatabase(s.url, name, 'fleet_template')));
  const sequential = await copies('fleet_seq');
  const fleet = await copies('fleet_all');
  console.log(
    `${SERVERS} servers started, each with ${SCHEMAS} schemas at the baseline, in ${seconds(performance.now() - started)}\n`,
  );

  started = performance.now();
  const each = [];
  for (const url of sequential) each.push(mustSucceed('migrate-tool up', await migrateTool(['up'], url, dir)).ms);
  const sequentialMs = performance.now() - started;

  const file = join(work, 'targets.json');
  const targets = fleet.map((url, i) => ({
    name: `server-${i + 1}`,
    url: url.replace('postgres@', 'postgres:${FLEET_PW}@'),
  }));
  await writeFile(file, JSON.stringify({ targets }));
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    MIGRATIONS_DIR: dir,
    FLEET_PW: 'unused-trust-auth',
  };
  const run = mustSucceed(
    'migrate-tool up --targets',
    await runProcess(process.execPath, [BIN, 'up', '--targets', file, '--targets-concurrency', String(AT_ONCE)], {
      env,
      cwd: ROOT,
    }),
  );

  for (const url of [...sequential, ...fleet]) await verify(url);
  console.log(
    table([
      ['run', 'wall time', 'peak RSS'],
      [`up once per server, in sequence (${each.map(seconds).join(' + ')})`, seconds(sequentialMs), '-'],
      [
        `fleet up --targets (${AT_ONCE} targets at once)`,
        seconds(run.ms),
        run.peakRssMb ? `${run.peakRssMb.toFixed(0)} MB` : '-',
      ],
    ]),
  );
  console.log(
    `\nfleet against sequence: ${ratio(sequentialMs, run.ms)} (${SERVERS * SCHEMAS * PENDING.length} schema migrations each, all verified)`,
  );
} finally {
  await Promise.all(servers.map((s) => s.stop()));
  await rm(work, { recursive: true, force: true });
}

/** Every pending migration recorded in every schema, and its table or column there. */
async function verify(url: string): Promise<void> {
  await withClient(url, async (c) => {
    const { rows } = await c.query(
      `SELECT count(*)::int AS n FROM migrate_tool.migrations WHERE version = ANY($1) AND NOT dirty`,
      [PENDING.map((m) => m.version)],
    );
    if (rows[0].n !== SCHEMAS * PENDING.length)
      throw new Error(`${url}: ${rows[0].n} of ${SCHEMAS * PENDING.length} migrations recorded`);
    const t = await c.query(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 'reviews'`);
    if (t.rows[0].n !== SCHEMAS) throw new Error(`${url}: reviews exists in ${t.rows[0].n} of ${SCHEMAS} schemas`);
  });
}
