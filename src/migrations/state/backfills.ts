// A batched backfill's progress (migrations/backfill.ts): per schema and version, the last primary
// key done and the rows done so far. Each batch writes its row in the batch's own transaction, so a
// killed run keeps exactly the batches that committed and the next run goes on after the last one.
// The row goes when the backfill is recorded as applied, in the same transaction.
import { localSchemaDdl, refuseDistributedState } from '../../db/citus';
import type { Queryable } from '../../db/queryable';
import { STATE_SCHEMA } from './state';

export const BACKFILLS_TABLE = `${STATE_SCHEMA}.backfills`;

const DDL = `
CREATE SCHEMA IF NOT EXISTS ${STATE_SCHEMA};
CREATE TABLE IF NOT EXISTS ${BACKFILLS_TABLE} (
  schema_name text        NOT NULL,
  version     text        NOT NULL,
  last_key    text[],
  rows_done   bigint      NOT NULL DEFAULT 0,
  pass        integer     NOT NULL DEFAULT 1,
  started_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (schema_name, version)
);
COMMENT ON TABLE ${BACKFILLS_TABLE} IS 'migrate-tool: progress of batched backfills not yet recorded as applied';
`;

export interface BackfillProgress {
  /** The primary key of the last row done, its columns as text; null: this pass has not begun. */
  lastKey: string[] | null;
  rowsDone: number;
  /** Passes over the table: a pass that skipped locked rows is followed by another from the start. */
  pass: number;
}

/**
 * Creates the progress table when the first backfill runs; once it exists, no DDL (see ensureStateTable).
 * On a Citus coordinator with schema-based sharding, DDL in the state schema would make it a
 * distributed schema (and this table a distributed one, which refuses the progress upsert): it runs
 * with sharding off, as the state table's does.
 */
export async function ensureBackfillsTable(db: Queryable): Promise<void> {
  const r = await db.query<{ t: string | null }>(`SELECT pg_catalog.to_regclass($1)::text AS t`, [BACKFILLS_TABLE]);
  if (r.rows[0]?.t) return;
  const citus = await refuseDistributedState(db, STATE_SCHEMA);
  await db.query(citus ? localSchemaDdl(DDL) : DDL);
}

/** The kept progress of `version` in `schema`, or a fresh start. */
export async function readBackfill(db: Queryable, schema: string, version: string): Promise<BackfillProgress> {
  const r = await db.query<{ last_key: string[] | null; rows_done: string; pass: number }>(
    `SELECT last_key, rows_done, pass FROM ${BACKFILLS_TABLE} WHERE schema_name = $1 AND version = $2`,
    [schema, version],
  );
  const row = r.rows[0];
  return row
    ? { lastKey: row.last_key, rowsDone: Number(row.rows_done), pass: row.pass }
    : { lastKey: null, rowsDone: 0, pass: 1 };
}

/** Keeps the progress; meant to run in the transaction of the batch it records. */
export async function saveBackfill(db: Queryable, schema: string, version: string, p: BackfillProgress): Promise<void> {
  await db.query(
    `INSERT INTO ${BACKFILLS_TABLE} (schema_name, version, last_key, rows_done, pass) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (schema_name, version) DO UPDATE SET last_key = EXCLUDED.last_key, rows_done = EXCLUDED.rows_done, pass = EXCLUDED.pass, updated_at = now()`,
    [schema, version, p.lastKey, p.rowsDone, p.pass],
  );
}

/** The progress row goes once the backfill is recorded as applied (same transaction). */
export async function deleteBackfill(db: Queryable, schema: string, version: string): Promise<void> {
  await db.query(`DELETE FROM ${BACKFILLS_TABLE} WHERE schema_name = $1 AND version = $2`, [schema, version]);
}
