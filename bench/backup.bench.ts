// Benchmark: `migrate-tool backup` against bare `pg_dump -Fc` of the same database, runs
// interleaved (alternating which goes first) so both see the same machine and cache.
// Target: migrate-tool backup ≤ 1.2× pg_dump -Fc (median).
// Run: `npm run bench -- backup` or `tsx bench/backup.bench.ts`.
//   --runs N       timed runs of each (default 5, after 1 untimed warm-up run of each)
//   --tenants N    tenant schemas in the database (default 50)
//   --audit-rows N rows of the public audit log (default 1,000,000)
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { toolEnv } from '../src/backup/tools';
import { connectionFromUrl } from '../src/config/connection';
import { pgDumpSkipReason } from '../test/backup/support';
import { BIN, cliEnv, ensureBuilt, ROOT } from './lib/cli';
import { createDatabase, dropDatabase, runScript, withClient } from './lib/db';
import { machine } from './lib/machine';
import { median, mustSucceed, runProcess, seconds, table } from './lib/measure';
import { benchServer } from './lib/server';

const { values: flags } = parseArgs({
  options: { runs: { type: 'string' }, tenants: { type: 'string' }, 'audit-rows': { type: 'string' } },
});
const RUNS = Math.max(1, Number(flags.runs ?? 5));
const TENANTS = Math.max(0, Number(flags.tenants ?? 50));
const AUDIT_ROWS = Math.max(0, Number(flags['audit-rows'] ?? 1_000_000));
const TARGET_RATIO = 1.2;
const DB = 'mtbench_backup';

/** A multi-tenant application's database: shared tables, a large audit log, and busy tenant schemas. */
function buildScript(): string {
  const tenant = (i: number) => `
CREATE SCHEMA company_${i};
CREATE TABLE company_${i}.branches (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text NOT NULL, address text);
CREATE TABLE company_${i}.employees (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text NOT NULL, email text UNIQUE NOT NULL, role_name text NOT NULL,
  branch_id uuid REFERENCES company_${i}.branches (id), created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE company_${i}.services (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text NOT NULL, duration_minutes int NOT NULL, price_cents int NOT NULL);
CREATE TABLE company_${i}.appointments (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), customer_name text NOT NULL, starts_at timestamptz NOT NULL,
  status text NOT NULL DEFAULT 'booked', employee_id uuid NOT NULL REFERENCES company_${i}.employees (id),
  service_id uuid NOT NULL REFERENCES company_${i}.services (id), branch_id uuid NOT NULL REFERENCES company_${i}.branches (id));
CREATE INDEX ON company_${i}.appointments (starts_at);
INSERT INTO company_${i}.branches (name, address) SELECT 'Branch ' || g, g || ' Main Street' FROM generate_series(1, 5) g;
INSERT INTO company_${i}.services (name, duration_minutes, price_cents) SELECT 'Service ' || g, 15 * (1 + g % 8), 1000 + 250 * g FROM generate_series(1, 20) g;
INSERT INTO company_${i}.employees (name, email, role_name, branch_id)
  SELECT 'Employee ' || g, 'e' || g || '@company${i}.example', (ARRAY['manager','staff','staff','viewer'])[1 + g % 4],
         (SELECT id FROM company_${i}.branches ORDER BY name OFFSET g % 5 LIMIT 1) FROM generate_series(1, 60) g;
INSERT INTO company_${i}.appointments (customer_name, starts_at, status, employee_id, service_id, branch_id)
  SELECT 'Customer ' || g, now() - (g || ' hours')::interval, (ARRAY['booked','done','cancelled'])[1 + g % 3], e.id, s.id, e.branch_id
    FROM generate_series(1, 6000) g
    JOIN LATERAL (SELECT id, branch_id FROM company_${i}.employees ORDER BY email OFFSET g % 60 LIMIT 1) e ON true
    JOIN LATERAL (SELECT id FROM company_${i}.services ORDER BY name OFFSET g % 20 LIMIT 1) s ON true;`;
  return `
CREATE TABLE companies (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text NOT NULL, slug text UNIQUE NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
INSERT INTO companies (name, slug) SELECT 'Company ' || g, 'company-' || g FROM generate_series(1, ${Math.max(TENANTS, 1)}) g;
CREATE TABLE audit_log (id bigserial PRIMARY KEY, company_id uuid, at timestamptz NOT NULL, action text NOT NULL, payload jsonb NOT NULL);
INSERT INTO audit_log (company_id, at, action, payload)
  SELECT (SELECT id FROM companies ORDER BY slug OFFSET g % ${Math.max(TENANTS, 1)} LIMIT 1), now() - (g || ' seconds')::interval,
         (ARRAY['login','booking.created','booking.cancelled','employee.updated'])[1 + g % 4],
         jsonb_build_object('ip', '10.0.' || (g % 255) || '.' || (g % 250), 'agent', 'Mozilla/5.0 (X11; Linux x86_64) app/' || (g % 40), 'n', g)
    FROM generate_series(1, ${AUDIT_ROWS}) g;
CREATE INDEX ON audit_log (company_id, at);
${Array.from({ length: TENANTS }, (_, i) => tenant(i + 1)).join('\n')}
ANALYZE;`;
}

