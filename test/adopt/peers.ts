// Builds a database the way each peer tool builds it: its files applied in its order (by the tool
// itself where it runs here: dbmate's binary, node-pg-migrate's runner; otherwise with psql), and
// its history table created and filled as that tool does (DDL taken from each tool's source).
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { psql, psqlFiles, writeFiles, type Files } from '../import/support';

const run = promisify(execFile);

export interface Peer {
  /** Global migrations in the tool's format; `tenant` for per-schema histories, where the tool has them. */
  global: Files;
  tenant?: Files;
  /** Applies `dir` (written from global or tenant) to `schema` and records it there. */
  build(url: string, dir: string, schema: string, files: Files): Promise<void>;
  /** History tables to leave out of catalog comparisons. */
  history: string[];
}

const COMPANIES = 'CREATE TABLE companies (id serial PRIMARY KEY, name text NOT NULL);';
const PLAN =
  "CREATE TYPE plan AS ENUM ('free', 'paid');\nALTER TABLE companies ADD COLUMN plan plan NOT NULL DEFAULT 'free';";
const INDEX = 'CREATE INDEX CONCURRENTLY companies_name_idx ON companies (name);';
const EMPLOYEES = 'CREATE TABLE employees (id serial PRIMARY KEY, name text NOT NULL);';
const EMP_INDEX = 'CREATE INDEX employees_name_idx ON employees (name);';

export const PEERS: Record<string, Peer> = {
  'golang-migrate': {
    global: {
      '1_create-companies.up.sql': `BEGIN;\n${COMPANIES}\nCOMMIT;\n`,
      '1_create-companies.down.sql': 'DROP TABLE companies;',
      '0002_AddPlan.up.sql': PLAN,
      '3_name_idx.up.sql': INDEX,
    },
    tenant: { '100_employees.up.sql': EMPLOYEES, '101_employees-name.up.sql': EMP_INDEX },
    history: ['*.schema_migrations'],
    async build(url, dir, schema, files) {
      const list = Object.keys(files)
        .filter((f) => f.endsWith('.up.sql'))
        .sort((a, b) => parseInt(a) - parseInt(b));
      await psqlFiles(
        url,
        list.map((f) => join(dir, f)),
        schema,
      );
      // golang-migrate's postgres driver: this table, one row holding the current version.
      await psql(
        url,
        `CREATE TABLE IF NOT EXISTS "${schema}"."schema_migrations" (version bigint not null primary key, dirty boolean not null);
        INSERT INTO "${schema}".schema_migrations (version, dirty) VALUES (${parseInt(list.at(-1)!)}, false)`,
      );
    },
  },
  dbmate: {
    global: {
      '20240101120000_create_companies.sql': `-- migrate:up\n${COMPANIES}\n\n-- migrate:down\nDROP TABLE companies;\n`,
      '20240101120100_add_plan.sql': `-- migrate:up\n${PLAN}\n\n-- migrate:down\n`,
      '20240101120200_name_index.sql': `-- migrate:up transaction:false\n${INDEX}\n\n-- migrate:down\nDROP INDEX companies_name_idx;\n`,
    },
    tenant: {
      '20240101130000_employees.sql': `-- migrate:up\n${EMPLOYEES}\n-- migrate:down\nDROP TABLE employees;\n`,
      '20240101130100_employees-name.sql': `-- migrate:up\n${EMP_INDEX}\n-- migrate:down\nDROP INDEX employees_name_idx;\n`,
    },
    history: ['*.schema_migrations'],
    async build(url, dir, schema) {
      const bin = createRequire(import.meta.url).resolve(`@dbmate/${process.platform}-${process.arch}/bin/dbmate`);
      const u = new URL(url);
      u.searchParams.set('sslmode', 'disable');
      u.searchParams.set('search_path', schema);
      // The URL (and its password) through dbmate's DATABASE_URL, not its command line.
      await run(bin, ['--migrations-dir', dir, '--no-dump-schema', 'up'], {
        env: { PATH: process.env.PATH, DATABASE_URL: u.toString() },
      });
    },
  },
  'node-pg-migrate': {
    global: {
      '1700000000000_create-companies.sql': `-- Up Migration\n${COMPANIES}\n\n-- Down Migration\nDROP TABLE companies;\n`,
      '1700000000100_add-plan.up.sql': PLAN,
      '1700000000100_add-plan.down.sql': 'ALTER TABLE companies DROP COLUMN plan;\nDROP TYPE plan;',
    },
    tenant: {
      '1700000001000_employees.sql': `-- Up Migration\n${EMPLOYEES}\n${EMP_INDEX}\n-- Down Migration\nDROP TABLE employees;\n`,
    },
    history: ['*.pgmigrations*'],
    async build(url, dir, schema) {
      const { runner } = await import('node-pg-migrate');
      await runner({
        databaseUrl: url,
        dir,
        schema,
        migrationsTable: 'pgmigrations',
        direction: 'up',
        migrationLoaderStrategies: [{ extensions: ['.sql'], loader: 'sql' }],
        log: () => {},
      } as never);
    },
  },
  prisma: {
    global: {
      'migration_lock.toml': 'provider = "postgresql"\n',
      '20240101120000_init/migration.sql': `-- CreateTable\n${COMPANIES}\n`,
      '20240101120000_plan/migration.sql': `-- CreateEnum\n${PLAN}\n`,
    },
    history: ['public._prisma_migrations'],
    async build(url, dir) {
      const names = ['20240101120000_init', '20240101120000_plan'];
      await psqlFiles(
        url,
        names.map((n) => join(dir, n, 'migration.sql')),
      );
      await recordPrisma(url, names);
    },
  },
  atlas: {
    global: {
      '20240101120000_init.sql': `${COMPANIES}\n`,
      '20240101120100_plan.sql': `${PLAN}\n`,
      '20240101120200_index.sql': `-- atlas:txmode none\n\n${INDEX}\n`,
    },
    history: [],
    async build(url, dir) {
      const files = ['20240101120000_init.sql', '20240101120100_plan.sql', '20240101120200_index.sql'];
      await psqlFiles(
        url,
        files.map((f) => join(dir, f)),
      );
      // Atlas's revisions table (its ent schema), in its own schema, one row per executed file.
      await psql(
        url,
        `CREATE SCHEMA atlas_schema_revisions; CREATE TABLE atlas_schema_revisions.atlas_schema_revisions (
        version character varying NOT NULL PRIMARY KEY, description character varying NOT NULL, type bigint NOT NULL DEFAULT 2,
        applied bigint NOT NULL DEFAULT 0, total bigint NOT NULL DEFAULT 0, executed_at timestamptz NOT NULL, execution_time bigint NOT NULL,
        error text NULL, error_stmt text NULL, hash character varying NOT NULL, partial_hashes jsonb NULL, operator_version character varying NOT NULL);
        INSERT INTO atlas_schema_revisions.atlas_schema_revisions VALUES ('.atlas_cloud_identifier', '${randomUUID()}', 0, 0, 0, now(), 0, NULL, NULL, '', NULL, 'Atlas CLI v0.30.0');
        ${files.map((f) => `INSERT INTO atlas_schema_revisions.atlas_schema_revisions VALUES ('${f.split('_')[0]}', '${f.split('_')[1]!.replace('.sql', '')}', 2, 1, 1, now(), 1000, NULL, NULL, 'h', NULL, 'Atlas CLI v0.30.0');`).join('\n')}`,
      );
    },
  },
};

