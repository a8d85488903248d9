// The scratch database of `diff --from=migrations` is dropped whatever happens: success, a failing
// migration, Ctrl-C in the middle.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { withAdmin } from '../support/db';
import { collect, envFor, spawnCli } from '../support/cli';
import { writeMigrations } from '../support/migrations';
import { describe, expect, test } from '../support/fixtures';
import { cliWithLateServer } from '../support/late-server';
import { cli, SAMPLE_SCHEMA } from './support';

function scratchOf(pid: number): Promise<string[]> {
  return withAdmin(async (c) =>
    (
      await c.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [
        `migrate\\_tool\\_scratch\\_${pid}\\_%`,
      ])
    ).rows.map((r) => r.datname),
  );
}

async function until<T>(fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('scratch database', () => {
  test('a migration that fails in the scratch database is reported, nothing is written, the database is dropped', async ({
    db,
    dir,
  }) => {
    await writeMigrations(dir, {
      '20250101000000_init.up.sql': 'CREATE TABLE companies (id uuid PRIMARY KEY);\nSELECT no_such_function();',
      '20250101000000_init.down.sql': 'DROP TABLE companies;',
    });
    const child = spawnCli(['diff', 'x'], {
      cwd: dir,
      env: { ...envFor(db.url), PRISMA_SCHEMA: SAMPLE_SCHEMA, MIGRATIONS_DIR: join(dir, 'migrations') },
    });
    const r = await collect(child, { timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Applying the existing migrations to a scratch database failed');
    expect(r.stderr).toContain('20250101000000_init.up.sql:2');
    expect(await scratchOf(child.pid!)).toEqual([]);
    expect((await readdir(join(dir, 'migrations'))).filter((f) => f.endsWith('.sql'))).toHaveLength(2);
  });

  test('Ctrl-C while the migrations are applied stops the run and drops the scratch database', async ({ db, dir }) => {
    await writeMigrations(dir, {
      '20250101000000_slow.up.sql': 'SELECT pg_sleep(2);',
      '20250101000000_slow.down.sql': 'SELECT 1;',
    });
    const child = spawnCli(['diff', 'x'], {
      cwd: dir,
      env: { ...envFor(db.url), PRISMA_SCHEMA: SAMPLE_SCHEMA, MIGRATIONS_DIR: join(dir, 'migrations') },
    });
    const done = collect(child, { timeoutMs: 60_000 });
    const [name] = await until(async () => ((await scratchOf(child.pid!)).length ? scratchOf(child.pid!) : undefined));
    expect(name).toMatch(/^migrate_tool_scratch_/);
    child.kill('SIGINT');
    const r = await done;
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Interrupted');
    expect(await scratchOf(child.pid!)).toEqual([]);
    expect((await readdir(join(dir, 'migrations'))).filter((f) => f.endsWith('.sql'))).toHaveLength(2);
  });

  test('a successful diff leaves no scratch database behind', async ({ db, dir }) => {
    const child = spawnCli(['diff', 'x', '--dry-run'], {
      cwd: dir,
      env: { ...envFor(db.url), PRISMA_SCHEMA: SAMPLE_SCHEMA, MIGRATIONS_DIR: join(dir, 'migrations') },
    });
    const r = await collect(child, { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Created table: companies');
    expect(await scratchOf(child.pid!)).toEqual([]);
  });
});

test('the target database is announced and untouched by diff --from=migrations', async ({ db, dir }) => {
  const r = await cli(['diff', 'x', '--dry-run'], { url: db.url, dir });
  expect(r.stderr).toContain(`Target database: ${db.name}`);
  const { rows } = await db.query(
    `SELECT count(*)::int AS n FROM pg_namespace WHERE nspname IN ('tenant', 'migrate_tool')`,
  );
  expect(rows[0].n).toBe(0);
});

test('--wait retries until the server accepts, before the scratch database is created', async ({ db, dir }) => {
  const r = await cliWithLateServer(['diff', 'x', '--dry-run', '--wait=20'], {
    url: db.url,
    dir,
    env: { PRISMA_SCHEMA: SAMPLE_SCHEMA, MIGRATIONS_DIR: join(dir, 'migrations') },
  });
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toContain('Waiting for the database: Connection refused');
  expect(r.stdout).toContain('Created table: companies');
});
