// `adopt`: a database another tool built is taken over without running SQL (then `up` has nothing
// to do), and an empty database migrated from the imported folder gets the same catalog.
import { join } from 'node:path';
import { describe, expect, test } from '../support/fixtures';
import { createDatabase } from '../support/db';
import { envFor, runCli } from '../support/cli';
import { createTenants } from '../support/migrations';
import { catalog, psql } from '../import/support';
import { PEERS, writePeer } from './peers';

const TENANTS = ['company_a', 'company_b'];

for (const [tool, peer] of Object.entries(PEERS)) {
  describe(`adopt ${tool}`, () => {
    test(`after import + adopt on a database ${tool} built, up has nothing to do; an empty database gets the same catalog`, async ({
      db,
      dir,
    }) => {
      const root = join(dir, 'migrations');
      const env = { ...envFor(db.url), MIGRATIONS_DIR: root };
      const globalSrc = await writePeer(tool, join(dir, 'global'), peer.global);
      await peer.build(db.url, globalSrc, 'public', peer.global);
      expect((await runCli(['import', tool, globalSrc], { cwd: dir, env })).code).toBe(0);
      if (peer.tenant) {
        const tenantSrc = await writePeer(tool, join(dir, 'tenant'), peer.tenant);
        await createTenants(db, ...TENANTS);
        for (const s of TENANTS) await peer.build(db.url, tenantSrc, s, peer.tenant);
        expect((await runCli(['import', tool, tenantSrc, '--tenant'], { cwd: dir, env })).code).toBe(0);
      }

      const adopted = await runCli(['adopt', tool], { cwd: dir, env });
      expect(adopted.stderr).not.toContain('error');
      expect(adopted.code).toBe(0);
      expect(adopted.stdout).toContain(`Adopted from ${tool} (no SQL was run):`);
      const up = await runCli(['up'], { cwd: dir, env });
      expect(up.code).toBe(0);
      expect(up.stdout).toContain('no change');
      const status = JSON.parse((await runCli(['status', '--json'], { cwd: dir, env })).stdout);
      expect(status.migrations.length).toBeGreaterThan(1);
      expect(status.migrations.filter((m: { applied: boolean }) => !m.applied)).toEqual([]);
      const marks = await db.query(
        `SELECT DISTINCT tool, (SELECT bool_and(forced) FROM migrate_tool.migrations) AS forced FROM migrate_tool.adopted`,
      );
      expect(marks.rows).toEqual([{ tool, forced: true }]);

      const fresh = await createDatabase();
      try {
        if (peer.tenant) await createTenants(fresh, ...TENANTS);
        const env2 = { ...envFor(fresh.url), MIGRATIONS_DIR: root };
        const built = await runCli(['up'], { cwd: dir, env: env2 });
        expect(built.code).toBe(0);
        expect(await catalog(fresh.url, peer.history)).toBe(await catalog(db.url, peer.history));
      } finally {
        await fresh.drop();
      }
    });
  });
}

