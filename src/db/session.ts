// Server-side limits on the tool's own sessions, so that a client that vanished (network
// partition, killed host) cannot keep its locks: the server ends the session and rolls back.
// They are set with set_config after connecting, not as startup `options`: poolers in session
// mode (pgbouncer) refuse unknown startup parameters, and the pooler check must run first
// anyway, since a SET through a transaction-mode pooler would stick to a pooled backend.
import type pg from 'pg';

export const SESSION_LIMITS = {
  /**
   * The tool sends a migration's next statement as soon as the previous one returns, so a session
   * idle inside a transaction for this long has lost its client. A long statement is not idle.
   */
  idleInTransactionMs: 15_000,
  /** The lock session is pinged every few seconds (see watchdog.ts); silent this long, its client is gone. */
  lockIdleSessionMs: 30_000,
  /** Server-side TCP keepalives: a dead peer is noticed after idle + interval * count seconds. */
  keepalivesIdleS: 10,
  keepalivesIntervalS: 5,
  keepalivesCount: 3,
  /** Unacknowledged data to a dead peer (where keepalives do not apply) gives up after this long. */
  tcpUserTimeoutMs: 30_000,
} as const;

export interface SessionLimits {
  /** Also end the session when it is idle this long (PostgreSQL 14+); for sessions that are pinged. */
  idleSessionMs?: number;
}

/** Applies the limits to this session and returns its backend pid (the real one, also behind a pooler). */
export async function limitSession(client: pg.ClientBase, limits: SessionLimits = {}): Promise<number> {
  const L = SESSION_LIMITS;
  const r = await client.query<{ pid: number }>(
    `SELECT set_config('idle_in_transaction_session_timeout', $1, false),
            set_config('tcp_keepalives_idle', $2, false),
            set_config('tcp_keepalives_interval', $3, false),
            set_config('tcp_keepalives_count', $4, false),
            set_config('tcp_user_timeout', $5, false),
            CASE WHEN $6 <> '0' AND current_setting('server_version_num')::int >= 140000
                 THEN set_config('idle_session_timeout', $6, false) END,
            pg_backend_pid() AS pid`,
    [
      L.idleInTransactionMs,
      L.keepalivesIdleS,
      L.keepalivesIntervalS,
      L.keepalivesCount,
      L.tcpUserTimeoutMs,
      limits.idleSessionMs ?? 0,
    ].map(String),
  );
  return r.rows[0]!.pid;
}
