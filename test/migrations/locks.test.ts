// The lock model (src/migrations/locks.ts) against a real server: each statement runs inside a
// transaction, the strongest mode it holds on each table is read from pg_locks in that same
// transaction, a rewrite shows as a new relfilenode, and a scan as a sequential scan counted in
// pg_stat_get_xact_numscans. Statements that cannot run in a transaction (CONCURRENTLY, VACUUM)
// are run while another session holds the table, and pg_locks shows the mode they wait for:
// the first mode they ask for beyond a lookup's AccessShareLock, which for these is the one they hold.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, withAdmin, type TestDatabase } from '../support/db';
import {
  catalogColumnTypes,
  catalogFunctionVolatility,
  describeLocks,
  LOCK_MODES,
  resolveIndexTables,
  statementLocks,
  type TableLock,
} from '../../src/migrations/locks';

// Committed once; every transactional case rolls back, so each sees it as it is here.
const SETUP = `
CREATE TABLE t (id int PRIMARY KEY, a int, v varchar(20), n numeric(10,2), b text, ts timestamp, c cidr, arr int[]);
INSERT INTO t SELECT g, g, 'x', 1, 'y', now(), '10.0.0.0/8', '{1}' FROM generate_series(1, 3) g;
CREATE INDEX t_a_idx ON t (a);
CREATE UNIQUE INDEX t_b_key ON t (b, id);
CREATE TABLE parent (id int PRIMARY KEY);
INSERT INTO parent SELECT generate_series(1, 3);
CREATE TABLE child (id int PRIMARY KEY, parent_id int, CONSTRAINT child_pos CHECK (id > 0) NOT VALID);
INSERT INTO child SELECT g, g FROM generate_series(1, 3) g;
CREATE TABLE e (id int);
CREATE TABLE p (k int) PARTITION BY LIST (k);
CREATE TABLE p1 PARTITION OF p FOR VALUES IN (1);
CREATE TABLE p2 (k int);
CREATE MATERIALIZED VIEW mv AS SELECT id FROM t;
CREATE UNIQUE INDEX mv_id ON mv (id);
CREATE FUNCTION trg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER t_trg BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION trg();
CREATE POLICY t_pol ON t USING (true);
CREATE FUNCTION fixed() RETURNS int IMMUTABLE LANGUAGE sql AS 'SELECT 7';
CREATE FUNCTION rolled() RETURNS float8 VOLATILE LANGUAGE sql AS 'SELECT random()';
CREATE TABLE loose (id int, parent_id int);
INSERT INTO loose VALUES (-1, 99), (NULL, NULL);
ALTER TABLE loose ADD CONSTRAINT loose_pos CHECK (id > 0) NOT VALID;
ALTER TABLE loose ADD CONSTRAINT loose_parent FOREIGN KEY (parent_id) REFERENCES parent (id) NOT VALID;
`;