describe('adopt refuses, naming what is wrong, and records nothing', () => {
  const refuse = async (
    dir: string,
    db: { url: string; query(sql: string): Promise<{ rows: unknown[] }> },
    tool: string,
    args: string[] = [],
  ) => {
    const root = join(dir, 'migrations');
    const env = { ...envFor(db.url), MIGRATIONS_DIR: root };
    const src = await writePeer(tool, join(dir, 'src'), PEERS[tool]!.global);
    expect((await runCli(['import', tool, src], { cwd: dir, env })).code).toBe(0);
    const r = await runCli(['adopt', tool, ...args], { cwd: dir, env });
    const state = await db.query(`SELECT to_regclass('migrate_tool.adopted') AS a`);
    return { r, adoptedTable: (state.rows[0] as { a: string | null }).a };
  };

  test('a dirty golang-migrate history', async ({ db, dir }) => {
    await psql(
      db.url,
      'CREATE TABLE schema_migrations (version bigint not null primary key, dirty boolean not null); INSERT INTO schema_migrations VALUES (2, true)',
    );
    const { r, adoptedTable } = await refuse(dir, db, 'golang-migrate');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('public.schema_migrations is dirty at version 2');
    expect(adoptedTable).toBeNull();
  });

  test('a version the folder lacks', async ({ db, dir }) => {
    await psql(
      db.url,
      'CREATE TABLE schema_migrations (version bigint not null primary key, dirty boolean not null); INSERT INTO schema_migrations VALUES (7, false)',
    );
    const { r } = await refuse(dir, db, 'golang-migrate');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('public.schema_migrations records 7, which no file in the global migrations of');
  });

  test('a gap in a dbmate history', async ({ db, dir }) => {
    await psql(
      db.url,
      "CREATE TABLE schema_migrations (version varchar(128) primary key); INSERT INTO schema_migrations VALUES ('20240101120000'), ('20240101120200')",
    );
    const { r } = await refuse(dir, db, 'dbmate');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'public.schema_migrations: 20240101120100 is not applied but 20240101120200, after it, is: a gap',
    );
  });

  test('a Prisma migration that did not finish', async ({ db, dir }) => {
    await psql(
      db.url,
      `CREATE TABLE "_prisma_migrations" (id VARCHAR(36) PRIMARY KEY NOT NULL, checksum VARCHAR(64) NOT NULL, finished_at TIMESTAMPTZ, migration_name VARCHAR(255) NOT NULL,
      logs TEXT, rolled_back_at TIMESTAMPTZ, started_at TIMESTAMPTZ NOT NULL DEFAULT now(), applied_steps_count INTEGER NOT NULL DEFAULT 0);
      INSERT INTO _prisma_migrations (id, checksum, migration_name, logs) VALUES ('a', 'x', '20240101120000_init', 'ERROR: relation exists')`,
    );
    const { r } = await refuse(dir, db, 'prisma');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('public._prisma_migrations: 20240101120000_init did not finish');
  });

  test('an Atlas revision with an error', async ({ db, dir }) => {
    await psql(
      db.url,
      `CREATE SCHEMA atlas_schema_revisions; CREATE TABLE atlas_schema_revisions.atlas_schema_revisions (version varchar PRIMARY KEY, description varchar NOT NULL,
      type bigint NOT NULL DEFAULT 2, applied bigint NOT NULL DEFAULT 0, total bigint NOT NULL DEFAULT 0, executed_at timestamptz NOT NULL, execution_time bigint NOT NULL,
      error text, error_stmt text, hash varchar NOT NULL, partial_hashes jsonb, operator_version varchar NOT NULL);
      INSERT INTO atlas_schema_revisions.atlas_schema_revisions VALUES ('20240101120000', 'init', 2, 0, 1, now(), 1, 'relation "companies" already exists', 'CREATE TABLE', 'h', NULL, 'v')`,
    );
    const { r } = await refuse(dir, db, 'atlas');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'atlas_schema_revisions.atlas_schema_revisions: 20240101120000 (error: relation "companies" already exists) did not complete',
    );
  });

  test('no history at all; and --dry-run records nothing', async ({ db, dir }) => {
    const { r, adoptedTable } = await refuse(dir, db, 'node-pg-migrate');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('No node-pg-migrate history found');
    expect(adoptedTable).toBeNull();
    await psql(
      db.url,
      "CREATE TABLE pgmigrations (id SERIAL PRIMARY KEY, name varchar(255) NOT NULL, run_on timestamp NOT NULL); INSERT INTO pgmigrations (name, run_on) VALUES ('1700000000000_create-companies', now())",
    );
    const dry = await runCli(['adopt', 'node-pg-migrate', '--dry-run'], {
      cwd: dir,
      env: { ...envFor(db.url), MIGRATIONS_DIR: join(dir, 'migrations') },
    });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('public: public.pgmigrations 1 row -> 1 version (01700000000000 ... 01700000000000)');
    expect(dry.stdout).toContain('Would record 1 version in 1 schema');
    const state = await db.query(`SELECT to_regnamespace('migrate_tool') AS s`);
    expect(state.rows[0].s).toBeNull();
  });
});
