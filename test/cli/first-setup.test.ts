// A first production setup: global migrations applied, no tenant schema created yet. Tenant
// migrations are not "applied 0/0": nobody has them yet, and `version` says what a new schema gets.
import { describe, expect, test } from '../support/fixtures';
import { envFor, runCli } from '../support/cli';
import { BASIC, writeMigrations } from '../support/migrations';

describe('a first setup with no tenant schemas yet', () => {
  test('status shows tenant migrations as "no tenant schemas yet"; version names the version a new schema gets', async ({
    db,
    dir,
  }) => {
    const env = { ...envFor(db.url), MIGRATIONS_DIR: await writeMigrations(dir, BASIC) };
    expect((await runCli(['up'], { env })).code).toBe(0);
    const status = await runCli(['status'], { env });
    expect(status.stdout).toMatch(/20250101000100\s+employees\s+tenant\s+no tenant schemas yet\n/);
    expect(status.stdout).not.toContain('0/0');
    const version = await runCli(['version'], { env });
    expect(version.stdout.split('\n')).toEqual([
      '20250101000000',
      'dirty: false',
      'tenants: 0 matching company_%, 0 behind, 0 dirty',
      'a new tenant schema gets tenant migrations up to 20250101000200 from the next up (or migrateTenant)',
      '',
    ]);
  });
});
