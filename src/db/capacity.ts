// How many more connections the server will accept from this role in this database right now:
// the smallest of what max_connections leaves (minus the slots reserved for superusers and, from
// PostgreSQL 16, for pg_use_reserved_connections), the role's CONNECTION LIMIT and the database's.
// Asking for more workers than that floods "too many clients" into schema after schema.
import type pg from 'pg';
import { OperationError } from '../errors';

export interface Capacity {
  /** Connections still free to this role and database (0 or more). */
  free: number;
  /** Which limit binds, for the message: e.g. "max_connections 10, 7 in use, 3 reserved". */
  limitedBy: string;
}

// Client backends are counted by their database: a role without pg_read_all_stats sees other
// roles' rows with backend_type NULL, and background processes (launchers) have no database. An
// autovacuum worker counted that way makes the estimate cautious by one, never too high.
const CLIENTS = `FROM pg_stat_activity WHERE datid IS NOT NULL AND coalesce(backend_type, 'client backend') = 'client backend'`;

export async function freeConnections(client: pg.ClientBase): Promise<Capacity> {
  const r = await client.query<{
    max: number;
    reserved: number;
    used: number;
    role_limit: number;
    role_used: number;
    db_limit: number;
    db_used: number;
  }>(
    `SELECT current_setting('max_connections')::int AS max,
            CASE WHEN r.rolsuper THEN 0
                 ELSE current_setting('superuser_reserved_connections')::int + coalesce(current_setting('reserved_connections', true)::int, 0) END AS reserved,
            (SELECT count(*)::int ${CLIENTS}) AS used,
            r.rolconnlimit AS role_limit,
            (SELECT count(*)::int ${CLIENTS} AND usename = current_user) AS role_used,
            d.datconnlimit AS db_limit,
            (SELECT count(*)::int ${CLIENTS} AND datname = current_database()) AS db_used
       FROM pg_roles r, pg_database d
      WHERE r.rolname = current_user AND d.datname = current_database()`,
  );
  const x = r.rows[0]!;
  const limits = [
    {
      free: x.max - x.reserved - x.used,
      why: `max_connections ${x.max}, ${x.used} in use${x.reserved ? `, ${x.reserved} reserved` : ''}`,
    },
  ];
  if (x.role_limit >= 0)
    limits.push({
      free: x.role_limit - x.role_used,
      why: `role CONNECTION LIMIT ${x.role_limit}, ${x.role_used} in use`,
    });
  if (x.db_limit >= 0)
    limits.push({ free: x.db_limit - x.db_used, why: `database CONNECTION LIMIT ${x.db_limit}, ${x.db_used} in use` });
  const tightest = limits.reduce((a, b) => (b.free < a.free ? b : a));
  return { free: Math.max(0, tightest.free), limitedBy: tightest.why };
}

/**
 * The number of workers to run: `wanted`, or fewer if the server cannot take that many more
 * connections. Not even one: an OperationError with what to do.
 */
export async function fitWorkers(
  client: pg.ClientBase,
  wanted: number,
): Promise<{ workers: number; capacity: Capacity }> {
  const capacity = await freeConnections(client);
  if (capacity.free < 1) {
    throw new OperationError(
      `The server accepts no more connections (${capacity.limitedBy}): no worker can connect; nothing was migrated`,
      'NO_FREE_CONNECTIONS',
      'close idle connections (see pg_stat_activity), or raise the limit, then re-run',
    );
  }
  return { workers: Math.min(wanted, capacity.free), capacity };
}
