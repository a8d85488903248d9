// Benchmark: `import` and `adopt` of a 400-migration history, per source tool. Each tool's folder
// is generated in its own format, the database gets the tables and the history rows that tool
// would have written, then the real CLI imports the folder and adopts the history (timed), and
// `up` must then print `no change`. Then adoption at scale (--schemas N, default 10,000 tenant
// schemas): the operations guide's layout (a golang-migrate history in public whose loops became
// tenant migrations, recorded in every tenant schema) and a dbmate history kept inside each tenant
// schema (10,000 history tables to read).
// Run: `npm run bench -- import-adopt` or `tsx bench/import-adopt.bench.ts`.   --count N (default 400), --schemas N (default 10000; 0 skips)
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureBuilt, migrateTool } from './lib/cli';
import { createDatabase, dropDatabase, runScript } from './lib/db';
import { machine } from './lib/machine';
import { millis, mustSucceed, table } from './lib/measure';
import { benchServer } from './lib/server';
import { formatAtlasSum } from '../src/import/sources/atlas-sum';

const { values: flags } = parseArgs({ options: { count: { type: 'string' }, schemas: { type: 'string' } } });
const N = Math.max(1, Number(flags.count ?? 400));
const SCHEMAS = Math.max(0, Number(flags.schemas ?? 10000));
const DB = 'mtbench_import_adopt';

interface Generated {
  files: Record<string, string>;
  history: string;
}

const sql = (i: number) => `CREATE TABLE t_${i} (id int PRIMARY KEY, note text);\n`;
const ts = (i: number) => String(20240101000000 + i * 100); // distinct 14-digit versions, in order
const range = Array.from({ length: N }, (_, k) => k + 1);

const TOOLS: Record<string, () => Generated> = {
  'golang-migrate': () => ({
    files: Object.fromEntries(
      range.flatMap((i) => [
        [`${i}_table-${i}.up.sql`, sql(i)],
        [`${i}_table-${i}.down.sql`, `DROP TABLE t_${i};\n`],
      ]),
    ),
    history: `CREATE TABLE schema_migrations (version bigint not null primary key, dirty boolean not null); INSERT INTO schema_migrations VALUES (${N}, false);`,
  }),
  dbmate: () => ({
    files: Object.fromEntries(
      range.map((i) => [`${ts(i)}_table_${i}.sql`, `-- migrate:up\n${sql(i)}\n-- migrate:down\nDROP TABLE t_${i};\n`]),
    ),
    history: `CREATE TABLE schema_migrations (version varchar(128) primary key); INSERT INTO schema_migrations SELECT (20240101000000 + i * 100)::text FROM generate_series(1, ${N}) i;`,
  }),
  prisma: () => ({
    files: {
      'migration_lock.toml': 'provider = "postgresql"\n',
      ...Object.fromEntries(range.map((i) => [`${ts(i)}_table_${i}/migration.sql`, sql(i)])),
    },
    history: `CREATE TABLE _prisma_migrations (id varchar(36) PRIMARY KEY, checksum varchar(64) NOT NULL, finished_at timestamptz, migration_name varchar(255) NOT NULL,
      logs text, rolled_back_at timestamptz, started_at timestamptz NOT NULL DEFAULT now(), applied_steps_count integer NOT NULL DEFAULT 0);
      INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, applied_steps_count)
        SELECT gen_random_uuid(), md5(i::text), now(), (20240101000000 + i * 100)::text || '_table_' || i, 1 FROM generate_series(1, ${N}) i;`,
  }),
  atlas: () => {
    const files = Object.fromEntries(range.map((i) => [`${ts(i)}_table_${i}.sql`, sql(i)]));
    return {
      files: {
        ...files,
        'atlas.sum': formatAtlasSum(Object.entries(files).map(([name, text]) => ({ name, bytes: Buffer.from(text) }))),
      },
      history: `CREATE SCHEMA atlas_schema_revisions; CREATE TABLE atlas_schema_revisions.atlas_schema_revisions (version varchar PRIMARY KEY, description varchar NOT NULL,
        type bigint NOT NULL DEFAULT 2, applied bigint NOT NULL DEFAULT 0, total bigint NOT NULL DEFAULT 0, executed_at timestamptz NOT NULL, execution_time bigint NOT NULL,
        error text, error_stmt text, hash varchar NOT NULL, partial_hashes jsonb, operator_version varchar NOT NULL);
        INSERT INTO atlas_schema_revisions.atlas_schema_revisions SELECT (20240101000000 + i * 100)::text, 'table_' || i, 2, 1, 1, now(), 1, NULL, NULL, 'h', NULL, 'v'
          FROM generate_series(1, ${N}) i;`,
    };
  },
  'node-pg-migrate': () => ({
    files: Object.fromEntries(
      range.map((i) => [
        `${1700000000000 + i}_table-${i}.sql`,
        `-- Up Migration\n${sql(i)}\n-- Down Migration\nDROP TABLE t_${i};\n`,
      ]),
    ),
    history: `CREATE TABLE pgmigrations (id serial PRIMARY KEY, name varchar(255) NOT NULL, run_on timestamp NOT NULL);
      INSERT INTO pgmigrations (name, run_on) SELECT (1700000000000 + i)::text || '_table-' || i, now() FROM generate_series(1, ${N}) i;`,
  }),
};

