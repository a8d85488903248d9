// Benchmark: `drift` over 10,000 tenant schemas of three tables each (a global migration and three
// tenant ones), three of which drifted (an extra index, a changed column type, a dropped
// constraint). The tenants are built by SQL in batches, with the rows `up` would have recorded,
// since running `up` over 10,000 schemas is the engine bench's business; then the real CLI runs
// `drift` (timed) and must report 3 differing schemas (the others and public matching) and exit 3.
// Run: `npm run bench -- drift` or `tsx bench/drift.bench.ts`.   --tenants N (default 10000) --runs N (default 3)
// --keep leaves the database for the next run, and --reuse times a database an earlier --keep left
// (building 10,000 schemas takes minutes).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureBuilt, migrateTool } from './lib/cli';
import { createDatabase, dropDatabase, urlFor, withClient } from './lib/db';
import { machine } from './lib/machine';
import { median, seconds } from './lib/measure';
import { benchServer } from './lib/server';
import { writeMigrations } from '../test/support/migrations';
import { checksum } from '../src/migrations/checksum';

const { values: flags } = parseArgs({
  options: {
    tenants: { type: 'string' },
    runs: { type: 'string' },
    keep: { type: 'boolean' },
    reuse: { type: 'boolean' },
  },
});
const N = Math.max(4, Number(flags.tenants ?? 10_000));
const RUNS = Math.max(1, Number(flags.runs ?? 3));
const DB = 'mtbench_drift';
const schema = (i: number) => `company_${String(i).padStart(5, '0')}`;
const BATCH = 100; // schemas per transaction: about 10 locks each, well under the shared lock table (max_locks_per_transaction x max_connections)

const FILES: Record<string, string> = {
  '20250101000000_companies.up.sql': 'CREATE TABLE companies (id serial PRIMARY KEY, name text NOT NULL);',
  'tenant/20250101000100_employees.up.sql':
    "CREATE TABLE employees (id serial PRIMARY KEY, name text NOT NULL CHECK (name <> ''), email text, company_id int REFERENCES public.companies (id));",
  'tenant/20250101000200_projects.up.sql':
    'CREATE TABLE projects (id serial PRIMARY KEY, title text NOT NULL, starts_at timestamptz DEFAULT now());',
  'tenant/20250101000300_assignments.up.sql':
    'CREATE TABLE assignments (employee_id int REFERENCES employees (id), project_id int REFERENCES projects (id), PRIMARY KEY (employee_id, project_id));\nCREATE INDEX assignments_project_idx ON assignments (project_id);',
};

const server = await benchServer();
const work = await mkdtemp(join(tmpdir(), 'migrate-tool-bench-'));
try {
  console.log(`drift: ${N.toLocaleString('en-US')} tenant schemas x 3 tables, 3 of them drifted`);
  console.log(`machine: ${machine()}`);
  console.log(`server:  ${server.description}\n`);
  await ensureBuilt();
  const dir = await writeMigrations(work, FILES);
  const url = flags.reuse ? urlFor(server.url, DB) : await createDatabase(server.url, DB);
  if (!flags.reuse) await build(url, dir);

  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const r = await migrateTool(['drift'], url, dir);
    if (r.code !== 3 || !r.stdout.includes(`${(N - 2).toLocaleString('en-US')} match; 3 differ`)) {
      throw new Error(`drift did not report 3 differing schemas (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
    }
    times.push(r.ms);
    if (run === 0) console.log(r.stdout.trim().split('\n').at(-1));
  }
  console.log(
    `\ndrift over ${N.toLocaleString('en-US')} tenant schemas: ${seconds(median(times))} median of ${RUNS} (${times.map(seconds).join(', ')})`,
  );
  console.log('(each figure: one CLI process, start-up and the scratch database included)');
  if (!flags.keep) await dropDatabase(server.url, DB);
} finally {
  await rm(work, { recursive: true, force: true });
  await server.stop();
}

/** 10,000 tenants, the first by `up` itself, the others by SQL with the rows `up` records; three drifted. */
async function build(url: string, dir: string): Promise<void> {
  const started = performance.now();
  // The first tenant by `up` itself (public, the state table and its rows); the others by SQL.
  await withClient(url, (c) => c.query(`CREATE SCHEMA ${schema(0)}`));
  const up = await migrateTool(['up'], url, dir);
  if (up.code !== 0) throw new Error(`up failed:\n${up.stdout}\n${up.stderr}`);
  await withClient(url, async (c) => {
    for (let from = 1; from < N; from += BATCH) {
      const sql = [];
      for (let i = from; i < Math.min(N, from + BATCH); i++)
        sql.push(
          `CREATE SCHEMA ${schema(i)}; SET LOCAL search_path TO ${schema(i)};`,
          ...Object.entries(FILES)
            .filter(([f]) => f.startsWith('tenant/'))
            .map(([, s]) => s),
        );
      await c.query(`BEGIN; ${sql.join('\n')} COMMIT;`);
    }
  });
  await withClient(url, async (c) => {
    const rows = Object.entries(FILES).filter(([f]) => f.startsWith('tenant/'));
    for (const [file, text] of rows) {
      const [, version, name] = /(\d{14})_(.+)\.up\.sql$/.exec(file)!;
      await c.query(
        `INSERT INTO migrate_tool.migrations (schema_name, version, name, scope, checksum)
         SELECT nspname, $1, $2, 'tenant', $3 FROM pg_namespace WHERE nspname LIKE 'company\\_%' ON CONFLICT DO NOTHING`,
        [version, name, checksum(text)],
      );
    }
    await c.query(`CREATE INDEX foo_idx ON ${schema(17)}.projects (title);
      ALTER TABLE ${schema(N - 2)}.employees ALTER COLUMN email TYPE varchar(200);
      ALTER TABLE ${schema(N - 1)}.employees DROP CONSTRAINT employees_name_check;`);
    // The catalogs' statistics, as autovacuum would have them on a database that grew over time
    // (a plain ANALYZE in one transaction would lock every one of the 40,000 tables at once).
    await c.query(
      'ANALYZE pg_class, pg_attribute, pg_index, pg_constraint, pg_depend, pg_namespace, pg_type, pg_attrdef, pg_sequence, pg_trigger, pg_proc',
    );
  });
  console.log(`setup (not timed): ${seconds(performance.now() - started)}`);
}
