// `diff` on Prisma schemas shaped like real applications' (fixtures in ./fixtures): single-schema,
// multi-tenant with enums and extensions, and a Prisma 6 schema. Each generated folder is then
// applied and round-trip tested, so "what diff wrote" is checked by PostgreSQL, not by reading it.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTenants } from '../support/migrations';
import { describe, expect, test } from '../support/fixtures';
import { cli } from './support';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

async function sqlFiles(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of (await readdir(dir, { recursive: true })).filter((f) => f.endsWith('.sql')).sort())
    out[f] = await readFile(join(dir, f), 'utf8');
  return out;
}

const globalFiles = (files: Record<string, string>) => Object.entries(files).filter(([f]) => !f.startsWith('tenant/'));
const tenantFiles = (files: Record<string, string>) => Object.entries(files).filter(([f]) => f.startsWith('tenant/'));

describe('diff on real Prisma schemas', () => {
  test('a schema without schemas = [...] or @@schema is all global: no tenant migration', async ({ db, dir }) => {
    const schema = fixture('global-only.prisma');
    const r = await cli(['diff', 'init'], { url: db.url, dir, schema });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('Tenant changes');
    const files = await sqlFiles(join(dir, 'migrations'));
    expect(tenantFiles(files)).toEqual([]);
    expect(
      globalFiles(files)
        .map(([, sql]) => sql)
        .join('\n'),
    ).toContain('CREATE TABLE "posts"');

    await createTenants(db, 'company_a');
    expect((await cli(['up'], { url: db.url, dir })).code).toBe(0);
    const again = await cli(['diff', 'again'], { url: db.url, dir, schema });
    expect(again.stdout.trim()).toBe('no changes');
    const { rows } = await db.query(
      `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'company_a'`,
    );
    expect(rows[0].n).toBe(0);
  });

  // Six runs of the CLI, each with Prisma's engine and a scratch database: more than the default minute on a busy machine.
  test(
    'tenant enums go to the tenant file unqualified; extensions stay global and are qualified in tenant SQL',
    { timeout: 300_000 },
    async ({ db, dir }) => {
      const schema = fixture('tenant.prisma');
      const r = await cli(['diff', 'init'], { url: db.url, dir, schema });
      expect(r.code, r.stderr).toBe(0);
      const files = await sqlFiles(join(dir, 'migrations'));
      const global = globalFiles(files)
        .map(([, sql]) => sql)
        .join('\n');
      const tenant = tenantFiles(files)
        .map(([, sql]) => sql)
        .join('\n');
      expect(global).not.toMatch(/"tenant"\./);
      expect(global).not.toContain('employee_role');
      expect(global).toContain('CREATE EXTENSION IF NOT EXISTS "citext"');
      expect(global).toMatch(/DROP EXTENSION IF EXISTS "citext"/);
      expect(tenant).toContain('CREATE TYPE "employee_role"');
      expect(tenant).not.toMatch(/"tenant"\./);
      expect(tenant).not.toMatch(/EXTENSION/i);
      expect(tenant).toMatch(/"email" "public"\.CITEXT NOT NULL/);
      expect(tenant).toContain('"public".gin_trgm_ops');

      // PostgreSQL agrees: the round trip passes, two companies get the tables, and the folder
      // then diffs to nothing, from the migrations and from the live database.
      const roundtrip = await cli(['test'], { url: db.url, dir });
      expect(roundtrip.code, roundtrip.stdout).toBe(0);
      await createTenants(db, 'company_a', 'company_b');
      const up = await cli(['up'], { url: db.url, dir });
      expect(up.code, up.stderr).toBe(0);
      await db.query(
        `INSERT INTO company_b.employees (id, company_id, name, email, salary) VALUES (gen_random_uuid(), gen_random_uuid(), 'Ann', 'Ann@X.io', 1)`,
      );
      const { rows } = await db.query(`SELECT name FROM company_b.employees WHERE email = 'ann@x.io'`);
      expect(rows).toEqual([{ name: 'Ann' }]); // citext compares case-insensitively
      expect((await cli(['diff', 'again'], { url: db.url, dir, schema })).stdout.trim()).toBe('no changes');
      expect((await cli(['diff', 'again', '--from=database'], { url: db.url, dir, schema })).stdout.trim()).toBe(
        'no changes',
      );
    },
  );

  test('a Prisma 6 schema naming preview features Prisma 7 dropped is accepted with a warning', async ({ db, dir }) => {
    const r = await cli(['diff', 'init'], { url: db.url, dir, schema: fixture('prisma6.prisma') });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /warning: .*prisma6\.prisma names preview feature metrics that Prisma 7 no longer knows; ignored/,
    );
    expect(r.stdout).toContain('Created table: companies');
    expect(r.stdout).toContain('Created table: branches');
    expect(tenantFiles(await sqlFiles(join(dir, 'migrations')))).toHaveLength(2);
  });
});
