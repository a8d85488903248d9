// `up --tenant-spares N` / TENANT_SPARES from the operator's side: what it prints, its --json
// (checked against docs/schema/up.schema.json), bad values refused before connecting, and spare
// schemas never shown as tenants.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, test } from '../support/fixtures';
import { envFor, ROOT, runCli } from '../support/cli';
import { BASIC, createTenants, writeMigrations } from '../support/migrations';

const validUp = new Ajv({ allErrors: true, strict: true }).compile(
  JSON.parse(readFileSync(join(ROOT, 'docs/schema/up.schema.json'), 'utf8')),
);

describe('up --tenant-spares', () => {
  test('builds them once, says so, and leaves `no change` alone when nothing changed', async ({ db, dir }) => {
    const env = { ...envFor(db.url), MIGRATIONS_DIR: await writeMigrations(dir, BASIC) };
    await createTenants(db, 'company_a');
    const first = await runCli(['up', '--tenant-spares', '2'], { env });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('Tenant spares: 2 ready (2 built, 0 dropped)');

    // The same number from the environment: nothing to build, nothing said.
    const again = await runCli(['up'], { env: { ...env, TENANT_SPARES: '2' } });
    expect(again.stdout.trim()).toBe('no change');
    expect(again.stderr).not.toContain('spares');

    const json = await runCli(['up', '--json', '--tenant-spares', '3'], { env });
    const doc = JSON.parse(json.stdout);
    expect(validUp(doc), JSON.stringify(validUp.errors)).toBe(true);
    expect(doc.spares).toEqual({ ready: 3, built: 1, dropped: 0 });

    // Never listed as tenants.
    const tenants = await runCli(['tenants'], { env });
    expect(tenants.stdout).not.toContain('migrate_tool_spare_');
    expect(tenants.stdout).toContain('company_a');

    // Unset, they go.
    const off = await runCli(['up'], { env });
    expect(off.stdout).toContain('Tenant spares: 0 ready (0 built, 3 dropped)');
    expect(
      (await db.query(`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname LIKE 'migrate\\_tool\\_spare\\_%'`))
        .rows[0].n,
    ).toBe(0);
  });

  test('a history that cannot be kept as spares warns and still succeeds', async ({ db, dir }) => {
    const env = {
      ...envFor(db.url),
      MIGRATIONS_DIR: await writeMigrations(dir, {
        ...BASIC,
        'tenant/20250101000300_roles.up.sql': `CREATE TABLE roles (name text PRIMARY KEY); INSERT INTO roles VALUES ('owner');`,
        'tenant/20250101000300_roles.down.sql': 'DROP TABLE roles;',
      }),
    };
    const r = await runCli(['up', '--tenant-spares', '1'], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: tenant spares not built: its tenant migrations write rows \(into roles\)/);
  });

  test.each([
    [['up', '--tenant-spares', 'two'], {}, /--tenant-spares must be a whole number from 0 to 100 \(got "two"\)/],
    [['up', '--tenant-spares', '101'], {}, /--tenant-spares must be a whole number from 0 to 100/],
    [['up'], { TENANT_SPARES: '-1' }, /TENANT_SPARES must be a whole number from 0 to 100/],
  ])('%j %j is refused before connecting', async (args, extra, message) => {
    // Port 1: nothing listens, so a refusal that came after connecting would fail differently.
    const r = await runCli(args, {
      env: { POSTGRES_HOST: '127.0.0.1', POSTGRES_PORT: '1', POSTGRES_USER: 'x', POSTGRES_DB_PROD: 'x', ...extra },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