/** The tool's folder on disk (Atlas's with the atlas.sum that `atlas migrate hash` would write). */
export async function writePeer(tool: string, dir: string, files: Files): Promise<string> {
  await writeFiles(dir, files);
  if (tool === 'atlas') {
    const { formatAtlasSum } = await import('../../src/import/sources/atlas-sum');
    await writeFiles(dir, {
      'atlas.sum': formatAtlasSum(Object.entries(files).map(([name, text]) => ({ name, bytes: Buffer.from(text) }))),
    });
  }
  return dir;
}

/** _prisma_migrations as Prisma's schema engine creates it, with a finished row per migration name. */
export async function recordPrisma(url: string, names: string[]): Promise<void> {
  await psql(
    url,
    `CREATE TABLE "_prisma_migrations" (id VARCHAR(36) PRIMARY KEY NOT NULL, checksum VARCHAR(64) NOT NULL, finished_at TIMESTAMPTZ,
    migration_name VARCHAR(255) NOT NULL, logs TEXT, rolled_back_at TIMESTAMPTZ, started_at TIMESTAMPTZ NOT NULL DEFAULT now(), applied_steps_count INTEGER NOT NULL DEFAULT 0);
    ${names.map((n) => `INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, applied_steps_count) VALUES ('${randomUUID()}', '${createHash('sha256').update(n).digest('hex')}', now(), '${n}', 1);`).join('\n')}`,
  );
}
