import { describe, expect, it } from 'vitest';
import { isNoTransaction, leadingWords, splitSql, splitStatements } from '../../src/migrations/sql-split';

const texts = (sql: string) => splitStatements(sql).map((s) => s.text);

describe('splitStatements', () => {
  it('splits on semicolons and drops empty statements and trailing comments', () => {
    expect(texts('CREATE TABLE a (id int);\n\n;  SELECT 1;\n-- done\n')).toEqual([
      'CREATE TABLE a (id int)',
      'SELECT 1',
    ]);
  });

  it('keeps semicolons inside strings, quoted identifiers and comments', () => {
    const sql = `INSERT INTO t VALUES ('a;b', 'it''s;'); SELECT "we;ird" FROM x /* c; /* nested; */ still */; -- x; y\nSELECT E'\\';';`;
    expect(texts(sql)).toEqual([
      `INSERT INTO t VALUES ('a;b', 'it''s;')`,
      `SELECT "we;ird" FROM x /* c; /* nested; */ still */`,
      `SELECT E'\\';'`,
    ]);
  });

  it('keeps dollar-quoted bodies whole, with or without a tag', () => {
    const sql = `CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\nDO $body$ BEGIN PERFORM 1; END $body$;\nSELECT $1;`;
    expect(texts(sql)).toHaveLength(3);
    expect(texts(sql)[1]).toBe('DO $body$ BEGIN PERFORM 1; END $body$');
  });

  it('keeps SQL-standard function bodies (BEGIN ATOMIC ... END) whole, CASE included', () => {
    const sql = `CREATE OR REPLACE FUNCTION g(x int) RETURNS int LANGUAGE sql
BEGIN ATOMIC
  SELECT CASE WHEN x > 0 THEN 1 ELSE 0 END;
  SELECT 2;
END;
BEGIN; SELECT 3; COMMIT;
CREATE PROCEDURE p() BEGIN ATOMIC SELECT 4; END;`;
    expect(texts(sql)).toEqual([
      expect.stringMatching(/^CREATE OR REPLACE FUNCTION g[\s\S]*SELECT 2;\nEND$/),
      'BEGIN',
      'SELECT 3',
      'COMMIT',
      'CREATE PROCEDURE p() BEGIN ATOMIC SELECT 4; END',
    ]);
  });

  it('reports the line each statement starts on', () => {
    const st = splitStatements('-- header\n\nCREATE TABLE a (id int);\n\n  ALTER TABLE a\n  ADD COLUMN b int;');
    expect(st.map((s) => s.line)).toEqual([3, 5]);
  });

  it('does not treat $ inside identifiers or parameters as a dollar quote', () => {
    expect(texts('SELECT a$b, $1 FROM t; SELECT 2')).toEqual(['SELECT a$b, $1 FROM t', 'SELECT 2']);
  });
});

describe('-- migrate:no-transaction', () => {
  it('is read anywhere in the leading comment block', () => {
    expect(isNoTransaction('-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);')).toBe(true);
    expect(isNoTransaction('--migrate:no-transaction  \r\nSELECT 1')).toBe(true);
    expect(
      isNoTransaction(
        '\ufeff-- 20250101000000_idx (tenant): runs in every tenant schema.\n\n/* why */\n-- migrate:no-transaction\nSELECT 1;',
      ),
    ).toBe(true);
  });

  it('is not read after SQL: the splitter reports where it sits instead', () => {
    expect(isNoTransaction('SELECT 1;\n-- migrate:no-transaction')).toBe(false);
    expect(isNoTransaction("SELECT '\n-- migrate:no-transaction\n';")).toBe(false);
    const { noTransactionMarkers } = splitSql(
      '-- header\nSELECT 1;\n\n-- migrate:no-transaction\nSELECT 2; -- migrate:no-transaction\n',
    );
    expect(noTransactionMarkers).toEqual({ leading: [], late: [4, 5] });
  });
});

describe('leadingWords', () => {
  it("reads a statement's first words past comments, and stops at anything else", () => {
    expect(leadingWords('CREATE /* x */ -- y\n  Extension IF NOT EXISTS pgcrypto', 2)).toEqual(['create', 'extension']);
    expect(leadingWords("SELECT 'create extension'", 3)).toEqual(['select']);
  });
});
