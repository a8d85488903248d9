// Who would make a statement wait for its lock: the sessions that hold, or wait for, a lock on a
// table in a mode that conflicts with the one the statement needs (pg_locks, with
// pg_stat_activity for what the session is doing). A session waiting counts as much as one
// holding: the statement would queue behind it too. pg_dump, and this tool's own backup, hold
// AccessShareLock on every table they dump, so they are found like any application session.
// The caller's own session is never counted, nor the pids it names (its other connections).
import type { Queryable } from './queryable';

/** A table to look at, and the lock modes that would make a statement on it wait. */
export interface BlockerQuery {
  schema: string;
  table: string;
  /** The modes that conflict with the statement's (lock-modes.ts conflictingModes). */
  conflicting: string[];
}

export interface Blocker {
  pid: number;
  /** application_name; empty when the client set none. */
  app: string;
  /** pg_stat_activity.state: `idle in transaction`, `active`, ... */
  state: string;
  /** How long its transaction has been open, in ms (null outside a transaction). */
  xactMs: number | null;
  /** When its current (or last) query started, ISO 8601 (null if it sent none). */
  queryStart: string | null;
  /** The lock it holds or waits for on the table. */
  mode: string;
  granted: boolean;
  schema: string;
  table: string;
}

// A table that does not exist (yet) has no oid: to_regclass gives NULL and the join drops it.
// Relation oids are per database: only this database's locks are read.
const SQL = `
SELECT l.pid, coalesce(a.application_name, '') AS app, coalesce(a.state, '') AS state,
       round(extract(epoch FROM clock_timestamp() - a.xact_start) * 1000)::float8 AS xact_ms,
       a.query_start, l.mode, l.granted, t.schema, t."table"
  FROM jsonb_to_recordset($1::jsonb) AS t(schema text, "table" text, conflicting text[])
  JOIN pg_locks l ON l.locktype = 'relation'
   AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
   AND l.relation = to_regclass(format('%I.%I', t.schema, t."table"))
   AND l.mode = ANY (t.conflicting)
  LEFT JOIN pg_stat_activity a ON a.pid = l.pid
 WHERE l.pid IS DISTINCT FROM pg_backend_pid() AND NOT (l.pid = ANY ($2::int[]))
 ORDER BY l.granted DESC, a.xact_start NULLS LAST, l.pid`;

interface Row {
  pid: number;
  app: string;
  state: string;
  xact_ms: number | null;
  query_start: Date | null;
  mode: string;
  granted: boolean;
  schema: string;
  table: string;
}

/** The sessions, other than this one and `exclude`, that hold or wait for a conflicting lock on one of `tables`; oldest transaction first. */
export async function findBlockers(
  client: Queryable,
  tables: BlockerQuery[],
  exclude: number[] = [],
): Promise<Blocker[]> {
  if (!tables.length) return [];
  const { rows } = await client.query<Row>(SQL, [JSON.stringify(tables), exclude]);
  return rows.map((r) => ({
    pid: r.pid,
    app: r.app,
    state: r.state,
    xactMs: r.xact_ms,
    queryStart: r.query_start ? r.query_start.toISOString() : null,
    mode: r.mode,
    granted: r.granted,
    schema: r.schema,
    table: r.table,
  }));
}

/** `pid 123 (billing, idle in transaction 12 s)`: who blocks, for a log line or an error. */
export function describeBlocker(b: Blocker): string {
  const age = b.xactMs === null ? '' : ` ${Math.round(b.xactMs / 1000)} s`;
  const parts = [b.app || 'no application name', `${b.state || 'state unknown'}${age}`];
  return `pid ${b.pid} (${parts.join(', ')})`;
}
