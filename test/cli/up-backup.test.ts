// `up --backup` when nothing is pending: no dump is taken for a run that changes nothing, and a
// line says so (on stderr with --json, whose document stays alone on stdout).
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from '../support/fixtures';
import { envFor, runCli } from '../support/cli';
import { BASIC, createTenants, writeMigrations } from '../support/migrations';

const LINE = 'Nothing to migrate, so no backup was taken (--backup)';

describe('up --backup with nothing pending', () => {
  test('takes no backup and says so, in text and with --json', async ({ db, dir }) => {
    const backups = join(dir, 'backups');
    const env = { ...envFor(db.url), MIGRATIONS_DIR: await writeMigrations(dir, BASIC), BACKUP_DIR: backups };
    await createTenants(db, 'company_a');
    expect((await runCli(['up'], { env })).code).toBe(0);

    const text = await runCli(['up', '--backup'], { env });
    expect(text.code).toBe(0);
    expect(text.stdout.trim().split('\n')).toEqual([LINE, 'no change']);

    const json = await runCli(['up', '--backup', '--json'], { env });
    expect(json.code).toBe(0);
    expect(json.stderr).toContain(LINE);
    expect(JSON.parse(json.stdout)).toMatchObject({ applied: [], failed: [] });

    expect(existsSync(backups) ? await readdir(backups) : []).toEqual([]);
  });
});
