// Progress is for people at a terminal: shown on a TTY, never in pipes, logs or --json output.
import { spawnSync } from 'node:child_process';
import { describe, expect, test } from '../support/fixtures';
import { BIN, envFor, runCli } from '../support/cli';
import { BASIC, createTenants, writeMigrations } from '../support/migrations';
import { notRun } from '../support/not-run';
import { scriptMissing } from '../support/terminal';

describe('fan-out progress', () => {
  test.skipIf(Boolean(scriptMissing))(notRun('is drawn on a terminal (a pseudo-terminal from `script`)', scriptMissing), async ({ db, dir }) => {
    const root = await writeMigrations(dir, BASIC);
    await createTenants(db, 'company_a', 'company_b', 'company_c');
    const env = { PATH: process.env.PATH ?? '', ...envFor(db.url), MIGRATIONS_DIR: root };
    const r = spawnSync('script', ['-qefc', `${process.execPath} ${BIN} up`, '/dev/null'], { env, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('\r\x1b[2K  tenant schemas: 3/3');
    expect(r.stdout).toContain('Migration complete!');
  });

  test('is not written into a pipe, nor with --json', async ({ db, dir }) => {
    const root = await writeMigrations(dir, BASIC);
    await createTenants(db, 'company_a', 'company_b', 'company_c');
    const env = { ...envFor(db.url), MIGRATIONS_DIR: root };
    const r = await runCli(['up'], { env });
    expect(r.code).toBe(0);
    expect(r.stderr + r.stdout).not.toContain('tenant schemas: ');
    await runCli(['down', '2'], { env });
    const json = await runCli(['up', '--json'], { env });
    expect(() => JSON.parse(json.stdout)).not.toThrow();
    expect(json.stderr).not.toContain('tenant schemas: ');
  });
});
