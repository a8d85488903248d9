// .env as the process reads it: a line that is not blank, a comment or KEY=value stops the run
// (exit 2, naming the line) before anything is configured or touched.
import { writeFile } from 'node:fs/promises';
import { describe, expect, test } from '../support/fixtures';
import { envFor, runCli } from '../support/cli';
import { BASIC, writeMigrations } from '../support/migrations';

const lines = (env: Record<string, string>) => Object.entries(env).map(([k, v]) => `${k}=${v}`);

async function appliedVersions(db: { query(sql: string): Promise<{ rows: Array<{ n: string }> }> }): Promise<number> {
  const r = await db.query(`SELECT count(*) AS n FROM migrate_tool.migrations`);
  return Number(r.rows[0]!.n);
}

describe('.env lines that cannot be read', () => {
  test('a line without "=" before APP_ENV=prod stops `down`, which would otherwise have run as dev', async ({
    db,
    dir,
  }) => {
    const env = envFor(db.url);
    await writeMigrations(dir, BASIC);
    expect((await runCli(['up'], { cwd: dir, env })).code).toBe(0);
    const before = await appliedVersions(db);

    await writeFile(`${dir}/.env`, [...lines(env), 'POSTGRES_SSLMODE disable', 'APP_ENV=prod', ''].join('\n'));
    const r = await runCli(['down'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringContaining(`.env line ${Object.keys(env).length + 1} is not KEY=value`),
    ]);
    expect(r.stderr).toContain('(it starts with POSTGRES_SSLMODE)');
    expect(await appliedVersions(db)).toBe(before);

    // Without the stray line the same `down` reads APP_ENV=prod and is refused for want of --yes.
    await writeFile(`${dir}/.env`, [...lines(env), 'APP_ENV=prod', ''].join('\n'));
    const refused = await runCli(['down'], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('(env: prod)');
    expect(await appliedVersions(db)).toBe(before);
  });

  test('a binary .env is refused instead of losing the POSTGRES_PORT line after its first bytes', async ({
    db,
    dir,
  }) => {
    const { POSTGRES_PORT, ...env } = envFor(db.url);
    await writeMigrations(dir, BASIC);
    const binary = Buffer.concat([
      Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00]),
      Buffer.from(`\nPOSTGRES_PORT=${POSTGRES_PORT}\n`),
    ]);
    await writeFile(`${dir}/.env`, binary);
    const r = await runCli(['up'], { cwd: dir, env });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringContaining('.env is not UTF-8 text')]);
    expect(r.stderr).not.toContain('Target database');
    const state = await db.query(`SELECT to_regnamespace('migrate_tool') AS s`);
    expect(state.rows[0].s).toBeNull();
  });
});
