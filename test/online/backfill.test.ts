// `-- migrate:backfill` on a real server: batches by primary key, each its own transaction (seen from
// the server: a statement trigger logs the rows each transaction updated), progress that survives
// kill -9, the application's single-row updates served during it, the refusals, and one bound on
// batches over all tenant schemas.
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import { describe, expect, test } from '../support/fixtures';
import { migrate, type Event } from '../../src/index';
import { envFor, spawnCli, collect } from '../support/cli';
import { inProcess } from '../support/in-process';
import { createTenants, writeMigrations } from '../support/migrations';
import { waitForRows } from '../support/wait';
import type { TestDatabase } from '../support/db';

const TABLE = 'tenant/20250101000100_items.up.sql';
const BACKFILL = 'tenant/20250101000200_fill_c.up.sql';
const FILES = {
  [TABLE]: 'CREATE TABLE items (id bigserial PRIMARY KEY, b int NOT NULL, c text);',
  [BACKFILL]: "-- migrate:backfill\nUPDATE items SET c = 'v' || b WHERE c IS NULL;\n",
};

/** `rows` rows in `schema`.items, and a log of the rows each transaction updates there (with when its statements began and ended). */
async function seed(db: TestDatabase, schema: string, rows: number, sleepMs = 0): Promise<void> {
  await db.query(
    `CREATE TABLE IF NOT EXISTS public.batch_log (schema_name text, txid bigint, n bigint, at timestamptz DEFAULT clock_timestamp())`,
  );
  await db.query(`CREATE OR REPLACE FUNCTION public.log_batch() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_WHEN = 'BEFORE' THEN
        INSERT INTO public.batch_log (schema_name, txid, n) VALUES (TG_TABLE_SCHEMA, txid_current(), 0);
        PERFORM pg_sleep(${sleepMs / 1000});
      ELSE
        INSERT INTO public.batch_log (schema_name, txid, n) SELECT TG_TABLE_SCHEMA, txid_current(), count(*) FROM updated;
      END IF;
      RETURN NULL;
    END $$`);
  await db.query(`INSERT INTO "${schema}".items (b) SELECT g FROM generate_series(1, ${rows}) g`);
  await db.query(
    `CREATE TRIGGER log_after AFTER UPDATE ON "${schema}".items REFERENCING NEW TABLE AS updated FOR EACH STATEMENT EXECUTE FUNCTION public.log_batch()`,
  );
  await db.query(
    `CREATE TRIGGER log_before BEFORE UPDATE ON "${schema}".items FOR EACH STATEMENT EXECUTE FUNCTION public.log_batch()`,
  );
}

/** Applies the table migration only, so that rows go in before the backfill runs. */
async function tableOnly(db: TestDatabase, dir: string, schemas: string[]): Promise<string> {
  const migrationsDir = await writeMigrations(dir, FILES);
  await createTenants(db, ...schemas);
  const first = await migrate({ connection: db.url, migrationsDir, onEvent: () => {} }, { steps: 1 });
  expect(first.result?.failed).toEqual([]);
  return migrationsDir;
}

const rowsPerTransaction = async (db: TestDatabase) =>
  (
    await db.query(
      `SELECT txid, sum(n)::int AS n FROM public.batch_log GROUP BY txid HAVING sum(n) > 0 ORDER BY min(at)`,
    )
  ).rows as {
    txid: string;
    n: number;
  }[];

