import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from '../support/fixtures';
import { loadMigrations } from '../../src/migrations/files';
import { checksum, verifySum } from '../../src/migrations/checksum';
import { createMigration, rewriteSum } from '../../src/migrations/create';
import { BASIC, writeMigrations, type Files } from '../support/migrations';
import { rejection } from '../support/errors';

describe('loading a migrations folder', () => {
  test('orders global and tenant migrations on one timeline', async ({ dir }) => {
    const root = await writeMigrations(dir, BASIC);
    const folder = await loadMigrations(root);
    expect(folder.migrations.map((m) => [m.version, m.scope])).toEqual([
      ['20250101000000', 'global'],
      ['20250101000100', 'tenant'],
      ['20250101000200', 'tenant'],
    ]);
  });

  test('accepts names with - and capitals, as other tools write them', async ({ dir }) => {
    const root = await writeMigrations(dir, {
      '20250101000000_Add-Users.up.sql': 'SELECT 1;',
      'tenant/20250101000100_v1.2_fix.up.sql': 'SELECT 1;',
    });
    const folder = await loadMigrations(root);
    expect(folder.migrations.map((m) => m.name)).toEqual(['Add-Users', 'v1.2_fix']);
  });

  for (const name of ['add users', 'add:users', 'a<b', 'a|b', 'what?', 'a*', 'trailing.', '-lead']) {
    test(`refuses the name ${JSON.stringify(name)}, which is not a file on every platform`, async ({ dir }) => {
      const root = await writeMigrations(dir, { [`20250101000000_${name}.up.sql`]: 'SELECT 1;' }, { sum: false });
      const error = await rejection(loadMigrations(root));
      expect(error.message).toContain(`20250101000000_${name}.up.sql: name must be`);
    });
  }

  const bad: Array<[string, Files, string]> = [
    ['a malformed name', { '2025_init.up.sql': 'SELECT 1;' }, '2025_init.up.sql: name must be'],
    [
      'a .down.sql with no .up.sql',
      { '20250101000000_init.down.sql': 'SELECT 1;' },
      '20250101000000_init.down.sql: has no matching .up.sql',
    ],
    [
      'a duplicate version across folders',
      { '20250101000000_a.up.sql': 'SELECT 1;', 'tenant/20250101000000_b.up.sql': 'SELECT 1;' },
      'version 20250101000000 is already used by',
    ],
    ['an empty up file', { '20250101000000_init.up.sql': '-- nothing yet\n' }, '20250101000000_init.up.sql: is empty'],
    [
      'a COMMIT in a file that runs in its own transaction',
      {
        '20250101000000_init.up.sql': 'BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\n',
        '20250101000000_init.down.sql': 'DROP TABLE a;\nEND;\n',
      },
      '20250101000000_init.up.sql:1: BEGIN: the file already runs in a transaction of its own',
    ],
  ];
  test.for(bad)('rejects %s and names the file', async ([, files, message], { dir }) => {
    const root = await writeMigrations(dir, files, { sum: false });
    await expect(loadMigrations(root)).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining(message),
    });
  });

  test('leaves BEGIN/COMMIT to a -- migrate:no-transaction file, and savepoints to any file', async ({ dir }) => {
    const root = await writeMigrations(
      dir,
      {
        '20250101000000_own_tx.up.sql': '-- migrate:no-transaction\nBEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\n',
        '20250101000100_savepoint.up.sql':
          'SAVEPOINT s;\nCREATE TABLE b (id int);\nROLLBACK TO SAVEPOINT s;\nRELEASE s;\n',
      },
      { sum: false },
    );
    await expect(loadMigrations(root)).resolves.toMatchObject({
      migrations: [{ version: '20250101000000' }, { version: '20250101000100' }],
    });
  });

  test('names every bad file at once', async ({ dir }) => {
    const root = await writeMigrations(
      dir,
      { 'x.up.sql': 'SELECT 1', '20250101000000_a.down.sql': 'SELECT 1' },
      { sum: false },
    );
    const error = await rejection(loadMigrations(root));
    expect(error.message).toContain('x.up.sql');
    expect(error.message).toContain('20250101000000_a.down.sql');
  });

  test('a missing folder is a usage error that says what to set', async ({ dir }) => {
    await expect(loadMigrations(join(dir, 'nope'))).rejects.toMatchObject({
      exitCode: 2,
      advice: expect.stringContaining('migrationsDir'),
    });
  });
});

