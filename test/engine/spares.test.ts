// Spare tenant schemas: `migrate` keeps them built, `migrateTenant` takes one for a bare new schema.
// What must hold: the schema it gets is the one its chain would have built (compared catalog to
// catalog with a schema the chain built), the state records exactly the folder's versions under
// its name, the counts stay right, and a spare is never used where it would not be the same.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from '../support/fixtures';
import type { TestDatabase } from '../support/db';
import { migrate, migrateTenant, status, type Event } from '../../src/index';
import { catalogHashes } from '../../src/db/catalog';
import { rewriteSum } from '../../src/migrations/create';
import { createTenants, writeMigrations, type Files } from '../support/migrations';

/** A tenant history with what a rename could break if it were not a rename: identity, FK, view, function, trigger. */
const HISTORY: Files = {
  '20250101000000_init.up.sql': 'CREATE TABLE companies (id serial PRIMARY KEY, name text NOT NULL);',
  '20250101000000_init.down.sql': 'DROP TABLE companies;',
  'tenant/20250101000100_employees.up.sql': `CREATE TABLE employees (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL CHECK (name <> ''));
CREATE TABLE shifts (id serial PRIMARY KEY, employee_id bigint NOT NULL REFERENCES employees (id), starts_at timestamptz NOT NULL);
CREATE INDEX shifts_starts_at_idx ON shifts (starts_at);`,
  'tenant/20250101000100_employees.down.sql': 'DROP TABLE shifts, employees;',
  'tenant/20250101000200_roster.up.sql': `ALTER TABLE employees ADD COLUMN email text;
CREATE VIEW roster AS SELECT e.name, count(s.id) AS shifts FROM employees e LEFT JOIN shifts s ON s.employee_id = e.id GROUP BY e.name;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN NEW.starts_at := coalesce(NEW.starts_at, now()); RETURN NEW; END$$;
CREATE TRIGGER shifts_touch BEFORE INSERT ON shifts FOR EACH ROW EXECUTE FUNCTION touch();`,
  'tenant/20250101000200_roster.down.sql':
    'DROP TRIGGER shifts_touch ON shifts; DROP FUNCTION touch(); DROP VIEW roster; ALTER TABLE employees DROP COLUMN email;',
};
const TENANT_VERSIONS = ['20250101000100', '20250101000200'];

async function spareSchemas(db: TestDatabase): Promise<string[]> {
  const r = await db.query(
    `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'migrate\\_tool\\_spare\\_%' ORDER BY 1`,
  );
  return r.rows.map((row) => row.nspname);
}

async function stateOf(db: TestDatabase, schema: string): Promise<string[]> {
  const r = await db.query(
    `SELECT version || '=' || checksum AS v FROM migrate_tool.migrations WHERE schema_name = $1 ORDER BY version`,
    [schema],
  );
  return r.rows.map((row) => row.v);
}

/** The trigger-kept counts agree with the rows, schema by schema. */
async function countsAgree(db: TestDatabase): Promise<void> {
  const kept = await db.query(`SELECT schema_name, versions FROM migrate_tool.schema_counts ORDER BY 1`);
  const counted = await db.query(
    `SELECT schema_name, count(*)::int AS versions FROM migrate_tool.migrations GROUP BY 1 ORDER BY 1`,
  );
  expect(kept.rows).toEqual(counted.rows);
}

