// Benchmark: the read-only commands an operator runs on every deploy (`version`, `status`, `tenants`,
// and `up` with nothing pending) on 10,000 tenant schemas with 200 tenant migrations recorded in
// each (2,000,000 state rows, written directly with generate_series; the schemas are empty), against
// `node -e 0`'s start; and a new tenant at sign-up: `migrateTenant()` called from this process (the
// library, as an application calls it) on a new empty schema, with those 200 migrations to run.
// Run: `npm run bench -- readonly` or `tsx bench/readonly.bench.ts`.
//   --schemas N   tenant schemas (default 10000)
//   --runs N      timed runs of each command (default 5, after one untimed run)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { BIN, cliEnv, ensureBuilt, migrateTool, ROOT } from './lib/cli';
import { createDatabase, dropDatabase, runScript, withClient } from './lib/db';
import { machine } from './lib/machine';
import { median, millis, mustSucceed, runProcess, seconds, table } from './lib/measure';
import { benchServer } from './lib/server';
import { createSchemasScript, TENANT_LIKE, writeMigrateToolDir } from './engine/fixture';
import { tenantHistory } from './lib/history';
import { loadMigrations, migrateTenant } from '../src/index';

const { values: flags } = parseArgs({ options: { schemas: { type: 'string' }, runs: { type: 'string' } } });
const SCHEMAS = Number(flags.schemas ?? 10_000);
const RUNS = Math.max(1, Number(flags.runs ?? 5));
const HISTORY = 200;
const DB = 'mtbench_readonly';
const NEW_TENANT_DB = 'mtbench_new_tenant';

