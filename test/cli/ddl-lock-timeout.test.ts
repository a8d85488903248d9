// --ddl-lock-timeout: the lock_timeout each migration statement runs under. Sub-second values are
// accepted; 0 (PostgreSQL's "wait forever") and anything unreadable are refused before connecting.
import { describe, expect, it } from 'vitest';
import { durationArg } from '../../src/cli/args';
import { test } from '../support/fixtures';
import { envFor, runCli } from '../support/cli';
import { writeMigrations } from '../support/migrations';

// The migration records the lock_timeout it ran under.
const FILES = {
  '20250101000000_probe.up.sql': "CREATE TABLE lock_setting AS SELECT current_setting('lock_timeout') AS v;",
};

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['0.5', 500],
    ['2', 2000],
    ['2s', 2000],
    ['1.5s', 1500],
    ['.25', 250],
    ['1ms', 1],
  ])('%s is %d ms', (text, ms) => {
    expect(durationArg(text, '--ddl-lock-timeout')).toBe(ms);
  });

  it.each(['0', '0s', '0ms', '0.0001', '-1', '-0.5', 'abc', '2m', '', '1e3', '99999999999'])(
    '%j is refused',
    (text) => {
      expect(() => durationArg(text, '--ddl-lock-timeout')).toThrow(
        /--ddl-lock-timeout must be a duration of at least 1ms, like 500ms, 0.5 or 2s/,
      );
    },
  );
});

describe('up --ddl-lock-timeout', () => {
  test.for([
    [['--ddl-lock-timeout', '500ms'], '500ms'],
    [['--ddl-lock-timeout=0.5'], '500ms'],
    [['-ddl-lock-timeout=1.5s'], '1500ms'],
    [[], '2s'], // the default
  ] as Array<[string[], string]>)(
    '%j runs each statement under lock_timeout %s',
    async ([flags, expected], { db, dir }) => {
      const root = await writeMigrations(dir, FILES);
      const r = await runCli(['up', ...flags], { env: { ...envFor(db.url), MIGRATIONS_DIR: root } });
      expect(r.code).toBe(0);
      const rows = await db.query('SELECT v FROM lock_setting');
      expect(rows.rows).toEqual([{ v: expected }]);
    },
  );

  test('0 (wait forever) is refused with exit 2 and one line saying what to use, and nothing runs', async ({
    db,
    dir,
  }) => {
    const root = await writeMigrations(dir, FILES);
    const r = await runCli(['up', '--ddl-lock-timeout', '0'], { env: { ...envFor(db.url), MIGRATIONS_DIR: root } });
    expect(r.code).toBe(2);
    // The target line comes first, as for every flag the run reads; then one line with the fix.
    expect(r.stderr.trim().split('\n').slice(1)).toEqual([
      'error: --ddl-lock-timeout must be a duration of at least 1ms, like 500ms, 0.5 or 2s (got "0"); ' +
        'fix: 0 would let a statement wait for its lock forever, with the application queued behind it; use e.g. --ddl-lock-timeout=500ms',
    ]);
    const state = await db.query(
      `SELECT to_regnamespace('migrate_tool') AS s, to_regclass('public.lock_setting') AS t`,
    );
    expect(state.rows[0]).toEqual({ s: null, t: null });
  });
});
