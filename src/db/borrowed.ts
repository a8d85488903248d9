// A pg.Client that the caller owns and has connected (as node-pg-migrate allows): the engine runs
// its lock, state and read-only work on it and gives it back as it found it. It never ends it,
// and the session settings it changes on it (the session limits, synchronous_commit) are put back.
// Worker connections and the client tools still need settings to connect with: they come from the
// client's own connectionParameters (config/connection.ts).
import type pg from 'pg';
import { connectionFromClient, connectionFromUrl, type Connection } from '../config/connection';
import { UsageError } from '../errors';
import { withClient, type ConnectOptions } from './connect';

/** A postgres:// URL, connection settings, or a connected pg.Client that the caller owns. */
export type ConnectionInput = Connection | string | pg.Client;

/** What a ConnectionInput resolves to: the settings to connect with, and the caller's client when one was given. */
export interface ResolvedConnection {
  connection: Connection;
  /** The caller's client, when one was given. */
  client?: pg.Client;
}

export function isClient(input: unknown): input is pg.Client {
  return (
    typeof (input as pg.Client | undefined)?.query === 'function' && typeof (input as pg.Client).connect === 'function'
  );
}

export function resolveConnection(input: ConnectionInput): ResolvedConnection {
  if (typeof input === 'string') return { connection: connectionFromUrl(input) };
  if (isClient(input)) return { connection: connectionFromClient(input), client: input };
  return { connection: input };
}

/** Every session setting the engine may change on the lock's connection. */
const SETTINGS = [
  'idle_in_transaction_session_timeout',
  'idle_session_timeout',
  'tcp_keepalives_idle',
  'tcp_keepalives_interval',
  'tcp_keepalives_count',
  'tcp_user_timeout',
  'synchronous_commit',
  'lock_timeout',
  'statement_timeout',
  'search_path',
];

/**
 * Takes the caller's client for a while: refuses one inside a transaction (the run lock is polled
 * outside any transaction, see lock.ts), and returns what puts its session settings back.
 */
export async function borrowSession(client: pg.Client): Promise<() => Promise<void>> {
  const status = (client as unknown as { getTransactionStatus?: () => string | null }).getTransactionStatus?.();
  if (status === 'T' || status === 'E') {
    throw new UsageError(
      'The pg.Client passed as connection is inside a transaction; nothing was changed',
      'pass a client outside any transaction (commit or roll back first)',
      'CLIENT_IN_TRANSACTION',
    );
  }
  const saved = await client.query<{ name: string; value: string | null }>(
    'SELECT name, current_setting(name, true) AS value FROM unnest($1::text[]) AS name',
    [SETTINGS],
  );
  const names = saved.rows.filter((r) => r.value !== null);
  return async () => {
    await client.query('SELECT set_config(name, value, false) FROM unnest($1::text[], $2::text[]) AS t(name, value)', [
      names.map((r) => r.name),
      names.map((r) => r.value),
    ]);
  };
}

/** `fn` on the caller's client (settings restored after) or on a connection of its own, closed after. */
export async function withSession<T>(
  target: ResolvedConnection,
  opts: ConnectOptions,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  if (!target.client) return withClient(target.connection, opts, fn);
  const restore = await borrowSession(target.client);
  try {
    return await fn(target.client);
  } finally {
    await restore().catch(() => {});
  }
}
