// The blocker check: before a statement that needs a lock stronger than RowExclusiveLock on an
// existing table, `up` waits while another session holds or waits for a conflicting lock on it,
// without sending the statement; after the blocker timeout that schema fails, clean, naming the
// blocker, and the others go on. lock_timeout and its retries stay for a blocker arriving later.
import pg from 'pg';
import { describe, expect, test } from '../support/fixtures';
import { migrate, type EngineOptions, type MigrationEvent } from '../../src/index';
import { envFor } from '../support/cli';
import { inProcess } from '../support/in-process';
import { createTenants, writeMigrations, type Files } from '../support/migrations';
import type { TestDatabase } from '../support/db';

const BASE: Files = {
  'tenant/20250101000100_t.up.sql': 'CREATE TABLE t (id int PRIMARY KEY);\nINSERT INTO t VALUES (1);',
};
const ALTER: Files = {
  ...BASE,
  // Two statements: a blocked schema must have neither.
  'tenant/20250101000200_alter.up.sql': 'CREATE TABLE u (id int);\nALTER TABLE t ADD COLUMN x int;',
};

/** An application session, with its own name, as pg_stat_activity shows it. */
async function appSession(db: TestDatabase): Promise<pg.Client & { pid: number }> {
  const c = new pg.Client({ connectionString: db.url, application_name: 'billing-app' });
  await c.connect();
  c.on('error', () => {});
  const pid = (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  return Object.assign(c, { pid });
}

/** Resolves with what `find` returns once it returns something (polled: the engine pushes events as it goes). */
async function eventually<T>(find: () => T | undefined, what: string, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function columns(db: TestDatabase, schema: string, table: string): Promise<string[]> {
  const r = await db.query(
    'SELECT attname FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attnum',
    [`${schema}.${table}`],
  );
  return r.rows.map((x) => x.attname);
}

async function setUp(db: TestDatabase, dir: string, files: Files, tenants = ['company_a', 'company_b', 'company_c']) {
  const migrationsDir = await writeMigrations(dir, files);
  await createTenants(db, ...tenants);
  const events: MigrationEvent[] = [];
  const options: EngineOptions = {
    connection: db.url,
    migrationsDir,
    onEvent: (e) => events.push(e),
    ddlLockTimeoutMs: 200,
  };
  await migrate(options, { steps: 1 });
  return { options, events };
}

describe('a session holding a tenant table', () => {
  test('fails that schema after the blocker timeout, clean and naming the pid; the others are migrated; a re-run finishes it', async ({
    db,
    dir,
  }) => {
    const { options, events } = await setUp(db, dir, ALTER);
    const app = await appSession(db);
    try {
      await app.query('BEGIN');
      await app.query('SELECT count(*) FROM company_b.t'); // AccessShareLock, held until COMMIT
      const { result } = await migrate({ ...options, blockerTimeoutMs: 1_000 });
      expect(result!.done.map((d) => d.schema).sort()).toEqual(['company_a', 'company_c']);
      expect(result!.failed).toHaveLength(1);
      const f = result!.failed[0]!;
      expect(f).toMatchObject({ schema: 'company_b', version: '20250101000200', transient: true });
      expect(f.dirty).toBeUndefined();
      expect(f.error).toContain(`pid ${app.pid} (billing-app, idle in transaction`);
      expect(f.error).toContain('holds AccessShareLock on company_b.t');
      expect(f.error).toContain('nothing was changed in company_b');
      expect(f.advice).toContain(
        `end that session (SELECT pg_terminate_backend(${app.pid})) or let it finish, then re-run migrate()`,
      );
      expect(await columns(db, 'company_b', 't')).toEqual(['id']);
      expect(await columns(db, 'company_b', 'u')).toEqual([]); // nothing of the file
      expect(await columns(db, 'company_a', 't')).toEqual(['id', 'x']);
      const waits = events.filter((e) => e.type === 'blocker:waiting');
      expect(waits.length).toBeGreaterThan(0);
      expect(waits[0]).toMatchObject({
        schema: 'company_b',
        table: 'company_b.t',
        lock: 'AccessExclusiveLock',
        blocker: { pid: app.pid, app: 'billing-app' },
      });
    } finally {
      await app.query('COMMIT').catch(() => {});
      await app.end();
    }
    const again = await migrate({ ...options, blockerTimeoutMs: 1_000 });
    expect(again.result!.done.map((d) => d.schema)).toEqual(['company_b']);
    expect(await columns(db, 'company_b', 't')).toEqual(['id', 'x']);
  });

  test('while it blocks the ALTER is never sent (nothing of the tool waits on a lock); when it ends the ALTER proceeds', async ({
    db,
    dir,
  }) => {
    const { options, events } = await setUp(db, dir, ALTER, ['company_a']);
    const app = await appSession(db);
    const probe = await appSession(db);
    try {
      await app.query('BEGIN; LOCK TABLE company_a.t IN ACCESS SHARE MODE');
      const run = migrate(options); // the default blocker timeout (60 s)
      run.catch(() => {}); // awaited below; a failure before that must not go unhandled
      await eventually(() => events.find((e) => e.type === 'blocker:waiting'), 'the blocker:waiting event');
      // The application's reads go through, and no session of this database waits on a lock.
      await probe.query("SET statement_timeout = '10s'");
      for (let i = 0; i < 5; i++) {
        expect((await probe.query('SELECT count(*)::int AS n FROM company_a.t')).rows[0].n).toBe(1);
        const waiting = await probe.query(
          "SELECT pid, query FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        );
        expect(waiting.rows).toEqual([]);
        await new Promise((r) => setTimeout(r, 100));
      }
      await app.query('COMMIT');
      const { result } = await run;
      expect(result!.failed).toEqual([]);
      expect(result!.done.map((d) => d.schema)).toEqual(['company_a']);
      expect(await columns(db, 'company_a', 't')).toEqual(['id', 'x']);
    } finally {
      await app.query('COMMIT').catch(() => {});
      await Promise.all([app.end(), probe.end()]);
    }
  });

  test('a blocker arriving after the check meets lock_timeout and the retry, whose check then waits for it', async ({
    db,
    dir,
  }) => {
    // The first statement runs until the test says go (a DO block: the lock model does not read it),
    // so the blocker arrives after the check, whatever the machine's speed.
    const files: Files = {
      ...BASE,
      'tenant/20250101000200_late.up.sql':
        'DO $$BEGIN WHILE NOT EXISTS (SELECT FROM public.go) LOOP PERFORM pg_sleep(0.05); END LOOP; END$$;\nALTER TABLE t ADD COLUMN x int;',
    };
    const { options, events } = await setUp(db, dir, files, ['company_a']);
    await db.query('CREATE TABLE public.go (ok int)');
    const app = await appSession(db);
    try {
      const run = migrate({ ...options, lockRetries: 8 });
      run.catch(() => {}); // awaited below; a failure before that must not go unhandled
      await waitFor(
        db,
        "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%WHILE NOT EXISTS%' AND pid <> pg_backend_pid() AND state = 'active'",
      );
      await app.query('BEGIN; LOCK TABLE company_a.t IN ACCESS SHARE MODE');
      await db.query('INSERT INTO public.go VALUES (1)');
      await eventually(() => events.find((e) => e.type === 'retry'), 'a retry after lock_timeout');
      const wait = await eventually(
        () => events.find((e) => e.type === 'blocker:waiting'),
        'the retry waiting for the blocker',
      );
      expect(wait).toMatchObject({ schema: 'company_a', blocker: { pid: app.pid } });
      await app.query('COMMIT');
      const { result } = await run;
      expect(result!.failed).toEqual([]);
      expect(await columns(db, 'company_a', 't')).toEqual(['id', 'x']);
    } finally {
      await app.query('COMMIT').catch(() => {});
      await app.end();
    }
  });

  test('statements needing RowExclusiveLock at most, and CREATE TABLE, are not held up by it; the file after them is', async ({
    db,
    dir,
  }) => {
    const files: Files = {
      ...BASE,
      'tenant/20250101000200_rows.up.sql':
        'INSERT INTO t VALUES (2);\nUPDATE t SET id = id + 10;\nCREATE TABLE u (id int);',
      'tenant/20250101000300_alter.up.sql': 'ALTER TABLE t ADD COLUMN x int;',
    };
    const { options, events } = await setUp(db, dir, files, ['company_a']);
    const app = await appSession(db);
    try {
      await app.query('BEGIN');
      await app.query('SELECT count(*) FROM company_a.t');
      const { result } = await migrate({ ...options, blockerTimeoutMs: 1_000, lockRetries: 0 });
      expect(result!.done.map((d) => d.version)).toEqual(['20250101000200']);
      expect(result!.failed.map((f) => [f.version, f.error.includes(`pid ${app.pid}`)])).toEqual([
        ['20250101000300', true],
      ]);
      expect(
        events
          .filter((e) => e.type === 'blocker:waiting')
          .every((e) => e.type === 'blocker:waiting' && e.version === '20250101000300'),
      ).toBe(true);
      const rows = await db.query('SELECT id FROM company_a.t ORDER BY id');
      expect(rows.rows.map((r) => r.id)).toEqual([11, 12]);
      expect(await columns(db, 'company_a', 't')).toEqual(['id']);
    } finally {
      await app.query('COMMIT').catch(() => {});
      await app.end();
    }
  });

  test('a no-transaction file waits before its dirty mark: giving up leaves the schema clean, and a re-run finishes it', async ({
    db,
    dir,
  }) => {
    const files: Files = {
      ...BASE,
      'tenant/20250101000200_outside.up.sql':
        '-- migrate:no-transaction\nALTER TABLE t ADD COLUMN x int;\nALTER TABLE t ADD COLUMN y int;',
    };
    const { options } = await setUp(db, dir, files, ['company_a']);
    const app = await appSession(db);
    try {
      await app.query('BEGIN; LOCK TABLE company_a.t IN ROW SHARE MODE'); // as SELECT ... FOR UPDATE takes
      const { result } = await migrate({ ...options, blockerTimeoutMs: 1_000 });
      expect(result!.failed).toHaveLength(1);
      expect(result!.failed[0]!.error).toContain(`pid ${app.pid} (billing-app, idle in transaction`);
      expect(result!.failed[0]!.dirty).toBeUndefined();
      const rows = await db.query(
        `SELECT version, dirty FROM migrate_tool.migrations WHERE schema_name = 'company_a' ORDER BY version`,
      );
      expect(rows.rows).toEqual([{ version: '20250101000100', dirty: false }]);
      expect(await columns(db, 'company_a', 't')).toEqual(['id']);
    } finally {
      await app.query('COMMIT').catch(() => {});
      await app.end();
    }
    const again = await migrate({ ...options, blockerTimeoutMs: 1_000 });
    expect(again.result!.failed).toEqual([]);
    expect(await columns(db, 'company_a', 't')).toEqual(['id', 'x', 'y']);
  });

  test('up --blocker-timeout: the log says who it waits for, and the failure says what to do', async ({ db, dir }) => {
    const { options } = await setUp(db, dir, ALTER, ['company_a', 'company_b']);
    const app = await appSession(db);
    try {
      await app.query('BEGIN');
      await app.query('SELECT count(*) FROM company_a.t');
      const r = await inProcess(['up', '--blocker-timeout', '1'], {
        ...envFor(db.url),
        MIGRATIONS_DIR: options.migrationsDir,
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(
          `company_a: waiting for pid ${app.pid} \\(billing-app, idle in transaction \\d+ s\\) on company_a\\.t`,
        ),
      );
      expect(r.stderr + r.stdout).toContain(
        `fix: end that session (SELECT pg_terminate_backend(${app.pid})) or let it finish, then re-run \`migrate-tool up\`; --blocker-timeout sets how long a run waits for it`,
      );
      expect(await columns(db, 'company_b', 't')).toEqual(['id', 'x']);
    } finally {
      await app.query('COMMIT').catch(() => {});
      await app.end();
    }
  });
});

async function waitFor(db: TestDatabase, sql: string, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if ((await db.query(sql)).rowCount) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for: ${sql}`);
}
