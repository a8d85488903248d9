// The single-file CLI that an application image copies (`COPY --from=<image> /app/migrate-tool`).
// An image made before the blocker check copied that file alone, without libpg-query.wasm beside it:
// `up` must still migrate there (the check is off, and a note says why and what to copy), and a
// backfill file, which cannot run without the parser, is refused before anything runs.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { buildSingleFile } from '../../scripts/single-file.js';
import { envFor, ROOT, runCli } from '../support/cli';
import { describe, expect, test } from '../support/fixtures';
import { createTenants, writeMigrations } from '../support/migrations';

const FILES = {
  'tenant/20250101000100_items.up.sql': 'CREATE TABLE items (id int PRIMARY KEY, c int);',
  'tenant/20250101000200_items_d.up.sql': 'ALTER TABLE items ADD COLUMN d int;',
};

describe('the single-file CLI without libpg-query.wasm beside it', () => {
  test('up migrates with the blocker check off and says what to copy; a backfill file is refused (exit 2)', async ({
    db,
    dir,
  }) => {
    const cli = join(dir, 'bin', 'migrate-tool');
    await buildSingleFile({ root: ROOT, outfile: relative(ROOT, cli) });
    expect(existsSync(join(dir, 'bin', 'libpg-query.wasm'))).toBe(true);
    rmSync(join(dir, 'bin', 'libpg-query.wasm'));
    const migrations = await writeMigrations(dir, FILES);
    await createTenants(db, 'company_a', 'company_b');
    const env = { ...process.env, ...envFor(db.url), MIGRATIONS_DIR: migrations };
    const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { env, encoding: 'utf8' });

    const first = run('up', '1');
    expect(first.status, first.stderr).toBe(0);
    const up = run('up');
    expect(up.status, up.stderr).toBe(0);
    expect(up.stderr).toContain("the blocker check is off: PostgreSQL's parser (libpg-query.wasm) could not be loaded");
    expect(up.stderr).toContain('COPY --from=<migrate-tool image> /app/libpg-query.wasm ./');
    const d = await db.query(`SELECT count(*)::int AS n FROM information_schema.columns WHERE column_name = 'd'`);
    expect(d.rows[0].n).toBe(2);

    writeFileSync(
      join(migrations, 'tenant', '20250101000300_fill.up.sql'),
      '-- migrate:backfill\nUPDATE items SET c = 1 WHERE c IS NULL;\n',
    );
    expect((await runCli(['hash'], { env })).code).toBe(0); // the packaged CLI, which has the parser
    const backfill = run('up');
    expect(backfill.status).toBe(2);
    expect(backfill.stderr).toMatch(/20250101000300_fill\.up\.sql: is a backfill, which needs PostgreSQL's parser/);
    const state = await db.query(
      `SELECT count(*)::int AS n FROM migrate_tool.migrations WHERE version = '20250101000300'`,
    );
    expect(state.rows[0].n).toBe(0);
  });
});
