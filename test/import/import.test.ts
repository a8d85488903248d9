// `import`: each source format converted, and every refusal leaves the migrations folder untouched.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, test } from '../support/fixtures';
import { rejection } from '../support/errors';
import { envFor, runCli } from '../support/cli';
import { importFolder } from '../../src/import/import';
import { formatAtlasSum } from '../../src/import/sources/atlas-sum';
import { loadMigrations } from '../../src/migrations/files';
import { verifySum } from '../../src/migrations/checksum';
import { APP, writeFiles } from './support';

async function loaded(root: string) {
  const folder = await loadMigrations(root);
  await verifySum(root, folder.checksums); // what import wrote, migrate.sum included, is what `up` accepts
  return folder;
}

describe('import golang-migrate', () => {
  const SRC = {
    '1_create-companies.up.sql': `BEGIN;\n${APP.companies}\nCOMMIT;\n`,
    '1_create-companies.down.sql': 'DROP TABLE companies;',
    '0002_AddPlan.up.sql': APP.plan,
    '3_companies_name_idx.up.sql': APP.index,
    '3_companies_name_idx.down.sql': 'DROP INDEX CONCURRENTLY companies_name_idx;',
    '10_users.up.sql': APP.users,
    'README.md': 'not a migration',
  };

  test('sequence numbers become padded versions in order, pairs by version, wrapper removed, CONCURRENTLY without a transaction', async ({
    dir,
  }) => {
    const src = await writeFiles(join(dir, 'src'), SRC);
    const root = join(dir, 'migrations');
    const r = await importFolder('golang-migrate', src, root);
    const folder = await loaded(root);
    expect(folder.migrations.map((m) => [m.version, m.name, Boolean(m.down)])).toEqual([
      ['00000000000001', 'create-companies', true],
      ['00000000000002', 'AddPlan', false],
      ['00000000000003', 'companies_name_idx', true],
      ['00000000000010', 'users', false],
    ]);
    const first = folder.migrations[0]!.up.text;
    expect(first).toBe(`-- imported from golang-migrate 1: 1_create-companies.up.sql\n${APP.companies}\n`);
    expect(folder.migrations[2]!.up.noTransaction).toBe(true);
    expect(folder.migrations[2]!.down!.noTransaction).toBe(true);
    expect(r.files.find((f) => f.from === '1_create-companies.up.sql')!.changes).toContain(
      'outer BEGIN/COMMIT removed',
    );
    expect(r.files.find((f) => f.from === '3_companies_name_idx.up.sql')!.changes.join()).toContain(
      'no-transaction: CREATE INDEX CONCURRENTLY',
    );
  });

  test('--tenant writes to tenant/', async ({ dir }) => {
    const src = await writeFiles(join(dir, 'src'), { '1_employees.up.sql': 'CREATE TABLE employees (id int);' });
    const root = join(dir, 'migrations');
    await importFolder('golang-migrate', src, root, { tenant: true });
    const folder = await loaded(root);
    expect(folder.migrations.map((m) => [m.up.file, m.scope])).toEqual([
      ['tenant/00000000000001_employees.up.sql', 'tenant'],
    ]);
  });
});

describe('import dbmate', () => {
  test('up and down sections become a pair; transaction:false becomes no-transaction', async ({ dir }) => {
    const src = await writeFiles(join(dir, 'src'), {
      '20240101120000_create_companies.sql': `-- migrate:up\n${APP.companies}\n\n-- migrate:down\nDROP TABLE companies;\n`,
      '20240101120100_name_index.sql': `-- migrate:up transaction:false\n${APP.index}\n-- migrate:down transaction:false\nDROP INDEX CONCURRENTLY companies_name_idx;\n`,
      '20240101120200_add_plan.sql': `-- migrate:up\n${APP.plan}\n`,
    });
    const root = join(dir, 'migrations');
    await importFolder('dbmate', src, root);
    const folder = await loaded(root);
    expect(folder.migrations.map((m) => [m.version, m.name, Boolean(m.down), m.up.noTransaction])).toEqual([
      ['20240101120000', 'create_companies', true, false],
      ['20240101120100', 'name_index', true, true],
      ['20240101120200', 'add_plan', false, false],
    ]);
    expect(folder.migrations[0]!.up.text).toBe(
      `-- imported from dbmate 20240101120000: 20240101120000_create_companies.sql\n${APP.companies}\n\n`,
    );
    expect(folder.migrations[0]!.down!.text).toContain('DROP TABLE companies;');
    expect(folder.migrations[0]!.up.text).not.toContain('DROP TABLE');
  });
});

