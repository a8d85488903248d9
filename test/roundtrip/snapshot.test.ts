// The catalog snapshot: what it sees, what it leaves out, and how differences read.
import { describe, expect, test } from '../support/fixtures';
import { takeSnapshot } from '../../src/db/catalog';
import { compareSnapshots, describeDifferences } from '../../src/db/catalog-differences';

describe('snapshot', () => {
  test('covers tables, columns, defaults, constraints, indexes, enums, sequences and functions, not the state schema', async ({
    db,
  }) => {
    await db.query(`
      CREATE SCHEMA migrate_tool; CREATE TABLE migrate_tool.migrations (v text);
      CREATE SCHEMA company_a;
      CREATE TYPE company_a.status AS ENUM ('new', 'done');
      CREATE TABLE company_a.jobs (id serial PRIMARY KEY, s company_a.status NOT NULL DEFAULT 'new', n int CHECK (n > 0));
      CREATE INDEX jobs_s_idx ON company_a.jobs (s);
      CREATE FUNCTION company_a.f() RETURNS int LANGUAGE sql AS 'SELECT 1';`);
    const snap = await takeSnapshot({ query: (sql: string) => db.query(sql) });
    expect(snap.has('migrate_tool')).toBe(false);
    const a = snap.get('company_a')!;
    expect(a.get('table jobs')).toBe('');
    expect(a.get('column jobs.s')).toBe("status not null default 'new'::status");
    expect(a.get('column jobs.id')).toBe("integer not null default nextval('jobs_id_seq'::regclass)");
    expect(a.get('constraint jobs.jobs_n_check')).toBe('CHECK ((n > 0))');
    expect(a.get('index jobs.jobs_s_idx')).toBe('CREATE INDEX jobs_s_idx ON jobs USING btree (s)');
    expect(a.get('enum status')).toBe("'new', 'done'");
    expect(a.get('sequence jobs_id_seq')).toMatch(/^integer start 1 increment 1 .* owned by jobs\.id$/);
    expect(a.has('function f()')).toBe(true);
  });

  test('differences read as +, - and ~, and schemas that differ alike are named together', async ({ db }) => {
    await db.query('CREATE SCHEMA s1; CREATE SCHEMA s2; CREATE TABLE s1.t (a int); CREATE TABLE s2.t (a int);');
    const q = { query: (sql: string) => db.query(sql) };
    const before = await takeSnapshot(q);
    await db.query(
      'CREATE TABLE s1.extra (id int PRIMARY KEY); CREATE TABLE s2.extra (id int PRIMARY KEY); ALTER TABLE s1.t ALTER COLUMN a SET NOT NULL',
    );
    const diffs = compareSnapshots(before, await takeSnapshot(q));
    expect(describeDifferences(diffs)).toEqual([
      's1: ~ column t.a: expected integer, found integer not null',
      's1: + table extra (should not be there; 1 column, 1 constraint, 1 index)',
      's2: + table extra (should not be there; 1 column, 1 constraint, 1 index)',
    ]);
    await db.query('ALTER TABLE s1.t ALTER COLUMN a DROP NOT NULL');
    expect(describeDifferences(compareSnapshots(before, await takeSnapshot(q)))).toEqual([
      's1, s2: + table extra (should not be there; 1 column, 1 constraint, 1 index)',
    ]);
  });
});
