// `migrate-tool seed` end to end: the real CLI against a real, migrated database.
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WATCHDOG } from '../../src/db/watchdog';
import { describe, expect, test } from '../support/fixtures';
import { runCli } from '../support/cli';
import { editSet, project, readSet, snapshot } from './support';

const SETS = ['01_resources.json', '02_roles.json', '03_endpoints.json', '04_policies.json'];

async function migrated(dir: string, db: Parameters<typeof project>[1], tenants = ['company_a', 'company_b']) {
  for (const t of tenants) await db.query(`CREATE SCHEMA ${t}`);
  const p = await project(dir, db);
  const up = await runCli(['up'], { env: p.env });
  expect(up.code, up.stderr).toBe(0);
  return p;
}

async function seedJson(env: Record<string, string>, ...flags: string[]) {
  const r = await runCli(['seed', '--json', ...flags], { env });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as {
    dryRun: boolean;
    totals: { inserted: number; updated: number; unchanged: number };
    sets: Array<{
      file: string;
      inserted: number;
      updated: number;
      unchanged: number;
      schemas: number;
      changes: Array<{ action: string; key: Record<string, unknown>; columns?: string[]; schema: string }>;
    }>;
  };
}

describe('seed', () => {
  test('seeds a migrated database, then a second run changes nothing', async ({ db, dir }) => {
    const p = await migrated(dir, db);
    const first = await seedJson(p.env);
    for (const file of SETS) {
      const set = first.sets.find((s) => s.file === file)!;
      expect(set.inserted, file).toBe((await readSet(p.seeds, file)).rows.length);
    }
    const settings = (await readSet(p.seeds, '05_settings.json')).rows.length;
    expect(first.sets.find((s) => s.file === '05_settings.json')).toMatchObject({ schemas: 2, inserted: 2 * settings });
    const after = await snapshot(db);

    const second = await seedJson(p.env);
    expect(second.totals).toMatchObject({ inserted: 0, updated: 0 });
    expect(second.totals.unchanged).toBe(first.totals.inserted);
    expect(await snapshot(db)).toEqual(after);
  });

  test("prints the guide's lines: start, target, one line per set with counts, complete", async ({ db, dir }) => {
    const p = await migrated(dir, db);
    const r = await runCli(['seed'], { env: p.env });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('Starting seeding process...');
    expect(lines[1]).toBe(`Target database: ${db.name}`);
    expect(lines[2]).toMatch(/^Seeding Resources\.\.\. 2 inserted, 0 updated, 0 unchanged$/);
    expect(lines[3]).toMatch(/^Seeding Roles\.\.\. /);
    expect(lines[4]).toMatch(/^Seeding Endpoints\.\.\. /);
    expect(lines[5]).toMatch(/^Seeding Policies\.\.\. /);
    expect(lines[6]).toMatch(/^Seeding Settings in 2 tenant schemas\.\.\. 4 inserted/);
    expect(lines[7]).toMatch(/^Seeding Audit Note\.\.\. 1 statement run/);
    expect(lines.at(-1)).toMatch(/^Seeding complete! \d+ inserted, 0 updated, 0 unchanged$/);
  });

  test('changing one seed row and seeding again updates exactly that row', async ({ db, dir }) => {
    const p = await migrated(dir, db);
    await seedJson(p.env);
    const before = await snapshot(db);
    await editSet(p.seeds, '02_roles.json', (doc) => void (doc.rows[1]!.description = 'Shifts and bookings'));

    const r = await seedJson(p.env);
    expect(r.totals).toMatchObject({ inserted: 0, updated: 1 });
    const roles = r.sets.find((s) => s.file === '02_roles.json')!;
    expect(roles.changes).toEqual([
      { action: 'update', schema: 'public', row: 2, key: { name: 'staff' }, columns: ['description'] },
    ]);
    const now = await snapshot(db);
    expect(now['public.roles']).not.toBe(before['public.roles']);
    expect({ ...now, 'public.roles': '' }).toEqual({ ...before, 'public.roles': '' });
    expect((await db.query(`SELECT description FROM roles WHERE name = 'staff'`)).rows[0].description).toBe(
      'Shifts and bookings',
    );
  });

  test('--dry-run prints what would change and changes nothing', async ({ db, dir }) => {
    const p = await migrated(dir, db);
    await seedJson(p.env);
    await editSet(p.seeds, '02_roles.json', (doc) => {
      doc.rows[0]!.description = 'Everything, really';
      doc.rows.push({ name: 'auditor', description: 'Reads the books' });
    });
    // Sequences are outside transactions: a dry run's rolled-back insert still draws an id.
    const before = await snapshot(db, { sequences: false });
    const r = await runCli(['seed', '--dry-run'], { env: p.env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Seeding Roles... 1 inserted, 1 updated, 1 unchanged');
    expect(r.stdout).toContain('  ~ update public.roles name="admin": description');
    expect(r.stdout).toContain('  + insert public.roles name="auditor"');
    expect(r.stdout).toMatch(/Dry run complete, nothing was changed: 1 would be inserted, 1 would be updated/);
    expect(await snapshot(db, { sequences: false })).toEqual(before);
    expect((await seedJson(p.env, '--dry-run')).dryRun).toBe(true);
    expect(await snapshot(db, { sequences: false })).toEqual(before);
  });

  test('a broken seed file is refused before the database is touched, naming the file and the row', async ({
    db,
    dir,
  }) => {
    const p = await migrated(dir, db);
    await editSet(p.seeds, '04_policies.json', (doc) => {
      delete doc.rows[1]!.action;
      doc.rows[2]!.role = ['not', 'a', 'name'];
    });
    const before = await snapshot(db);
    const r = await runCli(['seed'], { env: p.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      '04_policies.json: row 2 (role="staff", resource="appointments", action=?): key field "action" is missing',
    );
    expect(r.stderr).toMatch(
      /04_policies\.json: row 3 \(role=\["not","a","name"\].*\): "role" must be the referenced row's name/,
    );
    expect(await snapshot(db)).toEqual(before);
  });

  test('a row the database refuses rolls every set back and is named with its file and key', async ({ db, dir }) => {
    const p = await migrated(dir, db);
    await editSet(p.seeds, '04_policies.json', (doc) => void (doc.rows[2]!.effect = null));
    // Sequences are not transactional: ids drawn by the rolled-back inserts stay drawn.
    const before = await snapshot(db, { sequences: false });
    const r = await runCli(['seed'], { env: p.env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'Seeding failed at 04_policies.json row 3 (role="staff", resource="branches", action="delete")',
    );
    expect(r.stderr).toContain('null value in column "effect"');
    expect(r.stderr).toContain('nothing was changed');
    // Resources, roles and endpoints were seeded before the failure, in the same transaction: all gone.
    expect(await snapshot(db, { sequences: false })).toEqual(before);
  });

  test('a reference to a row that does not exist names the file, row and value', async ({ db, dir }) => {
    const p = await migrated(dir, db);
    await editSet(p.seeds, '04_policies.json', (doc) => void (doc.rows[0]!.role = 'ghost'));
    const r = await runCli(['seed'], { env: p.env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      '04_policies.json row 1 (role="ghost", resource="branches", action="update"): role "ghost" not found in roles (by name)',
    );
    expect((await db.query('SELECT count(*)::int AS n FROM roles')).rows[0].n).toBe(0);
  });

  test('a column or table the database lacks is named before anything is written', async ({ db, dir }) => {
    const p = await migrated(dir, db);
    await editSet(p.seeds, '02_roles.json', (doc) => void (doc.rows[0]!.colour = 'red'));
    await editSet(p.seeds, '05_settings.json', (doc) => void ((doc as Record<string, unknown>).table = 'preferences'));
    const r = await runCli(['seed'], { env: p.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('02_roles.json: table public.roles has no column "colour"');
    expect(r.stderr).toContain(
      '05_settings.json: table preferences does not exist (in 2 tenant schemas: company_a, company_b)',
    );
  });

  test('a failing statement in a .sql seed names the file and line, and rolls everything back', async ({ db, dir }) => {
    const p = await migrated(dir, db);
    await writeFile(
      join(p.seeds, '06_audit_note.sql'),
      `-- note\nCOMMENT ON TABLE roles IS 'x';\nUPDATE roles\n   SET nam = 'x';\n`,
    );
    const r = await runCli(['seed'], { env: p.env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'Seeding failed at 06_audit_note.sql:4: column "nam" of relation "roles" does not exist',
    );
    expect((await db.query('SELECT count(*)::int AS n FROM resources')).rows[0].n).toBe(0);
  });

  test('refuses while migrations are pending, and says what to run; --force seeds anyway', async ({ db, dir }) => {
    await db.query('CREATE SCHEMA company_a');
    const p = await project(dir, db);
    expect((await runCli(['up', '1'], { env: p.env })).code).toBe(0);
    const r = await runCli(['seed'], { env: p.env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('1 migration is pending (20250101000100 settings); seeding refused');
    expect(r.stderr).toContain('run `migrate-tool up` first');
    // The tenant table does not exist yet: leave the tenant set out of a forced run.
    await rm(join(p.seeds, '05_settings.json'));
    const forced = await runCli(['seed', '--force'], { env: p.env });
    expect(forced.code, forced.stderr).toBe(0);
    expect((await db.query('SELECT count(*)::int AS n FROM roles')).rows[0].n).toBe(2);
  });

  test('refuses a dirty database, naming the schema and version', async ({ db, dir }) => {
    const p = await migrated(dir, db);
    await db.query(`UPDATE migrate_tool.migrations SET dirty = true WHERE schema_name = 'company_b'`);
    const r = await runCli(['seed'], { env: p.env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('The database is dirty (company_b at 20250101000100)');
    expect(r.stderr).toContain('migrate-tool force');
    expect((await db.query('SELECT count(*)::int AS n FROM roles')).rows[0].n).toBe(0);
  });

  test('references go by key: the same files give the same links whatever ids a database hands out', async ({
    db,
    dir,
  }) => {
    const p = await migrated(dir, db);
    // Push this database's ids away from 1, 2, 3...
    await db.query(
      `INSERT INTO roles (name) VALUES ('legacy_a'), ('legacy_b'), ('legacy_c'); INSERT INTO resources (name) VALUES ('legacy')`,
    );
    await seedJson(p.env);
    const links = await db.query(
      `SELECT r.name AS role, s.name AS resource, p.action, p.effect
         FROM policy_rules p JOIN roles r ON r.id = p.role_id JOIN resources s ON s.id = p.resource_id ORDER BY p.id`,
    );
    const expected = (await readSet(p.seeds, '04_policies.json')).rows.map((row) => ({ effect: 'allow', ...row }));
    expect(links.rows).toEqual(expected);
    const endpoints = await db.query(
      `SELECT e.method, e.path, s.name AS resource FROM endpoints e JOIN resources s ON s.id = e.resource_id ORDER BY e.id`,
    );
    expect(endpoints.rows).toEqual((await readSet(p.seeds, '03_endpoints.json')).rows);
  });

  test('a tenant set reaches every tenant schema, and a schema created later is filled by the next seed', async ({
    db,
    dir,
  }) => {
    const p = await migrated(dir, db);
    await seedJson(p.env);
    await db.query('CREATE SCHEMA company_c');
    expect((await runCli(['up'], { env: p.env })).code).toBe(0);
    const r = await seedJson(p.env);
    const settings = r.sets.find((s) => s.file === '05_settings.json')!;
    expect(settings).toMatchObject({ schemas: 3, inserted: 2, updated: 0, unchanged: 4 });
    expect(new Set(settings.changes.map((c) => c.schema))).toEqual(new Set(['company_c']));
    const rows = await db.query(
      `SELECT s.key, s.value, r.name AS role FROM company_c.settings s LEFT JOIN roles r ON r.id = s.role_id ORDER BY s.key`,
    );
    expect(rows.rows).toEqual([
      { key: 'booking.default_role', value: { confirm: true }, role: 'staff' },
      { key: 'booking.window_days', value: 30, role: null },
    ]);
  });

  test('a .sql seed marked -- seed:tenant runs in every tenant schema with search_path set to it', async ({
    db,
    dir,
  }) => {
    const p = await migrated(dir, db);
    await writeFile(
      join(p.seeds, '07_tenant_flag.sql'),
      `-- seed:tenant\nINSERT INTO settings (key, value) VALUES ('from_sql', '"yes"') ON CONFLICT (key) DO NOTHING;\n`,
    );
    const r = await seedJson(p.env);
    expect(r.sets.find((s) => s.file === '07_tenant_flag.sql')).toMatchObject({ schemas: 2, rowsAffected: 2 });
    for (const s of ['company_a', 'company_b'])
      expect((await db.query(`SELECT value FROM ${s}.settings WHERE key = 'from_sql'`)).rows).toEqual([
        { value: 'yes' },
      ]);
  });

  test('identifiers are quoted and values are parameters: odd names and hostile strings are stored as written', async ({
    db,
    dir,
  }) => {
    const p = await migrated(dir, db);
    await db.query(`CREATE TABLE "Odd ""Table"""("Key Col" text PRIMARY KEY, "select" text, tags text[], doc json)`);
    const hostile = `x'); DROP TABLE roles; --`;
    const rows = [
      { 'Key Col': hostile, select: '$1 \\ "', tags: ['a', 'b'], doc: { a: [1, 2] } },
      { 'Key Col': 'plain', select: null, tags: [], doc: null },
    ];
    await writeFile(join(p.seeds, '08_odd.json'), JSON.stringify({ table: 'Odd "Table"', key: 'Key Col', rows }));
    const first = await seedJson(p.env);
    expect(first.sets.find((s) => s.file === '08_odd.json')).toMatchObject({ inserted: 2 });
    const stored = await db.query(`SELECT "Key Col" AS k, "select" AS s, tags, doc FROM "Odd ""Table""" ORDER BY 1`);
    expect(stored.rows).toEqual([
      { k: 'plain', s: null, tags: [], doc: null },
      { k: hostile, s: '$1 \\ "', tags: ['a', 'b'], doc: { a: [1, 2] } },
    ]);
    expect((await db.query('SELECT count(*)::int AS n FROM roles')).rows[0].n).toBe(2);
    // json (not jsonb) has no equality operator; an unchanged json value must still count as unchanged.
    expect((await seedJson(p.env)).sets.find((s) => s.file === '08_odd.json')).toMatchObject({
      inserted: 0,
      updated: 0,
      unchanged: 2,
    });
  });
  // The lock session's watchdog pings it every 5 s and calls it lost after 15 s without an answer;
  // a seed statement runs on that session, and the pings wait behind it. Slow: one 22 s statement, past the first ping (5 s) plus its deadline.
  test('a seed statement longer than the watchdog deadline is not taken for a lost server', async ({ db, dir }) => {
    const p = await migrated(dir, db);
    await writeFile(
      join(p.seeds, '07_slow.sql'),
      `-- a slow backfill\nSELECT pg_sleep(4);\nCOMMENT ON TABLE roles IS 'seeded slowly';\n`,
    );
    // The watchdog's own code on short timings (as in test/db/watchdog.test.ts), so that a 4 s
    // statement outlasts its deadline several times over; the CLI runs in this process.
    const saved = { ...WATCHDOG };
    Object.assign(WATCHDOG, { intervalMs: 200, deadlineMs: 1_000 });
    const r = await runCli(['seed'], { env: p.env }).finally(() => Object.assign(WATCHDOG, saved));
    expect(r.stderr).not.toMatch(/Lost the connection/);
    expect(r.code, r.stderr).toBe(0);
    expect((await db.query(`SELECT obj_description('roles'::regclass) AS c`)).rows[0].c).toBe('seeded slowly');
  });
});
