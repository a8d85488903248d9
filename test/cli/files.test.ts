// Migration files the CLI refuses at load (exit 2, each file named, nothing touched), and the
// -- migrate:no-transaction marker where `create` leaves room for it.
import { appendFile, chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, test } from '../support/fixtures';
import { BIN, collect, envFor, ROOT, runCli } from '../support/cli';
import { BASIC, createTenants, writeMigrations } from '../support/migrations';
import type { TestDatabase } from '../support/db';
import { checksum } from '../../src/migrations/checksum';

async function stateSchemaExists(db: TestDatabase): Promise<boolean> {
  const r = await db.query<{ n: string | null }>("SELECT to_regnamespace('migrate_tool') AS n");
  return r.rows[0]!.n !== null;
}

describe('up refuses bad migration files before it touches the database', () => {
  test('CREATE EXTENSION in a tenant migration: exit 2, the file and line named, with the way out', async ({
    db,
    dir,
  }) => {
    const root = await writeMigrations(dir, BASIC);
    await addRecorded(
      root,
      'tenant/20250101000300_uuid.up.sql',
      'CREATE EXTENSION IF NOT EXISTS pgcrypto;\nALTER TABLE employees ADD COLUMN token uuid DEFAULT gen_random_uuid();\n',
    );
    await createTenants(db, 'company_a', 'company_b');
    const r = await runCli(['up'], { env: { ...envFor(db.url), MIGRATIONS_DIR: root } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('tenant/20250101000300_uuid.up.sql:1: CREATE EXTENSION in a tenant migration');
    expect(r.stderr).toContain('put it in a global migration');
    expect(await stateSchemaExists(db)).toBe(false);
    const ext = await db.query("SELECT 1 FROM pg_extension WHERE extname = 'pgcrypto'");
    expect(ext.rowCount).toBe(0);
  });

  test('symlinked, misnamed, stray and binary files: exit 2, every one named in one error', async ({ db, dir }) => {
    const root = await writeMigrations(dir, BASIC);
    await writeFile(join(dir, 'elsewhere.sql'), 'DROP TABLE companies;');
    await symlink(join(dir, 'elsewhere.sql'), join(root, '20250101000300_linked.up.sql'));
    await writeFile(join(root, '20250101000400_loud.UP.SQL'), 'SELECT 1;');
    await mkdir(join(root, 'drafts'));
    await writeFile(join(root, 'drafts/20250101000500_draft.up.sql'), 'SELECT 1;');
    await addRecorded(root, 'tenant/20250101000600_blob.up.sql', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x00]));
    const r = await runCli(['up'], { env: { ...envFor(db.url), MIGRATIONS_DIR: root } });
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    const error = lines.find((l) => l.startsWith('error: Invalid migration files'))!;
    for (const named of [
      '20250101000300_linked.up.sql: is a symbolic link',
      '20250101000400_loud.UP.SQL: name must be',
      'drafts/: holds .sql files that would never run',
      'tenant/20250101000600_blob.up.sql: is not text',
    ]) {
      expect(error).toContain(named);
    }
    expect(await stateSchemaExists(db)).toBe(false);
  });

  test('MIGRATIONS_DIR that is a file: exit 2, one line saying so', async ({ db, dir }) => {
    await writeFile(join(dir, 'migrations'), 'SELECT 1;');
    for (const args of [['up'], ['create', 'x']]) {
      const r = await runCli(args, { env: { ...envFor(db.url), MIGRATIONS_DIR: join(dir, 'migrations') } });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        `error: Migrations folder ${join(dir, 'migrations')} is not a folder; fix: point MIGRATIONS_DIR (or --dir) at the folder`,
      );
    }
  });

  test('MIGRATIONS_DIR that cannot be read: exit 2, one line saying so', async ({ db, dir }) => {
    const root = await writeMigrations(dir, BASIC);
    await chmod(root, 0o000);
    try {
      const r = await runWithoutRootOverride(['up'], { ...envFor(db.url), MIGRATIONS_DIR: root });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        `error: Migrations folder ${root} cannot be read (EACCES: permission denied); fix: let the user that runs migrate-tool read and enter it`,
      );
    } finally {
      await chmod(root, 0o755);
    }
  });
});

describe('-- migrate:no-transaction', () => {
  test('after the header that create writes, CREATE INDEX CONCURRENTLY runs in every tenant schema', async ({
    db,
    dir,
  }) => {
    const root = await writeMigrations(dir, BASIC);
    await createTenants(db, 'company_a', 'company_b');
    const env = { ...envFor(db.url), MIGRATIONS_DIR: root };
    const created = await runCli(['create', 'employees_name_idx', '--tenant'], { env });
    expect(created.code).toBe(0);
    const up = created.stdout.match(/Created (\S+\.up\.sql)/)![1]!;
    const down = up.replace(/\.up\.sql$/, '.down.sql');
    await appendFile(
      up,
      '-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY employees_name_idx ON employees (name);\n',
    );
    await appendFile(down, 'DROP INDEX employees_name_idx;\n');
    expect((await runCli(['hash'], { env })).code).toBe(0);
    const r = await runCli(['up'], { env });
    expect(r.stderr + r.stdout).not.toContain('cannot run inside a transaction block');
    expect(r.code).toBe(0);
    const idx = await db.query<{ schemaname: string }>(
      "SELECT schemaname FROM pg_indexes WHERE indexname = 'employees_name_idx' ORDER BY 1",
    );
    expect(idx.rows.map((x) => x.schemaname)).toEqual(['company_a', 'company_b']);
  });

  test('a .down.sql with CONCURRENTLY and no marker is refused by hash, up and lint, not found by the rollback', async ({
    db,
    dir,
  }) => {
    const root = await writeMigrations(dir, BASIC);
    await createTenants(db, 'company_a');
    const env = { ...envFor(db.url), MIGRATIONS_DIR: root };
    await writeFile(
      join(root, 'tenant/20250101000300_idx.up.sql'),
      '-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY employees_name_idx ON employees (name);\n',
    );
    await writeFile(join(root, 'tenant/20250101000300_idx.down.sql'), 'DROP INDEX CONCURRENTLY employees_name_idx;\n');
    for (const args of [['hash'], ['up'], ['lint']]) {
      const r = await runCli(args, { env });
      expect(r.code, args[0]).toBe(2);
      expect(r.stderr).toContain(
        'tenant/20250101000300_idx.down.sql:1: DROP INDEX CONCURRENTLY cannot run inside a transaction, and this file runs in one; put -- migrate:no-transaction at the top of the file',
      );
    }
    expect(await stateSchemaExists(db)).toBe(false);
  });
});

/** Writes a file and records it in migrate.sum, as a reviewed folder would have it. */
async function addRecorded(root: string, rel: string, content: string | Buffer): Promise<void> {
  await writeFile(join(root, rel), content);
  await appendFile(join(root, 'migrate.sum'), `${rel} ${checksum(content.toString())}\n`);
}

/**
 * Runs the CLI so that file modes bind it. Root passes every permission check, so as root it runs
 * without the capabilities that let it (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH): still root, as
 * the folder's owner, but held to the folder's mode like anyone else.
 */
function runWithoutRootOverride(args: string[], env: Record<string, string>) {
  const node = [process.execPath, BIN, ...args];
  const [cmd, ...rest] =
    process.getuid?.() === 0 ? ['setpriv', '--bounding-set=-dac_override,-dac_read_search', ...node] : node;
  const child = spawn(cmd!, rest, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: 'pipe',
  });
  return collect(child);
}
