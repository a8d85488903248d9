// The backfill file read with PostgreSQL's parser: what can run in batches, and what is refused before any server is touched.
import { describe, expect, test } from 'vitest';
import { batchSql, parseBackfill, type BackfillUpdate } from '../../src/migrations/backfill-sql';
import { splitSql } from '../../src/migrations/sql-split';

describe('backfill files', () => {
  test('the marker is read in the leading comments only', () => {
    expect(splitSql('-- migrate:backfill\nUPDATE t SET c = 1 WHERE c IS NULL;').backfillMarkers).toEqual([1]);
    expect(splitSql('UPDATE t SET c = 1 WHERE c IS NULL;\n-- migrate:backfill\n').backfillMarkers).toEqual([]);
  });

  test('an UPDATE is cut into its table, SET list and predicate, whatever parentheses and subqueries hold', async () => {
    const u = (await parseBackfill(
      "-- migrate:backfill\nUPDATE ONLY app.items AS i SET c = (SELECT 'x' WHERE true), d = i.b\n WHERE i.c IS NULL AND b > 0;\n",
    )) as BackfillUpdate;
    expect(u).toEqual({
      target: 'ONLY app.items AS i',
      schema: 'app',
      table: 'items',
      set: "c = (SELECT 'x' WHERE true), d = i.b",
      predicate: 'i.c IS NULL AND b > 0',
    });
  });

  test.each([
    ['two statements', 'UPDATE t SET c = 1 WHERE c IS NULL; UPDATE t SET d = 1 WHERE d IS NULL;', /holds 2 statements/],
    ['not an UPDATE', 'DELETE FROM t WHERE c IS NULL;', /is not an UPDATE/],
    ['no WHERE', 'UPDATE t SET c = 1;', /has no WHERE/],
    [
      'a predicate that does not exclude updated rows',
      'UPDATE t SET c = 1 WHERE d > 0;',
      /names none of the columns its SET writes/,
    ],
    ['FROM', 'UPDATE t SET c = o.c FROM o WHERE t.c IS NULL AND o.id = t.id;', /FROM/],
  ])('refused: %s', async (_what, sql, why) => {
    const problem = await parseBackfill(sql);
    expect(typeof problem).toBe('string');
    expect(problem).toMatch(why);
  });

  test('a batch locks the next rows after the kept key, in key order, and returns the count and last key', () => {
    const u = { target: 't', table: 't', set: 'c = 1', predicate: 'c IS NULL' };
    const sql = batchSql(
      u,
      [
        { name: 'a', type: 'integer' },
        { name: 'b', type: 'uuid' },
      ],
      500,
      true,
    );
    expect(sql).toContain('("a", "b") > (($1::text[])[1]::integer, ($1::text[])[2]::uuid)');
    expect(sql).toContain('ORDER BY "a", "b" LIMIT 500 FOR UPDATE SKIP LOCKED');
    expect(batchSql(u, [{ name: 'a', type: 'integer' }], 10, false)).not.toContain('SKIP LOCKED');
  });
});
