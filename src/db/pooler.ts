// Refuses a connection pooler that does not give the tool one server session per connection
// (pgbouncer pool_mode=transaction or statement). The run lock is a session advisory lock, and
// no-transaction migrations rely on session settings: behind such a pooler the lock leaks onto
// a pooled backend that an application then holds, and two runs both do work.
//
// How it is told apart, deterministically:
// - PostgreSQL sends the backend's pid in BackendKeyData at startup, so on a direct connection (or
//   through a plain TCP proxy) `processID` equals `pg_backend_pid()`. A pooler sends a key of its
//   own (pgbouncer: random), so a mismatch means "a pooler is in between", in any mode.
// - Then the mode: a second connection B opens a transaction and asks for its pid while A, the
//   first, is between statements. In session mode A's server is A's alone, so B never gets it and
//   A keeps it. In transaction mode A's server went back to the pool after A's last statement: B is
//   handed that very server (pgbouncer reuses the most recently released one first, its default),
//   or, if other traffic took it, A's next statement lands elsewhere. Either way the pids show it.
//   Statement mode refuses B's BEGIN outright.
import type pg from 'pg';
import { UsageError } from '../errors';

/** Rounds of the mode check; each one alone decides when the pool is otherwise idle. */
const ROUNDS = 3;

export async function backendPid(client: pg.ClientBase): Promise<number> {
  return (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
}

/** Throws a UsageError if `client` reaches PostgreSQL through a pooler without session pooling. */
export async function requireOwnSession(client: pg.Client, openAnother: () => Promise<pg.Client>): Promise<void> {
  const pid = await backendPid(client);
  if ((client as unknown as { processID?: number }).processID === pid) return; // direct: nothing in between
  const other = await openAnother();
  try {
    for (let round = 0; round < ROUNDS; round++) {
      if (await sharesServers(client, pid, other)) throw pooledError();
    }
  } finally {
    await other.end().catch(() => {});
  }
}

async function sharesServers(a: pg.Client, pidOfA: number, b: pg.Client): Promise<boolean> {
  try {
    await b.query('BEGIN');
  } catch {
    return true; // statement mode: "transaction blocks not allowed"
  }
  try {
    if ((await backendPid(b)) === pidOfA) return true;
    return (await backendPid(a)) !== pidOfA;
  } finally {
    await b.query('ROLLBACK').catch(() => {});
  }
}

function pooledError(): UsageError {
  return new UsageError(
    'The database connection goes through a pooler in transaction mode (pgbouncer pool_mode=transaction): migrations need one server session per connection; nothing was changed',
    "connect directly to PostgreSQL (point the connection at the server, as Prisma's directUrl does), or through a pool in session mode",
    'POOLER_TRANSACTION_MODE',
  );
}