describe('what loading refuses in the files themselves', () => {
  test('refuses CREATE EXTENSION in a tenant migration, with the line and the way out', async ({ dir }) => {
    const root = await writeMigrations(
      dir,
      {
        ...BASIC,
        'tenant/20250101000300_uuid.up.sql':
          '-- ids\nCREATE TABLE tokens (id int);\nCREATE /* why not */ EXTENSION IF NOT EXISTS pgcrypto;\n',
        'tenant/20250101000300_uuid.down.sql': 'DROP TABLE tokens;\nDROP EXTENSION pgcrypto;\n',
      },
      { sum: false },
    );
    const error = await rejection(loadMigrations(root));
    expect(error).toMatchObject({ exitCode: 2, code: 'BAD_MIGRATION_FILES' });
    expect(error.message).toContain('tenant/20250101000300_uuid.up.sql:3: CREATE EXTENSION in a tenant migration');
    expect(error.message).toContain('tenant/20250101000300_uuid.down.sql:2: DROP EXTENSION in a tenant migration');
    expect(error.message).toContain('put it in a global migration');
    expect(error.message).toContain('public.gen_random_uuid()');
  });

  test('leaves CREATE EXTENSION to global migrations, and the words in tenant strings and comments alone', async ({
    dir,
  }) => {
    const root = await writeMigrations(
      dir,
      {
        ...BASIC,
        '20250101000300_pgcrypto.up.sql': 'CREATE EXTENSION IF NOT EXISTS pgcrypto SCHEMA public;',
        'tenant/20250101000400_note.up.sql':
          "-- CREATE EXTENSION is global\nCREATE TABLE notes (body text DEFAULT 'create extension x;');\n",
      },
      { sum: false },
    );
    const folder = await loadMigrations(root);
    expect(folder.migrations.map((m) => m.version)).toContain('20250101000400');
  });

  test('reads -- migrate:no-transaction after the header comments that create writes', async ({ dir }) => {
    const root = await writeMigrations(dir, BASIC);
    const body = {
      up: '\n-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY employees_name_idx ON employees (name);\n',
      down: 'DROP INDEX employees_name_idx;\n',
    };
    await createMigration(root, 'employees_name_idx', { tenant: true, now: new Date('2026-01-02T03:04:05Z'), body });
    const folder = await loadMigrations(root);
    const created = folder.migrations.find((m) => m.name === 'employees_name_idx')!;
    expect(created.up.text.startsWith('-- 20260102030405_employees_name_idx (tenant)')).toBe(true);
    expect(created.up.noTransaction).toBe(true);
    expect(created.down?.noTransaction).toBe(false);
  });

  test('refuses -- migrate:no-transaction after SQL, naming the line', async ({ dir }) => {
    const root = await writeMigrations(
      dir,
      {
        'tenant/20250101000100_idx.up.sql':
          '-- an index\nCREATE TABLE t (a int);\n-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY t_a ON t (a);\n',
      },
      { sum: false },
    );
    const error = await rejection(loadMigrations(root));
    expect(error.message).toContain(
      'tenant/20250101000100_idx.up.sql:3: -- migrate:no-transaction after SQL is not read',
    );
    expect(error.message).toContain('move it to the top of the file');
  });

  test('refuses CONCURRENTLY in a file without -- migrate:no-transaction, a .down.sql as much as an .up.sql', async ({
    dir,
  }) => {
    const root = await writeMigrations(
      dir,
      {
        'tenant/20250101000100_idx.up.sql': '-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY t_a ON t (a);\n',
        'tenant/20250101000100_idx.down.sql': '-- undo\nDROP INDEX CONCURRENTLY IF EXISTS t_a;\n',
        'tenant/20250101000200_uniq.up.sql':
          'CREATE TABLE u (a int);\n\ncreate  unique index\n  concurrently u_a ON u (a);\n',
        'tenant/20250101000200_uniq.down.sql': 'DROP TABLE u;\n',
        '20250101000300_parts.up.sql':
          'REINDEX (VERBOSE) TABLE CONCURRENTLY companies;\nALTER TABLE m DETACH PARTITION "m_2024" CONCURRENTLY;\n',
        // Neither of these is refused by PostgreSQL in a transaction.
        '20250101000400_fine.up.sql':
          "REFRESH MATERIALIZED VIEW CONCURRENTLY totals;\nCOMMENT ON TABLE companies IS 'indexed CONCURRENTLY';\n",
      },
      { sum: false },
    );
    const error = await rejection(loadMigrations(root));
    expect(error).toMatchObject({ exitCode: 2, code: 'BAD_MIGRATION_FILES' });
    // Global files are listed first.
    const problems = error.message
      .replace(/^Invalid migration files: /, '')
      .split('; put -- migrate:no-transaction at the top of the file');
    expect(problems.filter(Boolean).map((p) => p.replace(/^; /, ''))).toEqual([
      '20250101000300_parts.up.sql:1: REINDEX (VERBOSE) TABLE CONCURRENTLY cannot run inside a transaction, and this file runs in one',
      '20250101000300_parts.up.sql:2: ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY cannot run inside a transaction, and this file runs in one',
      'tenant/20250101000100_idx.down.sql:2: DROP INDEX CONCURRENTLY cannot run inside a transaction, and this file runs in one',
      'tenant/20250101000200_uniq.up.sql:3: CREATE UNIQUE INDEX CONCURRENTLY cannot run inside a transaction, and this file runs in one',
    ]);
  });

  test('refuses binary and non-UTF-8 files instead of sending them to the server', async ({ dir }) => {
    const root = await writeMigrations(dir, BASIC, { sum: false });
    await writeFile(
      join(root, '20250101000300_latin1.up.sql'),
      Buffer.from("INSERT INTO companies (name) VALUES ('Caf\xe9');", 'latin1'),
    );
    await writeFile(
      join(root, 'tenant/20250101000400_utf16.up.sql'),
      Buffer.from('\ufeffCREATE TABLE x (id int);', 'utf16le'),
    );
    await writeFile(join(root, '20250101000500_blob.up.sql'), Buffer.from([0x53, 0x45, 0x4c, 0x00, 0x01, 0xff, 0x3b]));
    const error = await rejection(loadMigrations(root));
    expect(error).toMatchObject({ exitCode: 2, code: 'BAD_MIGRATION_FILES' });
    expect(error.message).toContain('20250101000300_latin1.up.sql: is not valid UTF-8');
    expect(error.message).toContain('tenant/20250101000400_utf16.up.sql: is not text');
    expect(error.message).toContain('20250101000500_blob.up.sql: is not text');
  });
});