const TENANT_LOOP = (sql: string) => `DO $$
DECLARE s text;
BEGIN
  FOR s IN SELECT nspname FROM pg_namespace WHERE nspname LIKE 'company_%' LOOP
    EXECUTE format('${sql}', s);
  END LOOP;
END $$;
`;

/** 'company_00001' ... as one DO block (setup, not timed). */
const createSchemas = (n: number) =>
  `DO $$ BEGIN FOR i IN 1..${n} LOOP EXECUTE format('CREATE SCHEMA %I', 'company_' || lpad(i::text, 5, '0')); END LOOP; END $$;\n`;

/** `body` for each tenant schema `s`, 500 schemas per DO block (one transaction each: a default lock table holds that). */
function inChunks(schemas: number, body: string): string {
  const blocks: string[] = [];
  for (let from = 0; from < schemas; from += 500)
    blocks.push(`DO $$ DECLARE s text; BEGIN
      FOR s IN SELECT nspname FROM pg_namespace WHERE nspname LIKE 'company_%' ORDER BY nspname LIMIT 500 OFFSET ${from} LOOP
        ${body}
      END LOOP; END $$;\n`);
  return blocks.join('');
}

function atScale(
  schemas: number,
): Record<string, { tool: string; files: Record<string, string>; setup: string; importArgs: string[] }> {
  const loops = [1, 2, 3, 4, 5].map((i) => `CREATE TABLE %I.t_${i} (id int)`);
  return {
    "guide's loops (golang-migrate)": {
      tool: 'golang-migrate',
      files: {
        '1_companies.up.sql': 'CREATE TABLE companies (id int PRIMARY KEY);\n',
        ...Object.fromEntries(loops.map((l, i) => [`${i + 2}_tenant_${i + 1}.up.sql`, TENANT_LOOP(l)])),
      },
      // What the loops built, in every tenant schema: adopt compares each schema's catalog with them.
      setup: `${createSchemas(schemas)}CREATE TABLE companies (id int PRIMARY KEY);
        ${inChunks(schemas, loops.map((l) => `EXECUTE format('${l}', s);`).join('\n'))}
        CREATE TABLE schema_migrations (version bigint not null primary key, dirty boolean not null); INSERT INTO schema_migrations VALUES (6, false);`,
      importArgs: [],
    },
    'dbmate per tenant schema': {
      tool: 'dbmate',
      files: Object.fromEntries(
        [1, 2, 3, 4, 5].map((i) => [
          `${ts(i)}_table_${i}.sql`,
          `-- migrate:up\nCREATE TABLE t_${i} (id int PRIMARY KEY);\n-- migrate:down\n`,
        ]),
      ),
      setup: `${createSchemas(schemas)}${inChunks(
        schemas,
        `EXECUTE format('CREATE TABLE %I.schema_migrations (version varchar(128) PRIMARY KEY)', s);
          EXECUTE format('INSERT INTO %I.schema_migrations SELECT (20240101000000 + i * 100)::text FROM generate_series(1, 5) i', s);`,
      )}`,
      importArgs: ['--tenant'],
    },
  };
}

