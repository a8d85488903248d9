// The one shape of "something that runs SQL" that every room takes: a pg client, pool or pool
// client, the lock's connection, a worker, or a caller's (or a test's) wrapper of one.
import type pg from 'pg';

/** Anything that runs one SQL text (or a named statement) with parameters. */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string | pg.QueryConfig,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>>;
}

/** A pg client or pool itself, for what only pg takes: a Submittable (migrations/batch.ts's statements in one round trip). */
export type BatchQueryable = Pick<pg.ClientBase, 'query'>;