const server = await benchServer();
const work = await mkdtemp(join(tmpdir(), 'migrate-tool-bench-'));
try {
  console.log(
    `readonly: version, status, tenants and up with nothing pending on ${SCHEMAS} tenant schemas × ${HISTORY} recorded migrations; a new tenant`,
  );
  console.log(`machine: ${machine()}`);
  console.log(`server:  ${server.description}\n`);

  const dir = await writeMigrateToolDir(join(work, 'migrations'), tenantHistory(HISTORY));
  await ensureBuilt();
  mustSucceed('migrate-tool hash', await migrateTool(['hash'], server.url, dir));
  const folder = await loadMigrations(dir);
  const last = folder.migrations.at(-1)!.version;

  const started = performance.now();
  const url = await createDatabase(server.url, DB);
  mustSucceed('migrate-tool up (creates the state table)', await migrateTool(['up'], url, dir));
  await runScript(url, createSchemasScript(SCHEMAS).replace(/lpad\(i::text, 4/, 'lpad(i::text, 5'));
  await withClient(url, async (c) => {
    await c.query(
      `INSERT INTO migrate_tool.migrations (schema_name, version, name, scope, checksum, applied_at, duration_ms)
       SELECT n.nspname, f.v, f.n, 'tenant', f.c, now() - interval '1 day', 3
         FROM pg_namespace n, unnest($1::text[], $2::text[], $3::text[]) AS f(v, n, c)
        WHERE n.nspname LIKE '${TENANT_LIKE}' ORDER BY 1, 2`,
      [
        folder.migrations.map((m) => m.version),
        folder.migrations.map((m) => m.name),
        folder.migrations.map((m) => m.up.checksum),
      ],
    );
    await c.query('VACUUM ANALYZE migrate_tool.migrations');
    // The trigger counted this one INSERT row by row: 200 versions of each schema's count row. The
    // tool's own writes of a new schema's rows count them once (state-counts.ts), so the table is
    // compacted to what 10,000 schemas built by the tool leave.
    await c.query('VACUUM FULL ANALYZE migrate_tool.schema_counts');
  });
  await withClient(server.url, (c) => c.query('CHECKPOINT'));
  console.log(
    `database built in ${seconds(performance.now() - started)} (${SCHEMAS} empty schemas, ${SCHEMAS * HISTORY} state rows, then VACUUM ANALYZE, and VACUUM FULL of the counts)\n`,
  );

  const env = cliEnv(url, dir);
  const cli = (args: string[], check: (out: string) => boolean) => async () => {
    const run = mustSucceed(
      `migrate-tool ${args.join(' ')}`,
      await runProcess(process.execPath, [BIN, ...args], { env, cwd: ROOT }),
    );
    if (!check(run.stdout))
      throw new Error(`migrate-tool ${args.join(' ')} printed ${JSON.stringify(run.stdout.slice(0, 500))}`);
    return run;
  };
  const all = `${SCHEMAS} tenant schemas, 0 behind, 0 dirty`;
  const commands = [
    { label: 'node -e 0', run: async () => runProcess(process.execPath, ['-e', '0'], { measureRss: false }) },
    {
      label: 'migrate-tool version',
      run: cli(['version'], (o) => o.startsWith(`${last}\ndirty: false\n`) && o.includes(`${SCHEMAS} matching`)),
    },
    { label: 'migrate-tool status', run: cli(['status'], (o) => o.includes(`applied ${SCHEMAS}/${SCHEMAS} tenants`)) },
    { label: 'migrate-tool tenants', run: cli(['tenants'], (o) => o.includes(all)) },
    { label: 'migrate-tool up (nothing pending)', run: cli(['up'], (o) => o.trim() === 'no change') },
  ];
  for (const c of commands) await c.run(); // warm-up
  const times = commands.map(() => [] as number[]);
  const rss = commands.map(() => [] as number[]);
  for (let i = 0; i < RUNS; i++)
    for (const [k, c] of commands.entries()) {
      const run = await c.run();
      times[k]!.push(run.ms);
      if (run.peakRssMb) rss[k]!.push(run.peakRssMb);
    }
  const bare = median(times[0]!);
  const limit = 3 * bare + 150;
  console.log(
    table([
      ['command', 'median', 'runs', 'peak RSS', `target ≤ 3 × node -e 0 + 150 ms = ${millis(limit)}`],
      ...commands.map((c, k) => [
        c.label,
        millis(median(times[k]!)),
        times[k]!.map((t) => t.toFixed(0)).join(', '),
        rss[k]!.length ? `${Math.max(...rss[k]!).toFixed(0)} MB` : '-',
        k === 0 ? '' : median(times[k]!) <= limit ? 'met' : 'MISSED',
      ]),
    ]),
  );

  console.log(
    `\nnew tenant: migrateTenant() from this process on a new empty schema, ${HISTORY} tenant migrations to run`,
  );
  console.log(
    `  (spares: \`up --tenant-spares ${2 * (RUNS + 1)}\` first; once they are taken, the chain runs: shown for comparison)`,
  );
  for (const [label, target] of [
    ['next to 3 tenant schemas', await newTenantDatabase(3)],
    [`next to the ${SCHEMAS} above`, url],
  ] as const) {
    mustSucceed(
      'migrate-tool up --tenant-spares',
      await migrateTool(['up', '--tenant-spares', String(2 * (RUNS + 1))], target, dir),
    );
    await withClient(server.url, (c) => c.query('CHECKPOINT'));
    const floor: number[] = [];
    for (let i = 0; i < RUNS + 1; i++) {
      // The floor: the same SQL in one transaction and one round trip on an open connection, recording nothing.
      await withClient(target, async (c) => {
        const schema = `floor_${i}`;
        await c.query(`CREATE SCHEMA ${schema}`);
        const t0 = performance.now();
        await c.query(
          `BEGIN; SET LOCAL search_path TO ${schema};\n${folder.migrations.map((m) => m.up.text).join('\n')}\nCOMMIT`,
        );
        if (i > 0) floor.push(performance.now() - t0);
        await c.query(`DROP SCHEMA ${schema} CASCADE`);
      });
    }
    // A URL: each call connects. The first call of each series loads the library's modules and the folder: not counted.
    const viaUrl = await newTenants(target, 'url', () => target, 'spare');
    // The application's case: one connection it opened at start-up and keeps, lent to each call.
    const lent = await withClient(target, async (app) => ({
      spare: await newTenants(target, 'lent', () => app, 'spare'),
      chain: await newTenants(target, 'chain', () => app, 'chain'),
    }));
    console.log(
      `  ${label}, a spare, a URL: median ${millis(median(viaUrl))} (${list(viaUrl)} ms; target ≤ 50 ms: ${verdict(viaUrl)})`,
    );
    console.log(
      `  ${label}, a spare, the application's open pg.Client: median ${millis(median(lent.spare))} (${list(lent.spare)} ms; target ≤ 50 ms: ${verdict(lent.spare)})`,
    );
    console.log(
      `    no spare left (its chain in one transaction), the application's open pg.Client: median ${millis(median(lent.chain))} (${list(lent.chain)} ms)`,
    );
    console.log(
      `    floor, the same SQL in one transaction on an open connection, recording nothing: median ${millis(median(floor))} (${list(floor)} ms)`,
    );
  }
} finally {
  await dropDatabase(server.url, DB).catch(() => {});
  await dropDatabase(server.url, NEW_TENANT_DB).catch(() => {});
  await rm(work, { recursive: true, force: true });
  await server.stop();
}

/**
 * RUNS + 1 calls of migrateTenant on new empty schemas (the first not counted); each must apply the
 * whole history and take the path expected (a spare, or the chain once there is none).
 */
async function newTenants(
  target: string,
  tag: string,
  connection: () => string | pg.Client,
  path: 'spare' | 'chain',
): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < RUNS + 1; i++) {
    const schema = `company_${tag}_${i}`;
    await withClient(target, (c) => c.query(`CREATE SCHEMA ${pg.escapeIdentifier(schema)}`));
    let spare = false;
    const t0 = performance.now();
    const outcome = await migrateTenant(
      {
        connection: connection(),
        migrationsDir: join(work, 'migrations'),
        onEvent: (e) => void (spare ||= e.type === 'tenant:spare'),
      },
      schema,
    );
    const took = performance.now() - t0;
    if (outcome.result?.failed.length || outcome.result?.done.filter((d) => d.schema === schema).length !== HISTORY)
      throw new Error(
        `migrateTenant did not apply ${HISTORY} migrations in ${schema}: ${JSON.stringify(outcome.result?.failed.slice(0, 2))}`,
      );
    if (spare !== (path === 'spare'))
      throw new Error(
        `migrateTenant on ${schema}: expected ${path === 'spare' ? 'a spare' : 'the chain'}, got ${spare ? 'a spare' : 'the chain'}`,
      );
    if (i > 0) ms.push(took);
  }
  return ms;
}

function list(ms: number[]): string {
  return ms.map((t) => t.toFixed(0)).join(', ');
}

function verdict(ms: number[]): string {
  return median(ms) <= 50 ? 'met' : 'MISSED';
}

/** A database whose `count` tenant schemas have the whole history applied by migrate-tool. */
async function newTenantDatabase(count: number): Promise<string> {
  const url = await createDatabase(server.url, NEW_TENANT_DB);
  await runScript(url, createSchemasScript(count));
  mustSucceed('migrate-tool up', await migrateTool(['up'], url, join(work, 'migrations')));
  return url;
}