describe('what loading refuses in the folder', () => {
  test('refuses .sql files it would otherwise skip, naming each and why', async ({ dir }) => {
    const root = await writeMigrations(dir, BASIC, { sum: false });
    await writeFile(join(root, '20250101000300_shout.UP.SQL'), 'SELECT 1;');
    await writeFile(join(root, 'tenant/20250101000400_mixed.Up.Sql'), 'SELECT 1;');
    await mkdir(join(root, 'old'));
    await writeFile(join(root, 'old/20240101000000_legacy.up.sql'), 'SELECT 1;');
    await mkdir(join(root, 'tenant/archive'));
    await writeFile(join(root, 'tenant/archive/20240101000100_legacy.up.sql'), 'SELECT 1;');
    await writeFile(join(dir, 'outside.sql'), 'DROP TABLE companies;');
    await symlink(join(dir, 'outside.sql'), join(root, '20250101000500_linked.up.sql'));
    const error = await rejection(loadMigrations(root));
    expect(error).toMatchObject({ exitCode: 2, code: 'BAD_MIGRATION_FILES' });
    expect(error.message).toContain('20250101000300_shout.UP.SQL: name must be');
    expect(error.message).toContain('tenant/20250101000400_mixed.Up.Sql: name must be');
    expect(error.message).toContain('old/: holds .sql files that would never run (old/20240101000000_legacy.up.sql)');
    expect(error.message).toContain(
      'tenant/archive/: holds .sql files that would never run (tenant/archive/20240101000100_legacy.up.sql)',
    );
    expect(error.message).toContain('20250101000500_linked.up.sql: is a symbolic link');
  });

  test('leaves what operators keep beside migrations alone', async ({ dir }) => {
    const root = await writeMigrations(dir, {
      ...BASIC,
      'README.md': '# migrations',
      '.gitkeep': '',
      'tenant/.gitkeep': '',
      'notes/plan.txt': 'later',
      '.hidden/scratch.sql': 'SELECT 1;',
    });
    await symlink(join(root, 'README.md'), join(root, 'LINK.md'));
    const folder = await loadMigrations(root);
    expect(folder.checksums.size).toBe(6);
  });

  test('a tenant entry that is not a folder is refused', async ({ dir }) => {
    const root = await writeMigrations(dir, { '20250101000000_init.up.sql': 'SELECT 1;' }, { sum: false });
    await rm(join(root, 'tenant'), { recursive: true });
    await writeFile(join(root, 'tenant'), 'not a folder');
    await expect(loadMigrations(root)).rejects.toThrow('tenant: is not a folder');
  });

  test('a migrations folder that is a file is a usage error that says so', async ({ dir }) => {
    await writeFile(join(dir, 'migrations'), 'SELECT 1;');
    await expect(loadMigrations(join(dir, 'migrations'))).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining('is not a folder'),
      advice: expect.stringContaining('migrationsDir'),
    });
  });
});

