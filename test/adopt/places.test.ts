// Where the source tool really ran: `adopt TOOL --history-table SCHEMA.TABLE` (dbmate's
// --migrations-table, built here by dbmate itself) or a bare TABLE (golang-migrate's
// x-migrations-table), a value that is neither refused before anything is read; and `import
// --search-path`, for a dbmate project whose URL carries ?search_path=.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from '../support/fixtures';
import { envFor, runCli } from '../support/cli';
import { psql, writeFiles } from '../import/support';
import { takeOver } from './take-over';

const run = promisify(execFile);

test('adopt --history-table SCHEMA.TABLE reads a dbmate history kept with --migrations-table', async ({ db, dir }) => {
  const src = await writeFiles(join(dir, 'db', 'migrations'), {
    '20240101120000_companies.sql':
      '-- migrate:up\nCREATE TABLE companies (id serial PRIMARY KEY);\n-- migrate:down\nDROP TABLE companies;\n',
    '20240101120100_users.sql':
      '-- migrate:up\nCREATE TABLE users (id serial PRIMARY KEY);\n-- migrate:down\nDROP TABLE users;\n',
  });
  const bin = createRequire(import.meta.url).resolve(`@dbmate/${process.platform}-${process.arch}/bin/dbmate`);
  const u = new URL(db.url);
  u.searchParams.set('sslmode', 'disable');
  await psql(db.url, 'CREATE SCHEMA meta');
  await run(bin, [
    '--url',
    u.toString(),
    '--migrations-dir',
    src,
    '--migrations-table',
    'meta.dbmate_history',
    '--no-dump-schema',
    'up',
  ]);

  const root = join(dir, 'migrations');
  const env = { ...envFor(db.url), MIGRATIONS_DIR: root };
  expect((await runCli(['import', 'dbmate', src], { cwd: dir, env })).code).toBe(0);
  const without = await runCli(['adopt', 'dbmate'], { cwd: dir, env });
  expect(without.code).toBe(2);
  expect(without.stderr).toContain('No dbmate history found');
  const adopted = await runCli(['adopt', 'dbmate', '--history-table', 'meta.dbmate_history'], { cwd: dir, env });
  expect(adopted.code, adopted.stderr).toBe(0);
  expect(adopted.stdout).toContain('public: meta.dbmate_history 2 rows -> 2 versions');
  expect((await runCli(['up'], { cwd: dir, env })).stdout).toContain('no change');
});

test('adopt --history-table TABLE reads golang-migrate x-migrations-table in public; a malformed value is a usage error', async ({
  db,
  dir,
}) => {
  const src = await writeFiles(join(dir, 'src'), {
    '1_companies.up.sql': 'CREATE TABLE companies (id serial PRIMARY KEY);',
  });
  await psql(
    db.url,
    'CREATE TABLE companies (id serial PRIMARY KEY); CREATE TABLE gm_versions (version bigint not null primary key, dirty boolean not null); INSERT INTO gm_versions VALUES (1, false)',
  );
  const root = join(dir, 'migrations');
  const env = { ...envFor(db.url), MIGRATIONS_DIR: root };
  expect((await runCli(['import', 'golang-migrate', src], { cwd: dir, env })).code).toBe(0);
  const bad = await runCli(['adopt', 'golang-migrate', '--history-table', 'a.b.c'], { cwd: dir, env });
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('History table "a.b.c" is not SCHEMA.TABLE or TABLE');
  const adopted = await runCli(['adopt', 'golang-migrate', '--history-table', 'gm_versions'], { cwd: dir, env });
  expect(adopted.code, adopted.stderr).toBe(0);
  expect(adopted.stdout).toContain('public: public.gm_versions version 1 -> 1 version');
});

test('import --search-path: dbmate files run with ?search_path=app,public build the same catalog here, and adopt finds the history in app', async ({
  db,
  dir,
}) => {
  const src = await writeFiles(join(dir, 'db', 'migrations'), {
    '20240101120000_app_schema.sql':
      '-- migrate:up\nCREATE SCHEMA IF NOT EXISTS app;\n-- migrate:down\nDROP SCHEMA app;\n',
    '20240101120100_companies.sql':
      '-- migrate:up\nCREATE TABLE companies (id serial PRIMARY KEY, name text);\n-- migrate:down\nDROP TABLE companies;\n',
    '20240101120200_users.sql':
      '-- migrate:up\nCREATE TABLE users (id serial PRIMARY KEY, company_id int REFERENCES companies);\nCREATE INDEX users_company_idx ON users (company_id);\n-- migrate:down\nDROP TABLE users;\n',
    '20240101120300_name_index.sql':
      '-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY companies_name_idx ON companies (name);\n-- migrate:down\nDROP INDEX companies_name_idx;\n',
  });
  const bin = createRequire(import.meta.url).resolve(`@dbmate/${process.platform}-${process.arch}/bin/dbmate`);
  const u = new URL(db.url);
  u.searchParams.set('sslmode', 'disable');
  u.searchParams.set('search_path', 'app,public');
  await psql(db.url, 'CREATE SCHEMA app');
  await run(bin, ['--url', u.toString(), '--migrations-dir', src, '--no-dump-schema', 'up']);
  expect((await db.query(`SELECT to_regclass('app.schema_migrations') AS t`)).rows[0].t).not.toBeNull();

  const bad = await runCli(['import', 'dbmate', src, '--search-path', 'app;drop'], {
    cwd: dir,
    env: { MIGRATIONS_DIR: join(dir, 'unused') },
  });
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('Search path "app;drop" is not a comma-separated list of schema names');
  const { adopted } = await takeOver(
    'dbmate',
    src,
    db,
    dir,
    ['app.schema_migrations'],
    ['--search-path', 'app,public'],
  );
  expect(adopted).toContain('public: app.schema_migrations 4 rows -> 4 versions');
});
