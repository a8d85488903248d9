// The run lock: a session-level advisory lock on its own connection, taken by polling
// pg_try_advisory_lock outside any transaction. A blocking pg_advisory_lock call, or a waiter
// inside a transaction, holds a snapshot, and CREATE INDEX CONCURRENTLY in the running migration
// would then wait on the waiter forever. Before anything else the connection is checked for a
// transaction-mode pooler (pooler.ts); while held, a watchdog pings it (watchdog.ts).
import type pg from 'pg';
import type { Connection } from '../config/connection';
import { OperationError } from '../errors';
import { option, remedy } from '../remedy';
import { sleep } from '../util/sleep';
import { borrowSession } from './borrowed';
import { connect, type ConnectOptions } from './connect';
import { requireOwnSession } from './pooler';
import { limitSession, SESSION_LIMITS } from './session';
import { probeSession, sever, watch, WATCHDOG } from './watchdog';

/** "migrate1" as a 64-bit integer: one lock per database, shared by every migrate-tool run. */
export const LOCK_KEY = '7883946363647714609';
const POLL_MS = 200;
/** The ping is already a deadline late when the probe starts: a server that cannot take a connection in 5 s more is lost. */
const PROBE_CONNECT_MS = 5_000;

export interface LockOptions extends ConnectOptions {
  lockTimeoutMs: number;
  onWaiting?: (holder: string) => void;
  /**
   * Called if the lock's connection dies while held: the run must stop, the lock is gone.
   * `unreachable`: the server stopped answering (its socket was cut here), so every other
   * connection to it is presumably stuck too.
   */
  onLost?: (error: Error, unreachable: boolean) => void;
  /**
   * The caller's connected client, to take the lock on instead of a connection of its own: it is
   * given back with the lock released and its session settings restored, never ended.
   */
  client?: pg.Client;
}

export interface HeldLock {
  client: pg.Client;
  release(): Promise<void>;
}

export async function acquireLock(c: Connection, opts: LockOptions): Promise<HeldLock> {
  const borrowed = opts.client;
  const client = borrowed ?? (await connect(c, opts));
  let releasing = false;
  let silent: Error | undefined;
  const lost = (error: Error) => {
    if (!releasing) opts.onLost?.(silent ?? error, silent !== undefined);
  };
  const closed = () => lost(new Error('the connection holding the lock closed'));
  let restore: (() => Promise<void>) | undefined;
  // The caller's client goes back as it came: listeners off, settings restored, still open.
  const giveBack = async () => {
    if (!borrowed) return client.end().catch(() => {});
    await restore?.().catch(() => {});
    client.off('error', lost);
    client.off('end', closed);
  };
  let watchdog: { stop(): void } | undefined;
  try {
    if (borrowed) restore = await borrowSession(borrowed);
    client.on('error', lost);
    client.on('end', closed);
    // Before anything else on this session: behind a transaction-mode pooler even a SET or the
    // advisory lock would land on a pooled backend that someone else gets next.
    await requireOwnSession(client, () => connect(c, { ...opts, waitMs: 0 }));
    await limitSession(client, { idleSessionMs: SESSION_LIMITS.lockIdleSessionMs });
    watchdog = await watchSession(client, c, opts, (error) => {
      silent = error;
      sever(client);
    });
    await waitForLock(client, c, opts);
  } catch (error) {
    releasing = true;
    watchdog?.stop();
    await giveBack();
    if (silent)
      throw new OperationError(
        `Lost the server while waiting for the run lock on ${c.database}: ${silent.message}`,
        'CONNECTION_LOST',
        'check the network path to the server, then re-run',
        { cause: error },
      );
    throw error;
  }
  return {
    client,
    async release() {
      releasing = true;
      watchdog?.stop();
      await client.query('SELECT pg_advisory_unlock($1::bigint)', [LOCK_KEY]).catch(() => {});
      await giveBack();
    },
  };
}

/**
 * Pings the lock's session while it is held. An overdue ping is checked from a short second
 * connection: the session is busy with a long statement, or gone (then `onSilent`).
 */
async function watchSession(
  client: pg.Client,
  c: Connection,
  opts: LockOptions,
  onSilent: (error: Error) => void,
): Promise<{ stop(): void }> {
  const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  const probe = async () => {
    const other = await connect(c, { ...opts, waitMs: 0, connectTimeoutMs: PROBE_CONNECT_MS, signal: undefined });
    try {
      return await probeSession(other, pid);
    } finally {
      await other.end().catch(() => {});
    }
  };
  return watch(client, onSilent, WATCHDOG, probe);
}

/** Polls pg_try_advisory_lock until it is granted, the wait times out, or the run is interrupted. */
async function waitForLock(client: pg.Client, c: Connection, opts: LockOptions): Promise<void> {
  const deadline = Date.now() + opts.lockTimeoutMs;
  for (let polls = 0; ; polls++) {
    const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [LOCK_KEY]);
    if (r.rows[0]?.ok) return;
    if (opts.signal?.aborted) {
      throw new OperationError(
        `Interrupted while waiting for another migrate-tool run's lock on ${c.database} (${await describeHolder(client)}); nothing was changed`,
        'INTERRUPTED',
      );
    }
    if (Date.now() >= deadline) {
      throw new OperationError(
        `Another migrate-tool run holds the lock on ${c.database} (${await describeHolder(client)}) and did not finish within ${Math.round(opts.lockTimeoutMs / 1000)} s`,
        'LOCK_TIMEOUT',
        remedy`wait for it to finish, or raise ${option('lockTimeoutMs')}`,
      );
    }
    if (polls === 0) opts.onWaiting?.(await describeHolder(client));
    await sleep(POLL_MS, opts.signal);
  }
}

async function describeHolder(client: pg.Client): Promise<string> {
  const r = await client.query<{ pid: number; since: Date | null; app: string | null; addr: string | null }>(
    `SELECT l.pid, a.backend_start AS since, a.application_name AS app, a.client_addr::text AS addr
       FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND ((l.classid::bigint << 32) | l.objid::bigint) = $1::bigint
      LIMIT 1`,
    [LOCK_KEY],
  );
  const h = r.rows[0];
  if (!h) return 'holder unknown';
  return `pid ${h.pid}${h.app ? `, ${h.app}` : ''}${h.addr ? ` from ${h.addr}` : ''}${h.since ? `, connected ${h.since.toISOString()}` : ''}`;
}