describe('batched backfills', () => {
  test('200,000 rows: no transaction updates more than --backfill-batch rows, every row is updated, the file is recorded', async ({
    db,
    dir,
  }) => {
    const migrationsDir = await tableOnly(db, dir, ['company_a']);
    await seed(db, 'company_a', 200_000);
    const events: Event[] = [];
    // No replica here: the lag is read before each batch and found to be none.
    const { result } = await migrate({
      connection: db.url,
      migrationsDir,
      backfillBatch: 5000,
      maxReplicaLagMs: 0,
      onEvent: (e) => events.push(e),
    });
    expect(result?.failed).toEqual([]);
    const batches = await rowsPerTransaction(db);
    expect(Math.max(...batches.map((b) => b.n))).toBeLessThanOrEqual(5000);
    expect(batches.reduce((s, b) => s + b.n, 0)).toBe(200_000); // no row twice
    expect(
      (await db.query(`SELECT count(*)::int AS n FROM company_a.items WHERE c IS NULL OR c <> 'v' || b`)).rows[0].n,
    ).toBe(0);
    expect(
      (
        await db.query(
          `SELECT 1 FROM migrate_tool.migrations WHERE schema_name = 'company_a' AND version = '20250101000200'`,
        )
      ).rowCount,
    ).toBe(1);
    expect((await db.query(`SELECT 1 FROM migrate_tool.backfills`)).rowCount).toBe(0);
    const progress = events.filter((e) => e.type === 'backfill');
    expect(progress.at(-1)).toMatchObject({ schema: 'company_a', rowsDone: 200_000 });
    expect(progress[0]).toMatchObject({ rowsDone: 0 });
    expect((progress[0] as { rowsEstimated: number }).rowsEstimated).toBeGreaterThan(100_000);
  });

  test('kill -9 mid-run keeps the rows done with their progress; the next run goes on from the kept key and records the file', async ({
    db,
    dir,
  }) => {
    const migrationsDir = await tableOnly(db, dir, ['company_a']);
    await seed(db, 'company_a', 200_000);
    const child = spawnCli(['up', '--dir', migrationsDir, '--backfill-batch', '1000', '--backfill-pause', '20'], {
      env: envFor(db.url),
    });
    const ended = collect(child, { timeoutMs: 120_000 });
    await waitForRows(db, `SELECT 1 FROM migrate_tool.backfills WHERE rows_done >= 5000`, 60_000);
    child.kill('SIGKILL');
    await ended;
    const kept = (await db.query(`SELECT rows_done::int AS n, last_key FROM migrate_tool.backfills`)).rows[0] as {
      n: number;
      last_key: string[];
    };
    expect(kept.n).toBeGreaterThan(0);
    expect(kept.n).toBeLessThan(200_000);
    // The progress row committed with its batch: exactly the rows done, all at or below the kept key.
    const done = (
      await db.query(`SELECT count(*)::int AS n, max(id)::text AS last FROM company_a.items WHERE c IS NOT NULL`)
    ).rows[0];
    expect(done).toEqual({ n: kept.n, last: kept.last_key[0] });
    expect((await db.query(`SELECT 1 FROM migrate_tool.migrations WHERE version = '20250101000200'`)).rowCount).toBe(0);

    const again = await inProcess(
      [
        'up',
        '--dir',
        migrationsDir,
        '--backfill-batch',
        '1000',
        '--max-replica-lag',
        '10s',
        '--progress-interval',
        '0.1',
      ],
      envFor(db.url),
    );
    expect(again.code).toBe(0);
    // The job log's progress line carries the rows done, from the kept count on, over the estimate.
    const shown = [...again.stderr.matchAll(/backfill ([\d,]+)\/([\d,]+) rows/g)].map((m) =>
      Number(m[1]!.replace(/,/g, '')),
    );
    expect(shown.length, again.stderr).toBeGreaterThan(0);
    expect(shown[0]).toBeGreaterThanOrEqual(kept.n);
    expect((await rowsPerTransaction(db)).reduce((s, b) => s + b.n, 0)).toBe(200_000); // the done batches were not redone
    expect((await db.query(`SELECT count(*)::int AS n FROM company_a.items WHERE c IS NULL`)).rows[0].n).toBe(0);
    expect((await db.query(`SELECT 1 FROM migrate_tool.migrations WHERE version = '20250101000200'`)).rowCount).toBe(1);
  });

  test("the application's single-row updates go on during the backfill (worst latency under 500 ms)", async ({
    db,
    dir,
  }) => {
    const migrationsDir = await tableOnly(db, dir, ['company_a']);
    await seed(db, 'company_a', 200_000);
    const probe = new pg.Client({ connectionString: db.url });
    await probe.connect();
    let running = true;
    const latencies: number[] = [];
    const probing = (async () => {
      while (running) {
        const started = performance.now();
        await probe.query(`UPDATE company_a.items SET b = b WHERE id = $1`, [1 + Math.floor(Math.random() * 200_000)]);
        latencies.push(performance.now() - started);
        await delay(20);
      }
    })();
    try {
      const { result } = await migrate({ connection: db.url, migrationsDir });
      expect(result?.failed).toEqual([]);
    } finally {
      running = false;
      await probing;
      await probe.end();
    }
    expect(latencies.length).toBeGreaterThan(5);
    expect(Math.max(...latencies)).toBeLessThan(500);
  });

  test('a composite primary key of text and uuid: batches follow the key, every row once', async ({ db, dir }) => {
    const migrationsDir = await writeMigrations(dir, {
      [TABLE]:
        'CREATE TABLE items (region text, id uuid DEFAULT gen_random_uuid(), b int NOT NULL, c text, PRIMARY KEY (region, id));',
      [BACKFILL]: FILES[BACKFILL],
    });
    await createTenants(db, 'company_a');
    await migrate({ connection: db.url, migrationsDir }, { steps: 1 });
    await db.query(`INSERT INTO company_a.items (region, b) SELECT 'r' || (g % 7), g FROM generate_series(1, 5000) g`);
    await seed(db, 'company_a', 0);
    const { result } = await migrate({ connection: db.url, migrationsDir, backfillBatch: 700 });
    expect(result?.failed).toEqual([]);
    const batches = (await rowsPerTransaction(db)).map((b) => b.n);
    expect(Math.max(...batches)).toBeLessThanOrEqual(700);
    expect(batches.reduce((s, n) => s + n, 0)).toBe(5000);
    expect((await db.query(`SELECT count(*)::int AS n FROM company_a.items WHERE c IS NULL`)).rows[0].n).toBe(0);
  });

  test('a row the application holds is passed over, then taken by a second pass once it is free', async ({
    db,
    dir,
  }) => {
    const migrationsDir = await tableOnly(db, dir, ['company_a']);
    await seed(db, 'company_a', 20_000);
    const app = new pg.Client({ connectionString: db.url });
    await app.connect();
    try {
      await app.query('BEGIN');
      await app.query('SELECT 1 FROM company_a.items WHERE id = 10 FOR UPDATE');
      const running = migrate({ connection: db.url, migrationsDir, backfillBatch: 1000 });
      await waitForRows(db, `SELECT 1 FROM migrate_tool.backfills WHERE rows_done >= 19999`);
      await app.query('COMMIT');
      const { result } = await running;
      expect(result?.failed).toEqual([]);
    } finally {
      await app.end();
    }
    const batches = (await rowsPerTransaction(db)).map((b) => b.n);
    expect(batches.at(-1)).toBe(1); // the held row, alone, after every other batch
    expect(batches.reduce((s, n) => s + n, 0)).toBe(20_000);
    expect((await db.query(`SELECT c FROM company_a.items WHERE id = 10`)).rows[0].c).toBe('v10');
  });

  test.for([
    [
      'two statements',
      "UPDATE items SET c = 'x' WHERE c IS NULL; UPDATE items SET b = 0 WHERE b IS NULL;",
      /holds 2 statements/,
    ],
    [
      'a predicate that does not exclude updated rows',
      "UPDATE items SET c = 'x' WHERE b > 0;",
      /names none of the columns its SET writes/,
    ],
  ] as const)('refused before anything runs: %s', async ([, sql, why], { db, dir }) => {
    const migrationsDir = await writeMigrations(
      dir,
      { [TABLE]: FILES[TABLE], [BACKFILL]: `-- migrate:backfill\n${sql}\n` },
      { sum: false },
    );
    await createTenants(db, 'company_a');
    const r = await inProcess(['up', '--dir', migrationsDir], envFor(db.url));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(why);
    expect((await db.query(`SELECT to_regclass('company_a.items') AS t`)).rows[0].t).toBeNull();
  });

  test('refused on a table without a primary key: nothing updated, nothing recorded', async ({ db, dir }) => {
    const migrationsDir = await writeMigrations(dir, {
      [TABLE]: 'CREATE TABLE items (id bigint, b int, c text);',
      [BACKFILL]: FILES[BACKFILL],
    });
    await createTenants(db, 'company_a');
    await migrate({ connection: db.url, migrationsDir }, { steps: 1 });
    await db.query(`INSERT INTO company_a.items (id, b) SELECT g, g FROM generate_series(1, 100) g`);
    const { result } = await migrate({ connection: db.url, migrationsDir });
    expect(result?.failed[0]?.error).toMatch(
      /items has no primary key in company_a.*add one, or remove -- migrate:backfill/,
    );
    expect((await db.query(`SELECT count(*)::int AS n FROM company_a.items WHERE c IS NULL`)).rows[0].n).toBe(100);
  });

  test('over tenant schemas, batches share one bound: never more at once than backfillConcurrency', async ({
    db,
    dir,
  }) => {
    const schemas = ['company_a', 'company_b', 'company_c', 'company_d'];
    const migrationsDir = await tableOnly(db, dir, schemas);
    for (const s of schemas) await seed(db, s, 6000, 30);
    const { result } = await migrate({
      connection: db.url,
      migrationsDir,
      concurrency: 4,
      backfillBatch: 1000,
      backfillConcurrency: 2,
    });
    expect(result?.failed).toEqual([]);
    const spans = (
      await db.query(`SELECT min(at) AS a, max(at) AS b FROM public.batch_log GROUP BY txid HAVING sum(n) > 0`)
    ).rows as { a: Date; b: Date }[];
    expect(spans.length).toBe(24);
    // The most transactions open at one instant, from their first and last statement times.
    const points = spans
      .flatMap((s) => [
        { t: +s.a, d: 1 },
        { t: +s.b, d: -1 },
      ])
      .sort((x, y) => x.t - y.t || x.d - y.d);
    let [open, most] = [0, 0];
    for (const p of points) most = Math.max(most, (open += p.d));
    expect(most).toBeLessThanOrEqual(2);
    expect(most).toBe(2); // the bound is shared, not one at a time per run
  });
});
