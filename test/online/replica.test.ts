// --max-replica-lag against a real streaming replica (pg_basebackup -R of a primary of the test's
// own): with replay paused on the replica, a backfill stops sending batches; once replay resumes it
// goes on as soon as the replica has replayed its batches, without waiting for pg_stat_replication's
// replay_lag, which keeps reading the old lag for seconds once nothing new is written. A role that
// cannot read the replicas' positions is told that the pause is not applied.
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { migrate, type Event } from '../../src/index';
import { describe, expect, test } from '../support/fixtures';
import { writeMigrations } from '../support/migrations';
import { notRun } from '../support/not-run';
import { ownServerMissing, startOwnServer, startReplica, type OwnServer } from '../support/own-server';

const FILES = {
  'tenant/20250101000100_items.up.sql': 'CREATE TABLE items (id bigserial PRIMARY KEY, b int NOT NULL, c text);',
  'tenant/20250101000200_fill_c.up.sql': "-- migrate:backfill\nUPDATE items SET c = 'v' || b WHERE c IS NULL;\n",
};
const ROWS = 100_000;
const LIMIT_MS = 300;

const withClient = async <T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> => {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
};

const inDatabase = (url: string, database: string) => Object.assign(new URL(url), { pathname: `/${database}` }).href;

describe.skipIf(Boolean(ownServerMissing))(notRun('a primary and its streaming replica', ownServerMissing), () => {
  let primary: OwnServer;
  let replica: OwnServer;
  beforeAll(async () => {
    primary = await startOwnServer({ fsync: 'off' });
    replica = await startReplica(primary);
  }, 60_000);
  afterAll(async () => {
    await replica?.stop();
    await primary?.stop();
  });

  /** A database on the primary with company_a.items holding ROWS rows, the backfill pending; replayed on the replica. */
  async function pendingBackfill(name: string, dir: string): Promise<{ url: string; migrationsDir: string }> {
    await withClient(primary.url, (c) => c.query(`CREATE DATABASE ${name}`));
    const url = inDatabase(primary.url, name);
    await withClient(url, (c) => c.query('CREATE SCHEMA company_a'));
    const migrationsDir = await writeMigrations(dir, FILES);
    await migrate({ connection: url, migrationsDir, onEvent: () => {} }, { steps: 1 });
    await withClient(url, (c) =>
      c.query(`INSERT INTO company_a.items (b) SELECT g FROM generate_series(1, ${ROWS}) g`),
    );
    await caughtUp();
    return { url, migrationsDir };
  }

  /** Resolves once the replica has replayed everything the primary has written. */
  async function caughtUp(): Promise<void> {
    for (;;) {
      const behind = await withClient(primary.url, async (c) => {
        const r = await c.query(
          `SELECT coalesce(bool_or(replay_lsn IS NULL OR replay_lsn < pg_current_wal_lsn()), true) AS behind FROM pg_stat_replication`,
        );
        return r.rows[0].behind as boolean;
      });
      if (!behind) return;
      await delay(50);
    }
  }

  test('with replay paused the backfill sends no batch; once the replica has replayed, it goes on at once', async ({
    dir,
  }) => {
    const { url, migrationsDir } = await pendingBackfill('paced', dir);
    const events: Event[] = [];
    const rowsDone = () => events.filter((e) => e.type === 'backfill').at(-1)?.rowsDone ?? 0;
    await withClient(replica.url, (c) => c.query('SELECT pg_wal_replay_pause()'));
    const run = migrate({
      connection: url,
      migrationsDir,
      backfillBatch: 500,
      backfillPauseMs: 20,
      maxReplicaLagMs: LIMIT_MS,
      onEvent: (e) => events.push(e),
    });
    const paused = () => events.some((e) => e.type === 'note' && e.message.startsWith('backfill paused'));
    while (!paused()) await delay(20);
    const atPause = rowsDone();
    expect(atPause).toBeLessThan(ROWS);
    await delay(2000);
    expect(rowsDone(), 'no batch is sent while the replica replays nothing').toBe(atPause);

    await withClient(replica.url, (c) => c.query('SELECT pg_wal_replay_resume()'));
    const resumed = performance.now();
    while (rowsDone() === atPause) await delay(10);
    const wentOnAfterMs = performance.now() - resumed;
    const { result } = await run;
    expect(result?.failed).toEqual([]);
    expect(rowsDone()).toBe(ROWS);
    const left = await withClient(url, (c) =>
      c.query('SELECT count(*)::int AS n FROM company_a.items WHERE c IS NULL'),
    );
    expect(left.rows[0].n).toBe(0);
    // replay_lag reads the lag of the last sample it measured until new WAL reaches the replica (about
    // 10 s on PostgreSQL 15 once nothing is written); the next batch must not wait for it.
    expect(wentOnAfterMs).toBeLessThan(5000);
  }, 120_000);

  test('a role that cannot read the replicas positions backfills, and is told the pause is not applied', async ({
    dir,
  }) => {
    const { url, migrationsDir } = await pendingBackfill('unseen', dir);
    const password = decodeURIComponent(new URL(primary.url).password);
    await withClient(url, async (c) => {
      await c.query(`CREATE ROLE app LOGIN PASSWORD ${pg.escapeLiteral(password)}`);
      await c.query('GRANT ALL ON DATABASE unseen TO app');
      await c.query('GRANT ALL ON SCHEMA company_a, migrate_tool TO app');
      await c.query('GRANT ALL ON ALL TABLES IN SCHEMA company_a, migrate_tool TO app');
      await c.query('GRANT ALL ON ALL SEQUENCES IN SCHEMA company_a, migrate_tool TO app');
    });
    const asApp = Object.assign(new URL(url), { username: 'app' }).href;
    const events: Event[] = [];
    const { result } = await migrate({
      connection: asApp,
      migrationsDir,
      backfillBatch: 20_000,
      maxReplicaLagMs: LIMIT_MS,
      onEvent: (e) => events.push(e),
    });
    expect(result?.failed).toEqual([]);
    expect(events).toContainEqual({
      type: 'note',
      message: `--max-replica-lag is not applied: this role cannot read the replicas' positions in pg_stat_replication; grant it pg_monitor`,
    });
  }, 120_000);
});