/** Statements that run in a transaction; each row is checked against the server. */
const IN_TRANSACTION: string[] = [
  // ALTER TABLE ... ADD COLUMN
  'ALTER TABLE t ADD COLUMN x int',
  'ALTER TABLE t ADD COLUMN x int DEFAULT 0',
  "ALTER TABLE t ADD COLUMN x jsonb NOT NULL DEFAULT '{}'::jsonb",
  'ALTER TABLE t ADD COLUMN x timestamptz DEFAULT now()',
  'ALTER TABLE t ADD COLUMN x float8 DEFAULT random()',
  'ALTER TABLE t ADD COLUMN x int DEFAULT fixed()',
  'ALTER TABLE t ADD COLUMN x int DEFAULT s.fixed() + 1',
  'ALTER TABLE t ADD COLUMN x float8 DEFAULT rolled()',
  "ALTER TABLE t ADD COLUMN x text DEFAULT lower('A')",
  'ALTER TABLE t ADD COLUMN x timestamptz DEFAULT clock_timestamp()',
  'ALTER TABLE t ADD COLUMN x uuid DEFAULT gen_random_uuid()',
  'ALTER TABLE t ADD COLUMN x bigserial',
  'ALTER TABLE t ADD COLUMN x int GENERATED ALWAYS AS IDENTITY',
  'ALTER TABLE t ADD COLUMN x int GENERATED ALWAYS AS (a * 2) STORED',
  'ALTER TABLE t ADD COLUMN x int CHECK (x > 0)',
  'ALTER TABLE t ADD COLUMN x int UNIQUE',
  'ALTER TABLE child ADD COLUMN x int REFERENCES parent (id)',
  'ALTER TABLE e ADD COLUMN x int NOT NULL',
  // constraints
  'ALTER TABLE t ALTER COLUMN a SET NOT NULL',
  'ALTER TABLE t ALTER COLUMN a DROP NOT NULL',
  'ALTER TABLE t ADD CONSTRAINT a_pos CHECK (a > 0)',
  'ALTER TABLE t ADD CONSTRAINT a_pos CHECK (a > 0) NOT VALID',
  'ALTER TABLE child ADD CONSTRAINT child_parent FOREIGN KEY (parent_id) REFERENCES parent (id)',
  'ALTER TABLE child ADD CONSTRAINT child_parent FOREIGN KEY (parent_id) REFERENCES parent (id) NOT VALID',
  'ALTER TABLE t ADD CONSTRAINT t_a_key UNIQUE (a)',
  'ALTER TABLE e ADD PRIMARY KEY (id)',
  'ALTER TABLE t ADD CONSTRAINT t_b_uq UNIQUE USING INDEX t_b_key',
  'ALTER TABLE child VALIDATE CONSTRAINT child_pos',
  'ALTER TABLE child DROP CONSTRAINT child_pos',
  // columns
  'ALTER TABLE t ALTER COLUMN a TYPE bigint',
  'ALTER TABLE t ALTER COLUMN v TYPE varchar(50)',
  'ALTER TABLE t ALTER COLUMN v TYPE varchar(10)',
  'ALTER TABLE t ALTER COLUMN v TYPE text',
  'ALTER TABLE t ALTER COLUMN b TYPE varchar',
  'ALTER TABLE t ALTER COLUMN b TYPE varchar(5)',
  'ALTER TABLE t ALTER COLUMN n TYPE numeric(12,2)',
  'ALTER TABLE t ALTER COLUMN n TYPE numeric',
  'ALTER TABLE t ALTER COLUMN n TYPE numeric(12,3)',
  'ALTER TABLE t ALTER COLUMN c TYPE inet',
  'ALTER TABLE t ALTER COLUMN arr TYPE bigint[]',
  'ALTER TABLE t ALTER COLUMN a TYPE text USING a::text',
  'ALTER TABLE t ALTER COLUMN a SET DEFAULT 1',
  'ALTER TABLE t ALTER COLUMN a DROP DEFAULT',
  'ALTER TABLE t DROP COLUMN a',
  'ALTER TABLE t ALTER COLUMN a SET STATISTICS 500',
  'ALTER TABLE t SET (fillfactor = 70)',
  'ALTER TABLE t SET (autovacuum_enabled = false)',
  'ALTER TABLE t SET UNLOGGED',
  'ALTER TABLE t OWNER TO READER',
  'ALTER TABLE t ENABLE ROW LEVEL SECURITY',
  'ALTER TABLE t DISABLE TRIGGER t_trg',
  'ALTER TABLE t CLUSTER ON t_a_idx',
  'ALTER TABLE t SET WITHOUT CLUSTER',
  'ALTER TABLE t ALTER COLUMN b SET STORAGE EXTERNAL',
  'ALTER TABLE t ALTER COLUMN n SET (n_distinct = 10)',
  'ALTER TABLE t RESET (fillfactor)',
  'ALTER TABLE t REPLICA IDENTITY FULL',
  'ALTER TABLE t ENABLE ALWAYS TRIGGER t_trg',
  'ALTER TABLE t ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY',
  'ALTER TABLE t ADD CONSTRAINT t_excl EXCLUDE USING btree (id WITH =)',
  'ALTER TABLE s.t ADD COLUMN x int, ADD COLUMN y float8 DEFAULT random()',
  // partitions
  'ALTER TABLE p ATTACH PARTITION p2 FOR VALUES IN (2)',
  'ALTER TABLE p DETACH PARTITION p1',
  'CREATE TABLE p3 PARTITION OF p FOR VALUES IN (3)',
  'CREATE TABLE kid (x int) INHERITS (e)',
  // indexes
  'CREATE INDEX t_b_idx ON t (b)',
  'CREATE UNIQUE INDEX t_id_b ON t (id, b)',
  'DROP INDEX t_a_idx',
  'REINDEX TABLE t',
  'REINDEX INDEX t_a_idx',
  'ALTER INDEX t_a_idx RENAME TO t_a_idx2',
  // renames
  'ALTER TABLE t RENAME TO t2',
  'ALTER TABLE t RENAME COLUMN a TO a2',
  'ALTER TABLE child RENAME CONSTRAINT child_pos TO child_positive',
  // whole tables
  'TRUNCATE t, e',
  'CLUSTER t USING t_a_idx',
  'REFRESH MATERIALIZED VIEW mv',
  'REFRESH MATERIALIZED VIEW CONCURRENTLY mv',
  'DROP TABLE e',
  'DROP TABLE p2, e',
  'DROP MATERIALIZED VIEW mv',
  'DROP POLICY t_pol ON t',
  'ANALYZE t',
  // triggers, policies, explicit locks
  'CREATE TRIGGER t_trg2 AFTER UPDATE ON t FOR EACH ROW EXECUTE FUNCTION trg()',
  'DROP TRIGGER t_trg ON t',
  'CREATE POLICY t_pol2 ON t USING (true)',
  'LOCK TABLE t IN SHARE MODE',
  'LOCK TABLE t IN ROW EXCLUSIVE MODE',
  'LOCK TABLE t',
  // new tables with foreign keys
  'CREATE TABLE orders (id int PRIMARY KEY, parent_id int REFERENCES parent (id))',
  'CREATE TABLE orders (id int, parent_id int, FOREIGN KEY (parent_id) REFERENCES parent (id))',
  // data
  'INSERT INTO e SELECT id FROM t',
  'UPDATE t SET b = 1',
  'DELETE FROM t',
  'SELECT * FROM t JOIN parent ON parent.id = t.id',
  'SELECT * FROM t FOR UPDATE',
  'CREATE TABLE copy AS SELECT * FROM t JOIN parent USING (id)',
  // nothing on data
  "COMMENT ON TABLE t IS 'x'",
  "COMMENT ON COLUMN t.a IS 'x'",
  'GRANT SELECT ON t TO READER',
];

