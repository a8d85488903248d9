// How fast this server rewrites, scans and indexes a table, measured once per `plan` on a scratch
// temporary table of a few MB, in a transaction that is rolled back: nothing is kept, not even the
// temporary table. `plan` scales these rates by each table's size for the time a lock is held.
// What the figures are not: a temporary table skips the WAL and lives in the session's own buffers,
// so a real table (WAL, shared buffers, a cold cache, more indexes) is usually slower; and a table
// far larger than memory is read from disk. They give the order of magnitude, not a promise.
import { withTransaction, type TransactionClient } from './transaction';

export interface Calibration {
  /** A statement that reads no rows: the catalog change and its commit. */
  catalogMs: number;
  /** Milliseconds per byte of the table (pg_table_size) for each kind of work under the lock. */
  rewriteMsPerByte: number;
  scanMsPerByte: number;
  indexMsPerByte: number;
  /** The scratch table's size; 0 when the server refused the scratch table and the defaults below stand. */
  sampleBytes: number;
}

/** Used when the scratch table cannot be made (no TEMP privilege, a read-only server): 100, 400 and 200 MB/s. */
export const DEFAULT_CALIBRATION: Calibration = {
  catalogMs: 5,
  rewriteMsPerByte: 1000 / 100e6,
  scanMsPerByte: 1000 / 400e6,
  indexMsPerByte: 1000 / 200e6,
  sampleBytes: 0,
};

/** Rows in the scratch table: about 6 MB with its primary key. */
const SAMPLE_ROWS = 60_000;

interface Client extends TransactionClient {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- pg's rows are untyped
  query(sql: string, params?: unknown[]): Promise<{ rows: any[] }>;
}

/** Times one statement of each kind on a scratch temporary table, rolled back afterwards. */
export async function calibrate(client: Client): Promise<Calibration> {
  return withTransaction(
    client,
    async () => {
      const t = 'migrate_tool_calibration';
      await client.query(`CREATE TEMP TABLE ${t} (id bigint PRIMARY KEY, n integer, s text) ON COMMIT DROP`);
      await client.query(`INSERT INTO ${t} SELECT g, g, md5(g::text) FROM generate_series(1, ${SAMPLE_ROWS}) g`);
      const bytes = Number((await client.query(`SELECT pg_table_size('${t}'::regclass) AS b`)).rows[0].b);
      const catalogMs = await timed(client, `ALTER TABLE ${t} ADD COLUMN c integer`);
      const scan = await timed(client, `ALTER TABLE ${t} ALTER COLUMN n SET NOT NULL`);
      const rewrite = await timed(client, `ALTER TABLE ${t} ALTER COLUMN n TYPE bigint`);
      const index = await timed(client, `CREATE INDEX ON ${t} (s)`);
      const rate = (ms: number) => Math.max(ms - catalogMs, 0.01) / bytes;
      return { catalogMs, rewriteMsPerByte: rate(rewrite), scanMsPerByte: rate(scan), indexMsPerByte: rate(index), sampleBytes: bytes };
    },
    { rollback: true },
  );
}

async function timed(client: Client, sql: string): Promise<number> {
  const start = performance.now();
  await client.query(sql);
  return performance.now() - start;
}