describe('import prisma', () => {
  test('folders in Prisma order; a duplicate timestamp is renumbered and said so', async ({ dir }) => {
    const src = await writeFiles(join(dir, 'prisma'), {
      'migrations/migration_lock.toml': 'provider = "postgresql"\n',
      'migrations/20240101120000_init/migration.sql': `-- CreateTable\n${APP.companies}\n`,
      'migrations/20240101120000_plan/migration.sql': `-- CreateEnum\n${APP.plan}\n`,
      'migrations/20240102000000_users/migration.sql': APP.users,
    });
    const root = join(dir, 'migrations');
    const r = await importFolder('prisma', src, root);
    const folder = await loaded(root);
    expect(folder.migrations.map((m) => [m.version, m.name, Boolean(m.down)])).toEqual([
      ['20240101120000', 'init', false],
      ['20240101120001', 'plan', false],
      ['20240102000000', 'users', false],
    ]);
    expect(folder.migrations[1]!.up.text.split('\n')[0]).toBe(
      '-- imported from prisma 20240101120000_plan: 20240101120000_plan/migration.sql',
    );
    expect(r.files[1]!.changes.join()).toContain('renumbered to 20240101120001');
  });

  test('a history for another provider is refused', async ({ dir }) => {
    const src = await writeFiles(join(dir, 'prisma'), {
      'migration_lock.toml': 'provider = "mysql"\n',
      '20240101120000_init/migration.sql': 'SELECT 1;',
    });
    const error = await rejection(importFolder('prisma', src, join(dir, 'migrations')));
    expect(error.message).toContain('migration_lock.toml: provider is not "postgresql"');
  });
});

describe('import atlas', () => {
  const FILES = {
    '20240101120000_init.sql': `${APP.companies}\n`,
    '20240101120100_index.sql': `-- atlas:txmode none\n\n${APP.index}\n`,
  };
  const atlasDir = async (dir: string, files: Record<string, string>) => {
    const src = await writeFiles(join(dir, 'atlas'), files);
    await writeFile(
      join(src, 'atlas.sum'),
      formatAtlasSum(Object.entries(files).map(([name, text]) => ({ name, bytes: Buffer.from(text) }))),
    );
    return src;
  };

  test('a folder whose atlas.sum matches is imported; txmode none becomes no-transaction', async ({ dir }) => {
    const src = await atlasDir(dir, FILES);
    const root = join(dir, 'migrations');
    await importFolder('atlas', src, root);
    const folder = await loaded(root);
    expect(folder.migrations.map((m) => [m.version, m.name, m.up.noTransaction])).toEqual([
      ['20240101120000', 'init', false],
      ['20240101120100', 'index', true],
    ]);
  });

  test('atlas.sum is checked as Atlas checks it: a known folder gives the same sum line', () => {
    // Computed by hand from Atlas's algorithm: sha256 over name1, bytes1 (file 1's hash), then
    // name2, bytes2 (file 2's hash); the first line hashes each name and hash in turn.
    const sum = formatAtlasSum([
      { name: '1_a.sql', bytes: Buffer.from('SELECT 1;\n') },
      { name: '2_b.sql', bytes: Buffer.from('SELECT 2;\n') },
    ]);
    const h = createHash('sha256').update('1_a.sql').update('SELECT 1;\n');
    const h1 = h.copy().digest('base64');
    const h2 = h.update('2_b.sql').update('SELECT 2;\n').digest('base64');
    const top = createHash('sha256').update('1_a.sql').update(h1).update('2_b.sql').update(h2).digest('base64');
    expect(sum).toBe(`h1:${top}\n1_a.sql h1:${h1}\n2_b.sql h1:${h2}\n`);
  });

  test('a file changed after atlas.sum was written is refused, and nothing is written', async ({ dir }) => {
    const src = await atlasDir(dir, FILES);
    await writeFile(join(src, '20240101120000_init.sql'), 'CREATE TABLE other (id int);\n');
    const root = join(dir, 'migrations');
    const error = await rejection(importFolder('atlas', src, root));
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain('atlas.sum does not match the folder (first difference: 20240101120000_init.sql)');
    expect(existsSync(root)).toBe(false);
  });

  test('a folder without atlas.sum is refused', async ({ dir }) => {
    const src = await writeFiles(join(dir, 'atlas'), FILES);
    const error = await rejection(importFolder('atlas', src, join(dir, 'migrations')));
    expect(error.message).toContain('atlas.sum is missing');
  });
});