const server = await benchServer();
const work = await mkdtemp(join(tmpdir(), 'migrate-tool-bench-backup-'));
try {
  console.log('backup: `migrate-tool backup` against bare `pg_dump -Fc` of the same database');
  console.log(`machine: ${machine()}`);
  console.log(`server:  ${server.description}`);
  const skip = await pgDumpSkipReason(server.url);
  if (skip) {
    console.log(`\nskipped: ${skip}`);
  } else {
    await measure();
  }
} finally {
  await dropDatabase(server.url, DB).catch(() => {});
  await rm(work, { recursive: true, force: true });
  await server.stop();
}

async function measure(): Promise<void> {
  const url = await createDatabase(server.url, DB);
  const building = performance.now();
  await runScript(url, buildScript());
  const size = await withClient(
    url,
    async (c) =>
      (await c.query<{ s: string }>(`SELECT pg_size_pretty(pg_database_size(current_database())) AS s`)).rows[0]!.s,
  );
  console.log(
    `database: ${size} (${TENANTS} tenant schemas of 4 tables, 6,000 appointments each; ${AUDIT_ROWS.toLocaleString('en')} audit rows), built in ${seconds(performance.now() - building)}\n`,
  );
  await ensureBuilt();

  // Both get the connection the same way: the libpq variables the tool gives pg_dump, nothing on the command line.
  const env = { ...cliEnv(url, join(work, 'migrations')), BACKUP_DIR: join(work, 'tool') };
  const pgEnv = toolEnv(connectionFromUrl(url), process.env);
  const bareFile = join(work, 'bare.dump');
  const bare = async () => {
    const r = mustSucceed(
      'pg_dump -Fc',
      await runProcess('pg_dump', ['-Fc', '-f', bareFile], { env: pgEnv, measureRss: false }),
    );
    const bytes = (await stat(bareFile)).size;
    await rm(bareFile);
    return { ms: r.ms, bytes };
  };
  const tool = async () => {
    await mkdir(env.BACKUP_DIR, { recursive: true });
    const r = mustSucceed(
      'migrate-tool backup',
      await runProcess(process.execPath, [BIN, 'backup', '--keep'], { env, cwd: ROOT, measureRss: false }),
    );
    const [file, ...more] = await readdir(env.BACKUP_DIR);
    if (!file || more.length) throw new Error(`expected one backup file, found ${[file, ...more].join(', ')}`);
    const bytes = (await stat(join(env.BACKUP_DIR, file))).size;
    await rm(env.BACKUP_DIR, { recursive: true });
    return { ms: r.ms, bytes };
  };

  await bare();
  await tool();
  const times = { bare: [] as number[], tool: [] as number[] };
  let bytes = { bare: 0, tool: 0 };
  for (let i = 0; i < RUNS; i++) {
    const order = i % 2 === 0 ? (['bare', 'tool'] as const) : (['tool', 'bare'] as const);
    for (const which of order) {
      const r = which === 'bare' ? await bare() : await tool();
      times[which].push(r.ms);
      bytes = { ...bytes, [which]: r.bytes };
    }
  }
  const row = (label: string, ms: number[], b: number) => [
    label,
    String(ms.length),
    seconds(median(ms)),
    seconds(Math.min(...ms)),
    seconds(Math.max(...ms)),
    `${(b / 1e6).toFixed(1)} MB`,
  ];
  console.log(
    table([
      ['command', 'runs', 'median', 'min', 'max', 'archive'],
      row('pg_dump -Fc -f FILE', times.bare, bytes.bare),
      row('migrate-tool backup --keep', times.tool, bytes.tool),
    ]),
  );
  const r = median(times.tool) / median(times.bare);
  console.log(
    `\ntarget: migrate-tool backup / pg_dump -Fc ≤ ${TARGET_RATIO}×: ${r.toFixed(2)}× (${r <= TARGET_RATIO ? 'met' : 'MISSED'})`,
  );
  console.log(
    'migrate-tool backup also starts Node, checks the server and pg_dump versions, verifies the archive with pg_restore --list, renames it and syncs the folder',
  );
}