describe('spare tenant schemas', () => {
  test('up keeps them; a bare new schema takes one and is what its chain would have built', async ({ db, dir }) => {
    const migrationsDir = await writeMigrations(dir, HISTORY);
    await createTenants(db, 'company_a');
    const first = await migrate({ connection: db.url, migrationsDir, tenantSpares: 2 });
    expect(first.spares).toEqual({ ready: 2, built: 2, dropped: 0 });
    const spares = await spareSchemas(db);
    expect(spares).toHaveLength(2);
    // Never tenants: not counted, not listed, whatever the pattern.
    expect((await status({ connection: db.url, migrationsDir })).tenants.count).toBe(1);
    expect((await status({ connection: db.url, migrationsDir, tenantPattern: '%spare%' })).tenants.count).toBe(0);

    await createTenants(db, 'company_new');
    const events: Event[] = [];
    const out = await migrateTenant(
      { connection: db.url, migrationsDir, onEvent: (e) => events.push(e) },
      'company_new',
    );
    const taken = events.find((e) => e.type === 'tenant:spare');
    expect(taken).toMatchObject({ schema: 'company_new' });
    expect(spares).toContain((taken as { spare: string }).spare);
    expect(out.result?.failed).toEqual([]);
    expect(out.result?.done.map((d) => `${d.schema}@${d.version}`)).toEqual(
      TENANT_VERSIONS.map((v) => `company_new@${v}`),
    );

    // The same catalog as the schema `up` built file by file, and the same recorded versions.
    const hashes = await catalogHashes(db, { names: ['company_a', 'company_new'] });
    expect(hashes.get('company_new')).toBe(hashes.get('company_a'));
    expect(await stateOf(db, 'company_new')).toEqual(await stateOf(db, 'company_a'));
    expect(await stateOf(db, (taken as { spare: string }).spare)).toEqual([]);
    expect(await spareSchemas(db)).toHaveLength(1);
    await countsAgree(db);

    // It works as a tenant: identity, the trigger's function, the view, all under the new name.
    await db.query(`INSERT INTO company_new.employees (name) VALUES ('Ada')`);
    await db.query(`INSERT INTO company_new.shifts (employee_id) SELECT id FROM company_new.employees`);
    expect((await db.query(`SELECT * FROM company_new.roster`)).rows).toEqual([{ name: 'Ada', shifts: '1' }]);
    const report = await status({ connection: db.url, migrationsDir });
    expect(report.tenants).toMatchObject({ count: 2, behind: [], dirty: [] });
  });

  test('a spare from other files is not taken; the next up replaces it', async ({ db, dir }) => {
    const migrationsDir = await writeMigrations(dir, HISTORY);
    await migrate({ connection: db.url, migrationsDir, tenantSpares: 1 });
    const [old] = await spareSchemas(db);
    await writeFile(
      join(migrationsDir, 'tenant/20250101000300_notes.up.sql'),
      'CREATE TABLE notes (id serial PRIMARY KEY);',
    );
    await writeFile(join(migrationsDir, 'tenant/20250101000300_notes.down.sql'), 'DROP TABLE notes;');
    await rewriteSum(migrationsDir);

    await createTenants(db, 'company_new');
    const events: Event[] = [];
    const out = await migrateTenant(
      { connection: db.url, migrationsDir, onEvent: (e) => events.push(e) },
      'company_new',
    );
    expect(events.some((e) => e.type === 'tenant:spare')).toBe(false);
    expect(out.result?.done.map((d) => d.version)).toEqual([...TENANT_VERSIONS, '20250101000300']);
    expect(await spareSchemas(db)).toEqual([old]);

    const next = await migrate({ connection: db.url, migrationsDir, tenantSpares: 1 });
    expect(next.spares).toEqual({ ready: 1, built: 1, dropped: 1 });
    const [fresh] = await spareSchemas(db);
    expect(fresh).not.toBe(old);
    expect(await stateOf(db, old!)).toEqual([]);
    expect(await stateOf(db, fresh!)).toEqual(await stateOf(db, 'company_new'));
    await countsAgree(db);
  });

  test('a schema that is not bare gets its chain and keeps what it had', async ({ db, dir }) => {
    const migrationsDir = await writeMigrations(dir, HISTORY);
    await migrate({ connection: db.url, migrationsDir, tenantSpares: 2 });
    await db.query(`CREATE SCHEMA company_notes; CREATE TABLE company_notes.notes (body text)`);
    await db.query(`CREATE SCHEMA company_granted; GRANT USAGE ON SCHEMA company_granted TO PUBLIC`);
    for (const schema of ['company_notes', 'company_granted']) {
      const events: Event[] = [];
      const out = await migrateTenant({ connection: db.url, migrationsDir, onEvent: (e) => events.push(e) }, schema);
      expect(events.some((e) => e.type === 'tenant:spare')).toBe(false);
      expect(out.result?.done).toHaveLength(2);
    }
    expect((await db.query(`SELECT to_regclass('company_notes.notes') IS NOT NULL AS kept`)).rows[0].kept).toBe(true);
    const acl = await db.query(`SELECT nspacl::text AS acl FROM pg_namespace WHERE nspname = 'company_granted'`);
    expect(acl.rows[0].acl).toMatch(/=U\//);
    expect(await spareSchemas(db)).toHaveLength(2);
    await countsAgree(db);
  });

  test('a history that writes rows keeps no spares, and says why', async ({ db, dir }) => {
    const migrationsDir = await writeMigrations(dir, {
      ...HISTORY,
      'tenant/20250101000300_roles.up.sql': `CREATE TABLE roles (name text PRIMARY KEY); INSERT INTO roles VALUES ('owner');`,
      'tenant/20250101000300_roles.down.sql': 'DROP TABLE roles;',
    });
    const out = await migrate({ connection: db.url, migrationsDir, tenantSpares: 2 });
    expect(out.spares).toMatchObject({ ready: 0, built: 0 });
    expect(out.spares?.problem).toMatch(/write rows \(into roles\)/);
    expect(await spareSchemas(db)).toEqual([]);
    expect(
      (await db.query(`SELECT count(*)::int AS n FROM migrate_tool.migrations WHERE schema_name LIKE 'migrate%'`))
        .rows[0].n,
    ).toBe(0);
  });

  test('tenantSpares 0 drops them with their state rows', async ({ db, dir }) => {
    const migrationsDir = await writeMigrations(dir, HISTORY);
    await migrate({ connection: db.url, migrationsDir, tenantSpares: 3 });
    expect(await spareSchemas(db)).toHaveLength(3);
    const out = await migrate({ connection: db.url, migrationsDir });
    expect(out.spares).toEqual({ ready: 0, built: 0, dropped: 3 });
    expect(await spareSchemas(db)).toEqual([]);
    expect(
      (await db.query(`SELECT count(*)::int AS n FROM migrate_tool.migrations WHERE schema_name <> 'public'`)).rows[0]
        .n,
    ).toBe(0);
    await countsAgree(db);
  });

  test('a folder edited between two calls is read again (no stale copy is kept)', async ({ db, dir }) => {
    const migrationsDir = await writeMigrations(dir, HISTORY);
    await migrate({ connection: db.url, migrationsDir, tenantSpares: 1 });
    await createTenants(db, 'company_one', 'company_two');
    await migrateTenant({ connection: db.url, migrationsDir }, 'company_one');
    // Same length, new text: only the checksum can tell.
    const file = join(migrationsDir, 'tenant/20250101000200_roster.up.sql');
    await writeFile(
      file,
      HISTORY['tenant/20250101000200_roster.up.sql']!.replace('Ada', 'Ada').replace('count(s.id)', 'count(s.*)'),
    );
    await expect(migrateTenant({ connection: db.url, migrationsDir }, 'company_two')).rejects.toMatchObject({
      code: 'SUM_MISMATCH',
    });
    expect(await stateOf(db, 'company_two')).toEqual([]);
  });

  test('two sign-ups at once: one spare, each schema gets it or its chain, never both the same', async ({
    db,
    dir,
  }) => {
    const migrationsDir = await writeMigrations(dir, HISTORY);
    await migrate({ connection: db.url, migrationsDir, tenantSpares: 1 });
    await createTenants(db, 'company_one', 'company_two');
    const events: Event[] = [];
    const onEvent = (e: Event) => events.push(e);
    const runs = await Promise.all(
      ['company_one', 'company_two'].map((s) => migrateTenant({ connection: db.url, migrationsDir, onEvent }, s)),
    );
    for (const r of runs) expect(r.result?.done).toHaveLength(2);
    expect(events.filter((e) => e.type === 'tenant:spare')).toHaveLength(1);
    const hashes = await catalogHashes(db, { names: ['company_one', 'company_two'] });
    expect(hashes.get('company_one')).toBe(hashes.get('company_two'));
    expect(await spareSchemas(db)).toEqual([]);
    await countsAgree(db);
  });

  test("a spare whose record was changed is not taken; the schema's owner is kept", async ({ db, dir }) => {
    const migrationsDir = await writeMigrations(dir, HISTORY);
    await migrate({ connection: db.url, migrationsDir, tenantSpares: 2 });
    // The one that would be taken first (the oldest) is the one changed.
    const order = await db.query(`SELECT schema_name FROM migrate_tool.spares ORDER BY built_at, schema_name`);
    const [touched, intact] = order.rows.map((r) => r.schema_name as string);
    // Checked, not trusted: a spare missing a row is not what the folder builds.
    await db.query(`DELETE FROM migrate_tool.migrations WHERE schema_name = $1 AND version = $2`, [
      touched,
      TENANT_VERSIONS[1],
    ]);
    const role = `mt_spare_owner_${process.pid}`;
    await db.query(`CREATE ROLE ${role}`);
    try {
      await db.query(`CREATE SCHEMA company_owned AUTHORIZATION ${role}`);
      const events: Event[] = [];
      await migrateTenant({ connection: db.url, migrationsDir, onEvent: (e) => events.push(e) }, 'company_owned');
      expect(events.find((e) => e.type === 'tenant:spare')).toMatchObject({ spare: intact });
      const owner = await db.query(
        `SELECT pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname = 'company_owned'`,
      );
      expect(owner.rows[0].owner).toBe(role);
      expect(await spareSchemas(db)).toEqual([touched]);
    } finally {
      await db.query(`DROP SCHEMA IF EXISTS company_owned CASCADE; DROP OWNED BY ${role}; DROP ROLE ${role}`);
    }
  });

  test('a history with a no-transaction file: built file by file, taken the same way', async ({ db, dir }) => {
    const migrationsDir = await writeMigrations(dir, {
      ...HISTORY,
      'tenant/20250101000300_shifts_idx.up.sql':
        '-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY shifts_employee_idx ON shifts (employee_id);',
      'tenant/20250101000300_shifts_idx.down.sql': 'DROP INDEX shifts_employee_idx;',
      'tenant/20250101000400_phone.up.sql': 'ALTER TABLE employees ADD COLUMN phone text;',
      'tenant/20250101000400_phone.down.sql': 'ALTER TABLE employees DROP COLUMN phone;',
    });
    await createTenants(db, 'company_a');
    expect((await migrate({ connection: db.url, migrationsDir, tenantSpares: 1 })).spares).toEqual({
      ready: 1,
      built: 1,
      dropped: 0,
    });
    await createTenants(db, 'company_new');
    const events: Event[] = [];
    await migrateTenant({ connection: db.url, migrationsDir, onEvent: (e) => events.push(e) }, 'company_new');
    expect(events.some((e) => e.type === 'tenant:spare')).toBe(true);
    const hashes = await catalogHashes(db, { names: ['company_a', 'company_new'] });
    expect(hashes.get('company_new')).toBe(hashes.get('company_a'));
    expect(await stateOf(db, 'company_new')).toEqual(await stateOf(db, 'company_a'));
    await countsAgree(db);
  });

  test('a no-transaction file that fails in a spare leaves no spare behind', async ({ db, dir }) => {
    const migrationsDir = await writeMigrations(dir, {
      ...HISTORY,
      // No tenant schema yet, so `up` itself succeeds; building the spare fails at this file.
      'tenant/20250101000300_bad_idx.up.sql':
        '-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY bad_idx ON no_such_table (id);',
      'tenant/20250101000300_bad_idx.down.sql': 'DROP INDEX bad_idx;',
    });
    const out = await migrate({ connection: db.url, migrationsDir, tenantSpares: 1 });
    expect(out.spares).toMatchObject({ ready: 0, built: 0 });
    expect(out.spares?.problem).toMatch(/no_such_table/);
    expect(await spareSchemas(db)).toEqual([]);
    expect(
      (await db.query(`SELECT count(*)::int AS n FROM migrate_tool.migrations WHERE schema_name LIKE 'migrate%'`))
        .rows[0].n,
    ).toBe(0);
  });

  test("an earlier release's count trigger: handover and chain still leave the counts right, and up brings the trigger up to date", async ({
    db,
    dir,
  }) => {
    const migrationsDir = await writeMigrations(dir, HISTORY);
    await migrate({ connection: db.url, migrationsDir, tenantSpares: 1 });
    // The function as it was before it let the tool count a schema itself: every row counted one by one.
    const src = (await db.query(`SELECT prosrc FROM pg_proc WHERE oid = 'migrate_tool.count_versions()'::regprocedure`))
      .rows[0].prosrc as string;
    const older = src.replace(/ {2}-- Rows of the schema the tool counts itself[\s\S]*?END IF;\n/, '');
    expect(older).not.toContain('counted_schema');
    await db.query(
      `CREATE OR REPLACE FUNCTION migrate_tool.count_versions() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$${older}$fn$`,
    );
    await createTenants(db, 'company_spare', 'company_chain');
    const events: Event[] = [];
    for (const schema of ['company_spare', 'company_chain'])
      await migrateTenant({ connection: db.url, migrationsDir, onEvent: (e) => events.push(e) }, schema);
    expect(events.filter((e) => e.type === 'tenant:spare')).toHaveLength(1);
    await countsAgree(db);
    await migrate({ connection: db.url, migrationsDir, tenantSpares: 1 });
    expect(
      (await db.query(`SELECT prosrc FROM pg_proc WHERE oid = 'migrate_tool.count_versions()'::regprocedure`)).rows[0]
        .prosrc,
    ).toContain('counted_schema');
    await countsAgree(db);
  });

  test('a history with a baseline: the spare runs the baseline and records what it replaces, as a new schema would', async ({
    db,
    dir,
  }) => {
    const migrationsDir = await writeMigrations(dir, {
      ...HISTORY,
      'tenant/20250101000300_baseline.up.sql': `-- migrate:baseline replaces 20250101000100..20250101000200
${HISTORY['tenant/20250101000100_employees.up.sql']}
${HISTORY['tenant/20250101000200_roster.up.sql']}`,
      'tenant/20250101000300_baseline.down.sql': '-- a baseline is rolled back by removing its record\nSELECT 1;',
    });
    await createTenants(db, 'company_new_db');
    await migrate({ connection: db.url, migrationsDir, tenantSpares: 1 });
    await createTenants(db, 'company_spare', 'company_chain');
    const events: Event[] = [];
    for (const schema of ['company_spare', 'company_chain'])
      await migrateTenant({ connection: db.url, migrationsDir, onEvent: (e) => events.push(e) }, schema);
    expect(events.filter((e) => e.type === 'tenant:spare')).toHaveLength(1);
    // The chain ran as one (one start per version, no file-by-file replay after a failure).
    expect(events.filter((e) => e.type === 'migration:start')).toHaveLength(6);
    const hashes = await catalogHashes(db, { names: ['company_new_db', 'company_spare', 'company_chain'] });
    expect(new Set(hashes.values()).size).toBe(1);
    for (const schema of ['company_spare', 'company_chain'])
      expect(await stateOf(db, schema)).toEqual(await stateOf(db, 'company_new_db'));
    await countsAgree(db);
  });
});