describe('import node-pg-migrate', () => {
  test('Up/Down Migration sections and .up/.down.sql pairs; the history name is kept', async ({ dir }) => {
    const src = await writeFiles(join(dir, 'src'), {
      '1700000000000_create-companies.sql': `-- Up Migration\n${APP.companies}\n\n-- Down Migration\nDROP TABLE companies;\n`,
      '1700000000100_add-plan.up.sql': APP.plan,
      '1700000000100_add-plan.down.sql': 'ALTER TABLE companies DROP COLUMN plan;\nDROP TYPE plan;',
    });
    const root = join(dir, 'migrations');
    await importFolder('node-pg-migrate', src, root);
    const folder = await loaded(root);
    expect(folder.migrations.map((m) => [m.version, m.name, Boolean(m.down)])).toEqual([
      ['01700000000000', 'create-companies', true],
      ['01700000000100', 'add-plan', true],
    ]);
    expect(folder.migrations[0]!.up.text).not.toContain('DROP TABLE');
    expect(folder.migrations[1]!.up.text.split('\n')[0]).toBe(
      '-- imported from node-pg-migrate 1700000000100_add-plan: 1700000000100_add-plan.up.sql',
    );
  });

  test('a JavaScript migration is refused, naming it', async ({ dir }) => {
    const src = await writeFiles(join(dir, 'src'), {
      '1700000000000_init.sql': 'SELECT 1;',
      '1700000000100_seed.js': 'exports.up = () => {};',
    });
    const error = await rejection(importFolder('node-pg-migrate', src, join(dir, 'migrations')));
    expect(error.message).toContain('1700000000100_seed.js: a JavaScript/TypeScript migration cannot be converted');
  });
});

describe('refusals write nothing', () => {
  const cases: Array<[string, Record<string, string>, string]> = [
    [
      'a ROLLBACK in the middle',
      { '1_a.up.sql': 'CREATE TABLE a (id int);\nROLLBACK;\nCREATE TABLE b (id int);\n' },
      '1_a.up.sql:2: ROLLBACK inside the file undoes or hands over part of it',
    ],
    [
      'BEGIN/COMMIT blocks in a file that must run outside a transaction',
      { '1_a.up.sql': 'CREATE INDEX CONCURRENTLY a_idx ON a (id);\nBEGIN;\nCREATE TABLE b (id int);\nCOMMIT;\n' },
      '1_a.up.sql:2: the file runs outside a transaction (CREATE INDEX CONCURRENTLY a_idx at line 1), so its own BEGIN/COMMIT blocks mean something',
    ],
    ['a psql meta-command', { '1_a.up.sql': '\\i other.sql\n' }, '1_a.up.sql:1: psql meta-command \\i'],
    ['COPY from stdin', { '1_a.up.sql': 'COPY a FROM stdin;\n1\n\\.\n' }, 'COPY ... FROM stdin needs psql'],
  ];
  for (const [what, files, message] of cases) {
    test(what, async ({ dir }) => {
      const src = await writeFiles(join(dir, 'src'), { '0_ok.up.sql': 'SELECT 1;', ...files });
      const root = join(dir, 'migrations');
      const error = await rejection(importFolder('golang-migrate', src, root));
      expect(error.exitCode).toBe(2);
      expect(error.message).toContain(message);
      expect(existsSync(root)).toBe(false);
    });
  }

  test('versions the folder already has are refused, and the folder is left as it was', async ({ dir }) => {
    const src = await writeFiles(join(dir, 'src'), { '1_a.up.sql': 'SELECT 1;', '2_b.up.sql': 'SELECT 2;' });
    const root = join(dir, 'migrations');
    await importFolder('golang-migrate', src, root);
    const before = await readdir(root);
    const sum = await readFile(join(root, 'migrate.sum'), 'utf8');
    const error = await rejection(importFolder('golang-migrate', src, root, { tenant: true }));
    expect(error.message).toContain('the migrations folder already has versions 00000000000001');
    expect(await readdir(root)).toEqual(before);
    expect(await readFile(join(root, 'migrate.sum'), 'utf8')).toBe(sum);
  });
});

describe('import on the command line', () => {
  test('--dry-run prints the plan and writes nothing', async ({ dir }) => {
    const src = await writeFiles(join(dir, 'src'), {
      '1_create-companies.up.sql': `BEGIN;\n${APP.companies}\nCOMMIT;\n`,
      '2_idx.up.sql': APP.index,
    });
    const root = join(dir, 'migrations');
    const r = await runCli(['import', 'golang-migrate', src, '--dry-run'], { cwd: dir, env: { MIGRATIONS_DIR: root } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Plan (dry run: nothing will be written), import from golang-migrate:');
    expect(r.stdout).toContain(
      '1_create-companies.up.sql -> 00000000000001_create-companies.up.sql (outer BEGIN/COMMIT removed)',
    );
    expect(r.stdout).toContain('2_idx.up.sql -> 00000000000002_idx.up.sql (no-transaction: CREATE INDEX CONCURRENTLY');
    expect(existsSync(root)).toBe(false);
  });

  test('an unknown tool and a missing source folder are usage errors', async ({ db, dir }) => {
    const bad = await runCli(['import', 'flyway', 'x'], { cwd: dir, env: envFor(db.url) });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      'error: Unknown tool "flyway"; fix: write `migrate-tool import <golang-migrate|atlas|dbmate|prisma|node-pg-migrate> SRC`',
    );
    const missing = await runCli(['import', 'dbmate', join(dir, 'nowhere')], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('does not exist');
  });
});
