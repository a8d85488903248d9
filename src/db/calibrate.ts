// How fast this server rewrites, scans and indexes a table, measured once per `plan` on a scratch
// table of a few MB, in a transaction that is rolled back: nothing is kept, not even the table.
// `plan` scales these rates by each table's size for the time a lock is held.
// The scratch table is an ordinary one in the state schema where it can be, so that it writes the
// WAL and goes through shared buffers as a real table does; where it cannot (no state schema yet, no
// CREATE on it) it is a temporary table, which skips both and so measures a rewrite as faster than it
// is. What the figures are not: a real table may have a cold cache, more indexes, or be far larger
// than memory and read from disk. They give the order of magnitude, not a promise.
import { STATE_SCHEMA } from '../config/reserved';
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
  const measured = await withTransaction(
    client,
    async () => {
      const t = await scratchTable(client);
      await client.query(`INSERT INTO ${t} SELECT g, g, md5(g::text) FROM generate_series(1, ${SAMPLE_ROWS}) g`);
      const bytes = Number((await client.query(`SELECT pg_table_size('${t}'::regclass) AS b`)).rows[0].b);
      const catalogMs = await median(
        () => timed(client, `ALTER TABLE ${t} ALTER COLUMN c SET DEFAULT 0`),
        client,
        `ALTER TABLE ${t} ADD COLUMN c integer`,
      );
      // A scan's time is a few ms here, as small as a catalog change's: timed as a plain read of
      // every row (what SET NOT NULL or a CHECK does under its lock). Each figure is the median of
      // three, so that one slow moment of a busy server does not decide it.
      const scan = await median(() => timed(client, `SELECT count(*) FROM ${t} WHERE n IS NULL OR s IS NULL`));
      const types = ['bigint', 'integer', 'bigint'];
      const rewrite = await median(() => timed(client, `ALTER TABLE ${t} ALTER COLUMN n TYPE ${types.pop()}`));
      const index = await median(() => timed(client, `CREATE INDEX ON ${t} (n)`));
      const rate = (ms: number) => Math.max(ms, 0.01) / bytes;
      return {
        catalogMs,
        rewriteMsPerByte: rate(rewrite - catalogMs),
        scanMsPerByte: rate(scan),
        indexMsPerByte: rate(index),
        sampleBytes: bytes,
      };
    },
    { rollback: true },
  );
  // A migration's statement ends with a commit the rolled-back scratch work never paid: one that
  // writes nothing but its own commit record (as change.ts's flush does) gives its time.
  const commitMs = await timed(client, 'SELECT txid_current()');
  return { ...measured, catalogMs: measured.catalogMs + commitMs };
}
/** An ordinary table in the state schema if this session may create one there, else a temporary one. */
async function scratchTable(client: Client): Promise<string> {
  const columns = '(id bigint PRIMARY KEY, n integer, s text)';
  const ordinary = `${STATE_SCHEMA}.calibration_scratch`;
  const { rows } = await client.query(
    `SELECT has_schema_privilege(current_user, $1, 'CREATE') AS ok FROM pg_namespace WHERE nspname = $1`,
    [STATE_SCHEMA],
  );
  if (rows[0]?.ok) {
    await client.query(`CREATE TABLE ${ordinary} ${columns}`);
    return ordinary;
  }
  await client.query(`CREATE TEMP TABLE calibration_scratch ${columns} ON COMMIT DROP`);
  return 'calibration_scratch';
}

/** The median of three timings; `first` (when given) runs once before them, untimed. */
async function median(time: () => Promise<number>, client?: Client, first?: string): Promise<number> {
  if (client && first) await client.query(first);
  const times = [await time(), await time(), await time()];
  return times.sort((a, b) => a - b)[1]!;
}

async function timed(client: Client, sql: string): Promise<number> {
  const start = performance.now();
  await client.query(sql);
  return performance.now() - start;
}