describe('a large file', () => {
  test('loads a 100,000-statement file whole, each statement on its own line', async ({ dir }) => {
    const n = 100_000;
    const sql = Array.from(
      { length: n },
      (_, i) => `INSERT INTO t (id, name) VALUES (${i}, 'row ${i}; still row ${i}');`,
    ).join('\n');
    const root = await writeMigrations(
      dir,
      { '20250101000000_t.up.sql': `-- bulk\nCREATE TABLE t (id int, name text);\n${sql}\n` },
      { sum: false },
    );
    const [m] = (await loadMigrations(root)).migrations;
    expect(m!.up.statements).toHaveLength(n + 1);
    expect(m!.up.statements.at(-1)).toMatchObject({
      line: n + 2,
      text: `INSERT INTO t (id, name) VALUES (${n - 1}, 'row ${n - 1}; still row ${n - 1}')`,
    });
  }, 120_000);
});

describe('migrate.sum', () => {
  test('checksums ignore line endings', () => {
    expect(checksum('SELECT 1;\r\nSELECT 2;\r\n')).toBe(checksum('SELECT 1;\nSELECT 2;\n'));
    expect(checksum('SELECT 1;')).not.toBe(checksum('SELECT 2;'));
  });

  test('accepts the folder it was written from', async ({ dir }) => {
    const root = await writeMigrations(dir, BASIC);
    const folder = await loadMigrations(root);
    await expect(verifySum(root, folder.checksums)).resolves.toBeUndefined();
  });

  test('refuses an added, a changed and a removed file, naming each', async ({ dir }) => {
    const root = await writeMigrations(dir, BASIC);
    await writeFile(join(root, '20250101000300_other_branch.up.sql'), 'SELECT 1;');
    await writeFile(join(root, 'tenant/20250101000100_employees.up.sql'), 'CREATE TABLE employees (id int);');
    const sum = await readFile(join(root, 'migrate.sum'), 'utf8');
    await writeFile(join(root, 'migrate.sum'), `${sum}gone.up.sql sha256:${'0'.repeat(64)}\n`);
    const folder = await loadMigrations(root);
    const error = await rejection(verifySum(root, folder.checksums));
    expect(error).toMatchObject({ exitCode: 2, code: 'SUM_MISMATCH' });
    expect(error.message).toContain('20250101000300_other_branch.up.sql is not in migrate.sum');
    expect(error.message).toContain('tenant/20250101000100_employees.up.sql has changed');
    expect(error.message).toContain('gone.up.sql is in migrate.sum but missing');
  });

  test('a folder with CRLF files still matches a sum written from LF files', async ({ dir }) => {
    const root = await writeMigrations(dir, BASIC);
    const file = join(root, '20250101000000_init.up.sql');
    await writeFile(file, (await readFile(file, 'utf8')).replace(/\n/g, '\r\n'));
    const folder = await loadMigrations(root);
    await expect(verifySum(root, folder.checksums)).resolves.toBeUndefined();
  });
});

