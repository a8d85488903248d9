// seed on a real Citus coordinator: a reference table in public (what a foreign key from a
// distributed tenant table may point at) and a distributed table in every tenant schema, seeded in
// one transaction, a second run changing nothing, a bad row changing nothing at all.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { envFor, runCli } from '../support/cli';
import { citusMissing, citusTitle, describe, expect, test } from '../support/citus';
import type { TestDatabase } from '../support/db';
import { createTenants, writeMigrations } from '../support/migrations';

const FILES = {
  '20250101000000_roles.up.sql':
    "CREATE TABLE roles (id serial PRIMARY KEY, name text NOT NULL UNIQUE, description text);\nSELECT create_reference_table('roles');",
  '20250101000000_roles.down.sql': 'DROP TABLE roles;',
  'tenant/20250101000100_settings.up.sql':
    'CREATE TABLE settings (key text PRIMARY KEY, value jsonb NOT NULL, role_id integer REFERENCES public.roles (id));\nCREATE INDEX settings_role_idx ON settings (role_id);',
  'tenant/20250101000100_settings.down.sql': 'DROP TABLE settings;',
};

const ROLES = {
  table: 'roles',
  key: 'name',
  rows: [
    { name: 'admin', description: 'Everything' },
    { name: 'staff', description: 'Day-to-day work' },
  ],
};
const SETTINGS = {
  table: 'settings',
  tenant: true,
  key: 'key',
  references: { role: { column: 'role_id', table: 'public.roles', by: 'name' } },
  rows: [
    { key: 'booking.window_days', value: 30, role: null },
    { key: 'booking.default_role', value: { confirm: true }, role: 'staff' },
  ],
};

async function seeded(db: TestDatabase, dir: string) {
  const seeds = join(dir, 'seeds');
  await mkdir(seeds, { recursive: true });
  await writeFile(join(seeds, '01_roles.json'), JSON.stringify(ROLES));
  await writeFile(join(seeds, '02_settings.json'), JSON.stringify(SETTINGS));
  await writeFile(join(seeds, '03_note.sql'), "-- seed:tenant\nCOMMENT ON TABLE settings IS 'seeded';");
  const env = { ...envFor(db.url), MIGRATIONS_DIR: await writeMigrations(dir, FILES), SEEDS_DIR: seeds };
  await createTenants(db, 'company_a', 'company_b');
  const up = await runCli(['up'], { env });
  expect(up.code, up.stderr).toBe(0);
  return { env, seeds };
}

const settingsRows = async (db: TestDatabase, schema: string) =>
  (
    await db.query(
      `SELECT s.key, r.name AS role FROM ${schema}.settings s LEFT JOIN public.roles r ON r.id = s.role_id ORDER BY s.key`,
    )
  ).rows;

describe.skipIf(citusMissing)(citusTitle('seed on a Citus coordinator'), () => {
  test('seeds a reference table and every distributed tenant schema, then a second run changes nothing', async ({
    db,
    dir,
  }) => {
    const { env } = await seeded(db, dir);
    const first = await runCli(['seed', '--json'], { env });
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout).totals).toMatchObject({ inserted: 2 + 2 * 2, updated: 0 });
    for (const s of ['company_a', 'company_b']) {
      expect(await settingsRows(db, s)).toEqual([
        { key: 'booking.default_role', role: 'staff' },
        { key: 'booking.window_days', role: null },
      ]);
      // The SQL seed's COMMENT reached the coordinator's table in each schema.
      expect((await db.query(`SELECT obj_description($1::regclass) AS c`, [`${s}.settings`])).rows[0].c).toBe('seeded');
    }
    const second = await runCli(['seed', '--json'], { env });
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout).totals).toMatchObject({ inserted: 0, updated: 0, unchanged: 6 });
  });

  test('a row the workers refuse fails the seed and leaves every node as it was', async ({ db, dir }) => {
    const { env, seeds } = await seeded(db, dir);
    const bad = { ...SETTINGS, rows: [...SETTINGS.rows, { key: 'broken', value: null, role: null }] };
    await writeFile(join(seeds, '02_settings.json'), JSON.stringify(bad));
    const r = await runCli(['seed'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/02_settings\.json row 3 .*company_a.*nothing was changed/);
    expect((await db.query('SELECT count(*)::int AS n FROM public.roles')).rows[0].n).toBe(0);
    for (const s of ['company_a', 'company_b']) expect(await settingsRows(db, s)).toEqual([]);
  });
});
