// `diff` end to end: the real CLI, Prisma's real engine, a real PostgreSQL and its scratch databases.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTenants } from '../support/migrations';
import { describe, expect, test } from '../support/fixtures';
import { addToModel, cli, sampleMigrations, schemaCopy } from './support';

async function files(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).filter((f) => f.endsWith('.sql')).sort();
}

describe('diff --from=migrations', () => {
  test('generating from an empty folder reproduces the schema that Prisma declares', async ({ db, dir }) => {
    const first = await cli(['diff', 'init'], { url: db.url, dir });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('Created table: companies');
    expect(first.stdout).toContain('Created table: appointments');
    const written = await files(join(dir, 'migrations'));
    expect(written).toHaveLength(4);
    expect(written.filter((f) => f.startsWith('tenant/'))).toHaveLength(2);

    const tenantUp = await readFile(
      join(
        dir,
        'migrations',
        written.find((f) => f.startsWith('tenant/') && f.endsWith('.up.sql'))!,
      ),
      'utf8',
    );
    expect(tenantUp).toContain('CREATE TABLE "employees"');
    expect(tenantUp).not.toMatch(/"tenant"\./);
    expect(tenantUp).not.toMatch(/DO \$\$/);
    const tenantDown = await readFile(
      join(
        dir,
        'migrations',
        written.find((f) => f.startsWith('tenant/') && f.endsWith('.down.sql'))!,
      ),
      'utf8',
    );
    expect(tenantDown).toContain('DROP TABLE "employees"');
    expect(tenantDown).not.toMatch(/"tenant"\./);

    // Applied to a database with two companies, then compared again: nothing left to do.
    await createTenants(db, 'company_a', 'company_b');
    const up = await cli(['up'], { url: db.url, dir });
    expect(up.code, up.stderr).toBe(0);
    const again = await cli(['diff', 'again'], { url: db.url, dir });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.trim()).toBe('no changes');
    expect(await files(join(dir, 'migrations'))).toEqual(written);
    const live = await cli(['diff', 'again', '--from=database'], { url: db.url, dir });
    expect(live.stdout.trim()).toBe('no changes');
    const { rows } = await db.query(
      `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'company_b'`,
    );
    expect(rows[0].n).toBe(4);
  });

  test("the sample's own migrations, applied, diff to no changes against schema.prisma", async ({ db, dir }) => {
    await sampleMigrations(dir);
    const r = await cli(['diff', 'check'], { url: db.url, dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('no changes');
  });

  test('adding a field to a tenant model generates a tenant pair that adds it and drops it again', async ({
    db,
    dir,
  }) => {
    const migrations = await sampleMigrations(dir);
    const schema = await schemaCopy(dir, (t) => addToModel(t, 'Employee', '  bio String?'));
    const before = await files(migrations);
    const r = await cli(['diff', 'add_employee_bio'], { url: db.url, dir, schema });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Tenant changes');
    expect(r.stdout).toContain('Added column: bio (TEXT) in employees');
    expect(r.stdout).not.toContain('Global changes');

    const added = (await files(migrations)).filter((f) => !before.includes(f));
    expect(added).toHaveLength(2);
    expect(added.every((f) => /^tenant\/\d{14}_add_employee_bio\.(up|down)\.sql$/.test(f))).toBe(true);
    const up = await readFile(
      join(
        migrations,
        added.find((f) => f.endsWith('.up.sql'))!,
      ),
      'utf8',
    );
    const down = await readFile(
      join(
        migrations,
        added.find((f) => f.endsWith('.down.sql'))!,
      ),
      'utf8',
    );
    expect(up).toMatch(/ALTER TABLE "employees" ADD COLUMN\s+"bio" TEXT;/);
    expect(down).toMatch(/ALTER TABLE "employees" DROP COLUMN "bio";/);
    const sum = await readFile(join(migrations, 'migrate.sum'), 'utf8');
    for (const f of added) expect(sum).toContain(f);
  });

  test('-models keeps only the named models, in both invocation styles', async ({ db, dir }) => {
    await sampleMigrations(dir);
    const schema = await schemaCopy(dir, (t) =>
      addToModel(addToModel(t, 'Employee', '  bio String?'), 'Role', '  level Int @default(0)'),
    );
    const tenantOnly = await cli(['diff', 'bio', '-models=Employee', '--dry-run'], { url: db.url, dir, schema });
    expect(tenantOnly.code, tenantOnly.stderr).toBe(0);
    expect(tenantOnly.stdout).toContain('Added column: bio');
    expect(tenantOnly.stdout).not.toContain('level');

    const globalOnly = await cli(['-action=diff', '-name=role_level', '-models=Role'], { url: db.url, dir, schema });
    expect(globalOnly.code, globalOnly.stderr).toBe(0);
    expect(globalOnly.stdout).toContain('Added column: level (INTEGER, required, with a default) in roles');
    expect(globalOnly.stdout).not.toContain('bio');
    const written = (await files(join(dir, 'migrations'))).filter((f) => f.includes('role_level'));
    expect(written).toEqual([
      expect.stringMatching(/^\d{14}_role_level\.down\.sql$/),
      expect.stringMatching(/^\d{14}_role_level\.up\.sql$/),
    ]);
  });

  test('an unknown -models name exits 2 and lists the known models', async ({ db, dir }) => {
    const r = await cli(['diff', 'x', '-models=Employee,Invoice'], { url: db.url, dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Unknown model in -models: Invoice');
    expect(r.stderr).toMatch(/known models: Company, Role, .*Appointment/);
  });

  test("a broken Prisma schema exits 2 with Prisma's message, file and line", async ({ db, dir }) => {
    const schema = await schemaCopy(dir, (t) =>
      t.replace('  slug      String   @unique', '  slug      Strng    @unique'),
    );
    const r = await cli(['diff', 'x'], { url: db.url, dir, schema });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Type "Strng" is neither a built-in type');
    expect(r.stderr).toMatch(/schema\.prisma:\d+/);
    expect(await files(dir)).toEqual([]);
  });

  test('no differences print "no changes", write nothing and exit 0, also with --json', async ({ db, dir }) => {
    const migrations = await sampleMigrations(dir);
    const sumBefore = await readFile(join(migrations, 'migrate.sum'), 'utf8');
    const r = await cli(['diff', 'nothing', '--json'], { url: db.url, dir });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ changes: [], written: [] });
    expect(await readFile(join(migrations, 'migrate.sum'), 'utf8')).toBe(sumBefore);
  });

  test('lints what it generates and prints the findings', async ({ db, dir }) => {
    await sampleMigrations(dir);
    const schema = await schemaCopy(dir, (t) => addToModel(t, 'Service', '  category String\n  @@index([name])'));
    const r = await cli(['diff', 'service_category'], { url: db.url, dir, schema });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/tenant\/\d{14}_service_category\.up\.sql:\d+:\d+: error adding-required-field/);
    expect(r.stdout).toMatch(/error require-concurrent-index-creation/);
  });
});

describe('diff --from=database', () => {
  test('compares with the live database and names the tenant schema it used', async ({ db, dir }) => {
    await sampleMigrations(dir);
    await createTenants(db, 'company_abc123', 'company_def456');
    expect((await cli(['up'], { url: db.url, dir })).code).toBe(0);
    // A change made by hand in the live database, that no migration knows about.
    await db.query('ALTER TABLE company_abc123.services ADD COLUMN legacy_code text');
    const r = await cli(['diff', 'drop_legacy_code', '--from=database'], { url: db.url, dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("Using schema 'company_abc123' for comparison");
    expect(r.stdout).toContain('Dropped column: legacy_code in services (data loss)');
    const written = (await files(join(dir, 'migrations'))).filter((f) => f.includes('drop_legacy_code'));
    expect(written).toHaveLength(2);
    const up = await readFile(
      join(
        dir,
        'migrations',
        written.find((f) => f.endsWith('.up.sql'))!,
      ),
      'utf8',
    );
    expect(up).toMatch(/ALTER TABLE "services" DROP COLUMN "legacy_code";/);
    expect(up).not.toContain('company_abc123');
  });
});