describe('create', () => {
  test('writes a pair named with the UTC time and adds only it to migrate.sum', async ({ dir }) => {
    const root = await writeMigrations(dir, BASIC);
    // An unrelated edit must stay detectable after create: create does not bless it.
    await writeFile(join(root, '20250101000000_init.down.sql'), 'DROP TABLE companies CASCADE;');
    const created = await createMigration(root, 'add_bio', { tenant: true, now: new Date('2026-01-02T03:04:05Z') });
    expect(created.version).toBe('20260102030405');
    expect(created.up).toBe(join(root, 'tenant', '20260102030405_add_bio.up.sql'));
    const sum = await readFile(join(root, 'migrate.sum'), 'utf8');
    expect(sum).toContain('tenant/20260102030405_add_bio.up.sql sha256:');
    const folder = await loadMigrations(root, { allowEmpty: true });
    await expect(verifySum(root, folder.checksums)).rejects.toThrow('20250101000000_init.down.sql has changed');
  });

  test('never reuses a version or goes behind the newest one', async ({ dir }) => {
    const root = await writeMigrations(dir, BASIC);
    const a = await createMigration(root, 'a', { now: new Date('2024-01-01T00:00:00Z') });
    const b = await createMigration(root, 'b', { now: new Date('2024-01-01T00:00:00Z') });
    expect(a.version > '20250101000200').toBe(true);
    expect(b.version > a.version).toBe(true);
  });

  test('a hand-written version that names no real time still gets a later one', async ({ dir }) => {
    const root = await writeMigrations(dir, { ...BASIC, '90000000000000_far.up.sql': 'SELECT 1;' });
    const c = await createMigration(root, 'c');
    expect(c.version).toBe('90000000000001');
  });

  test('rejects a name that is not lowercase words', async ({ dir }) => {
    await expect(createMigration(dir, 'Add Bio')).rejects.toMatchObject({ exitCode: 2, code: 'BAD_NAME' });
  });

  test("writers of migrate.sum at the same time do not trip over each other's temporary file", async ({ dir }) => {
    const root = await writeMigrations(dir, BASIC);
    await expect(Promise.all(Array.from({ length: 8 }, () => rewriteSum(root)))).resolves.toHaveLength(8);
    const folder = await loadMigrations(root);
    await expect(verifySum(root, folder.checksums)).resolves.toBeUndefined();
  });

  test('hash rewrites migrate.sum so the folder verifies again', async ({ dir }) => {
    const root = await writeMigrations(dir, BASIC);
    await writeFile(join(root, '20250101000500_more.up.sql'), 'SELECT 1;');
    const r = await rewriteSum(root);
    expect(r.files).toBe(7);
    const folder = await loadMigrations(root);
    await expect(verifySum(root, folder.checksums)).resolves.toBeUndefined();
  });
});