async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(join(dir, rel, '..'), { recursive: true });
    await writeFile(join(dir, rel), text);
  }
}

const server = await benchServer();
const work = await mkdtemp(join(tmpdir(), 'migrate-tool-bench-'));
try {
  console.log(`import + adopt: a ${N}-migration history per source tool`);
  console.log(`machine: ${machine()}`);
  console.log(`server:  ${server.description}\n`);
  await ensureBuilt();
  const rows: string[][] = [];
  for (const [tool, generate] of Object.entries(TOOLS)) {
    const { files, history } = generate();
    const src = join(work, tool, 'src');
    const dir = join(work, tool, 'migrations');
    await writeFiles(src, files);
    const url = await createDatabase(server.url, DB);
    await runScript(url, range.map(sql).join('') + history);
    const imported = mustSucceed(`import ${tool}`, await migrateTool(['import', tool, src], url, dir));
    const adopted = mustSucceed(`adopt ${tool}`, await migrateTool(['adopt', tool], url, dir));
    const up = mustSucceed('up', await migrateTool(['up'], url, dir));
    if (!up.stdout.includes('no change'))
      throw new Error(`${tool}: up after adopt did not print "no change":\n${up.stdout}`);
    rows.push([tool, String(N), millis(imported.ms), millis(adopted.ms), millis(imported.ms + adopted.ms)]);
    await dropDatabase(server.url, DB);
  }
  console.log(table([['tool', 'migrations', 'import', 'adopt', 'total'], ...rows]));
  console.log('\n(each figure: one CLI process, start-up included; `up` printed `no change` after each adopt)');
  if (SCHEMAS > 0) {
    console.log(`\nadopt at scale: ${SCHEMAS} tenant schemas`);
    const scale: string[][] = [];
    for (const [what, scenario] of Object.entries(atScale(SCHEMAS))) {
      const src = join(work, 'scale', what.replace(/\W+/g, '-'));
      const dir = join(src, '..', `${what.replace(/\W+/g, '-')}-migrations`);
      await writeFiles(src, scenario.files);
      const url = await createDatabase(server.url, DB);
      const setupStarted = performance.now();
      await runScript(url, scenario.setup);
      const setupMs = performance.now() - setupStarted;
      mustSucceed(
        `import ${scenario.tool}`,
        await migrateTool(['import', scenario.tool, src, ...scenario.importArgs], url, dir),
      );
      const adopted = mustSucceed(`adopt ${scenario.tool}`, await migrateTool(['adopt', scenario.tool], url, dir));
      const recorded = /Recorded (\d+) versions? in (\d+) schemas?/.exec(adopted.stdout);
      const up = mustSucceed('up', await migrateTool(['up'], url, dir));
      if (!up.stdout.includes('no change'))
        throw new Error(`${what}: up after adopt did not print "no change":\n${up.stdout}`);
      scale.push([
        what,
        String(SCHEMAS),
        recorded ? `${recorded[1]} in ${recorded[2]}` : '?',
        millis(setupMs),
        millis(adopted.ms),
        millis(up.ms),
      ]);
      await dropDatabase(server.url, DB);
    }
    console.log(
      table([['history', 'tenant schemas', 'rows recorded', 'setup (not timed)', 'adopt', 'up (no change)'], ...scale]),
    );
  }
} finally {
  await rm(work, { recursive: true, force: true });
  await server.stop();
}
