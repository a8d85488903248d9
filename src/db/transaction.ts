// One transaction around `fn`: committed if `fn` returns, rolled back if it throws or if the
// commit fails (the error is rethrown as it was), or when `rollback` asks for it (a dry run).
// `setup` runs right after BEGIN in the same round trip, for SET LOCAL settings that must hold for
// the whole transaction.

/** Anything that runs SQL text: a pg client, or a wrapper that turns its errors into the caller's. */
export interface TransactionClient {
  query(text: string): Promise<unknown>;
}

export interface TransactionOptions {
  /** SQL sent with BEGIN, e.g. `SET LOCAL lock_timeout = 2000`. */
  setup?: string;
  /** Roll back even when `fn` succeeds: everything is applied and reported, nothing is kept. */
  rollback?: boolean;
}

export async function withTransaction<T>(client: TransactionClient, fn: () => Promise<T>, opts: TransactionOptions = {}): Promise<T> {
  await client.query(opts.setup ? `BEGIN; ${opts.setup}` : 'BEGIN');
  try {
    const value = await fn();
    await client.query(opts.rollback ? 'ROLLBACK' : 'COMMIT');
    return value;
  } catch (error) {
    // A rollback that fails (the connection is gone) must not hide why the work failed.
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}