// Statements that PostgreSQL refuses inside a transaction: the mode is read while they wait.
const OUTSIDE: string[] = [
  'CREATE INDEX CONCURRENTLY t_b_idx ON t (b)',
  'CREATE UNIQUE INDEX CONCURRENTLY t_id_b ON t (id, b)',
  'DROP INDEX CONCURRENTLY t_a_idx',
  'REINDEX TABLE CONCURRENTLY t',
  'VACUUM t',
  'VACUUM FULL t',
  'ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY',
];

let db: TestDatabase;
let client: pg.Client;

beforeAll(async () => {
  db = await createDatabase('locks');
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  // A role to hand a table to; roles are the server's, so one name per database.
  await client.query(`CREATE ROLE ${pg.escapeIdentifier(`${db.name}_reader`)}`);
  await client.query(`CREATE SCHEMA s; SET search_path = s; ${SETUP}`);
});

afterAll(async () => {
  await client?.end();
  await db?.drop();
  await withAdmin((c) => c.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(`${db.name}_reader`)}`));
});

const rank = (mode: string) => LOCK_MODES.indexOf(mode as (typeof LOCK_MODES)[number]);

/** The table a lock is on, as an oid: an index-flagged lock is on the index's table. */
async function oidOf(c: pg.Client, schema: string, l: TableLock): Promise<number | undefined> {
  const name = `${pg.escapeIdentifier(l.schema ?? schema)}.${pg.escapeIdentifier(l.table)}`;
  const sql = l.index
    ? 'SELECT indrelid::int AS oid FROM pg_index WHERE indexrelid = to_regclass($1)'
    : 'SELECT to_regclass($1)::int AS oid';
  return (await c.query(sql, [name])).rows[0]?.oid ?? undefined;
}

interface Seen {
  lock: string | undefined;
  file: number;
  scans: number;
}

async function seen(c: pg.Client, oid: number): Promise<Seen> {
  const { rows } = await c.query(
    `SELECT (SELECT array_agg(mode) FROM pg_locks WHERE locktype = 'relation' AND relation = $1 AND pid = pg_backend_pid() AND granted) AS modes,
            pg_relation_filenode($1::regclass)::int AS file, pg_stat_get_xact_numscans($1) AS scans`,
    [oid],
  );
  const modes: string[] = rows[0].modes ?? [];
  return { lock: modes.sort((a, b) => rank(b) - rank(a))[0], file: rows[0].file, scans: Number(rows[0].scans) };
}

/** The model for `sql`, with the catalog's column types, as `plan` would ask (the client's search_path is s). */
const model = (sql: string) =>
  statementLocks(sql, {
    columnType: catalogColumnTypes(client),
    functionVolatility: catalogFunctionVolatility(client),
  });

describe('the lock model against pg_locks, in a transaction', () => {
  it.each(IN_TRANSACTION)('%s', async (template) => {
    const sql = template.replace('READER', pg.escapeIdentifier(`${db.name}_reader`));
    const existing = (
      await client.query("SELECT array_agg(oid::int) AS oids FROM pg_class WHERE relnamespace = 's'::regnamespace")
    ).rows[0].oids;
    const locks = await model(sql);
    const oids = await Promise.all(locks.map((l) => oidOf(client, 's', l)));
    await client.query('BEGIN');
    try {
      const before = await Promise.all(oids.map((o) => seen(client, o!)));
      await client.query(sql);
      for (const [i, l] of locks.entries()) {
        expect(oids[i], `${l.table} exists`).toBeDefined();
        const after = await seen(client, oids[i]!);
        expect({ table: l.table, lock: after.lock }).toEqual({ table: l.table, lock: l.lock });
        // TRUNCATE gives the table a new, empty file: a new relfilenode, in no time.
        if (!/^TRUNCATE/.test(sql) && after.file !== null)
          expect({ table: l.table, rewrite: after.file !== before[i]!.file }).toEqual({
            table: l.table,
            rewrite: l.rewrite,
          });
        // The first table's scan is the statement's own; a referenced table is read by a plan the planner picks.
        // A constraint's validation reads the table without counting a scan: the next describe checks it by a row that breaks it.
        // TRUNCATE counts a scan of the file it replaces; DML scans or not as the planner picks, and its locks are row locks.
        if (i === 0 && !l.rewrite && !/^(SELECT|INSERT|UPDATE|DELETE|TRUNCATE)|VALIDATE/.test(sql))
          expect({ table: l.table, scan: after.scans > before[i]!.scans }).toEqual({ table: l.table, scan: l.scan });
      }
      // Every table the statement locked is in the model (leaving out AccessShareLock: plain reads of what it refers to).
      const held = await client.query(
        `SELECT c.relname FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
          WHERE l.pid = pg_backend_pid() AND l.granted AND c.relnamespace = 's'::regnamespace AND c.relkind IN ('r', 'p', 'm')
            AND l.mode NOT IN ('AccessShareLock') AND c.oid <> ALL($1::int[]) AND c.oid = ANY($2::int[])`,
        [oids.filter((o) => o !== undefined), existing],
      );
      expect(held.rows.map((r) => r.relname)).toEqual([]);
    } finally {
      await client.query('ROLLBACK');
    }
  });
});

// `loose` holds rows that break its NOT VALID constraints (and a NULL id): a statement that checks
// every row fails on them, one that does not check them succeeds.
const CHECKS_ROWS: string[] = [
  'ALTER TABLE loose VALIDATE CONSTRAINT loose_pos',
  'ALTER TABLE loose VALIDATE CONSTRAINT loose_parent',
  'ALTER TABLE loose ADD CONSTRAINT c CHECK (id > 0)',
  'ALTER TABLE loose ADD CONSTRAINT c CHECK (id > 0) NOT VALID',
  'ALTER TABLE loose ADD CONSTRAINT c FOREIGN KEY (parent_id) REFERENCES parent (id)',
  'ALTER TABLE loose ADD CONSTRAINT c FOREIGN KEY (parent_id) REFERENCES parent (id) NOT VALID',
  'ALTER TABLE loose ALTER COLUMN id SET NOT NULL',
  'ALTER TABLE loose ADD COLUMN x int NOT NULL',
  'ALTER TABLE loose ADD COLUMN x int DEFAULT 0 NOT NULL',
  'ALTER TABLE loose ADD COLUMN x int CHECK (x IS NOT NULL)',
  'ALTER TABLE loose ADD COLUMN x int REFERENCES parent (id)',
  'ALTER TABLE loose ADD COLUMN x int DEFAULT 99 REFERENCES parent (id)',
  'ALTER TABLE loose ADD PRIMARY KEY (parent_id)',
  'CREATE UNIQUE INDEX loose_one ON loose ((1))',
];

describe('a statement the model says reads every row fails on a row that breaks it', () => {
  it.each(CHECKS_ROWS)('%s', async (sql) => {
    const [l] = await model(sql);
    await client.query('BEGIN');
    const failed = await client.query(sql).then(
      () => false,
      (e: { code?: string }) => ['23502', '23503', '23505', '23514'].includes(e.code ?? '') || Promise.reject(e),
    );
    await client.query('ROLLBACK');
    expect(failed).toBe(l!.scan || l!.rewrite);
  });
});

describe('statements that cannot run in a transaction: the mode they wait for behind a held table', () => {
  it.each(OUTSIDE)('%s', async (sql) => {
    const schema = `o_${OUTSIDE.indexOf(sql)}`;
    await client.query(`CREATE SCHEMA ${schema}; SET search_path = ${schema}; ${SETUP}; SET search_path = s`);
    const [l] = await model(sql);
    const oid = await oidOf(client, schema, l!);
    const file = async () =>
      (await client.query('SELECT pg_relation_filenode($1::regclass)::int AS f', [oid])).rows[0].f;
    const before = await file();
    const holder = new pg.Client({ connectionString: db.url });
    const runner = new pg.Client({ connectionString: db.url, options: `-c search_path=${schema}` });
    await Promise.all([holder.connect(), runner.connect()]);
    try {
      // EXCLUSIVE lets through the AccessShareLock that VACUUM takes first to look the table up, and holds every stronger mode.
      await holder.query(
        `BEGIN; LOCK TABLE ${(await client.query('SELECT $1::int::regclass::text AS n', [oid])).rows[0].n} IN EXCLUSIVE MODE`,
      );
      const pid = (await runner.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      const running = runner.query(sql);
      let waiting: string | undefined;
      for (let i = 0; i < 100 && !waiting; i++) {
        const { rows } = await client.query(
          "SELECT mode FROM pg_locks WHERE pid = $1 AND relation = $2 AND NOT granted AND locktype = 'relation'",
          [pid, oid],
        );
        waiting = rows[0]?.mode;
        if (!waiting) await new Promise((r) => setTimeout(r, 50));
      }
      await holder.query('ROLLBACK');
      await running;
      expect(waiting).toBe(l!.lock);
      expect((await file()) !== before).toBe(l!.rewrite);
    } finally {
      await Promise.all([holder.end(), runner.end()]);
    }
  });
});

describe('what the model cannot read', () => {
  it('a DO block is named unknown, and indeed it can lock any table', async () => {
    const sql = "DO $$ BEGIN EXECUTE 'LOCK TABLE ' || 't'; END $$";
    const described = await describeLocks(sql);
    expect(described.locks).toEqual([]);
    expect(described.unknown).toMatch(/DO block/);
    await client.query('BEGIN');
    try {
      await client.query(sql);
      const { rows } = await client.query(
        "SELECT mode FROM pg_locks WHERE pid = pg_backend_pid() AND relation = 's.t'::regclass",
      );
      expect(rows.map((r) => r.mode)).toContain('AccessExclusiveLock');
    } finally {
      await client.query('ROLLBACK');
    }
  });

  it('a statement over every table of a schema or database is named unknown, not read as locking nothing', async () => {
    for (const sql of ['VACUUM', 'ANALYZE', 'CLUSTER', 'REINDEX SCHEMA s', 'CALL p()']) {
      const described = await describeLocks(sql);
      expect(described.locks).toEqual([]);
      expect(described.unknown, sql).toBeDefined();
    }
    expect((await describeLocks('VACUUM t')).unknown).toBeUndefined();
  });

  it("without the catalog, a function the model does not know is guessed volatile, and says so; with it, the catalog's word", async () => {
    const sql = 'ALTER TABLE t ADD COLUMN x int DEFAULT fixed()';
    expect((await statementLocks(sql))[0]).toMatchObject({
      rewrite: true,
      what: expect.stringContaining('guessed volatile'),
    });
    expect((await model(sql))[0]).toMatchObject({ rewrite: false });
  });

  it('without the column types, ALTER COLUMN TYPE is taken as a rewrite; with them, a binary-coercible change is not', async () => {
    for (const sql of [
      'ALTER TABLE t ALTER COLUMN v TYPE varchar(50)',
      'ALTER TABLE t ALTER COLUMN v TYPE text',
      'ALTER TABLE t ALTER COLUMN n TYPE numeric(12,2)',
    ]) {
      expect((await statementLocks(sql))[0]).toMatchObject({ rewrite: true });
      expect((await model(sql))[0]).toMatchObject({ rewrite: false });
    }
  });
});

describe('reading the catalog for the model', () => {
  it('resolves DROP INDEX and REINDEX INDEX to the table their index belongs to', async () => {
    for (const sql of ['DROP INDEX t_a_idx', 'DROP INDEX s.t_a_idx', 'REINDEX INDEX t_a_idx']) {
      const [l] = await resolveIndexTables(client, await statementLocks(sql));
      expect(l).toMatchObject({ schema: 's', table: 't' });
      expect(l!.index).toBeUndefined();
    }
    const [missing] = await resolveIndexTables(client, await statementLocks('DROP INDEX no_such_idx'));
    expect(missing).toMatchObject({ table: 'no_such_idx', index: true });
  });
});
