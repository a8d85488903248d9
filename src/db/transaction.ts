// db/ owns the transactions: every BEGIN, COMMIT and ROLLBACK the tool sends is written here (a lint
// rule refuses them elsewhere). Three shapes:
// - withTransaction / withSnapshot: one transaction around `fn`: committed if `fn` returns, rolled
//   back if it throws or if the commit fails (the error is rethrown as it was), or when `rollback`
//   asks for it (a dry run). `setup` runs right after BEGIN in the same round trip, for SET LOCAL
//   settings that must hold for the whole transaction. withSnapshot reads in one snapshot
//   (REPEATABLE READ READ ONLY).
// - inOneRoundTrip: BEGIN, the parts and COMMIT handed together to a sender that sends them in
//   one round trip (migrations/batch.ts: one query text, or one query each on Citus).
// - The pieces of a transaction whose BEGIN travels with the first statements and whose COMMIT is
//   sent once they have answered (migrations/chain.ts): begunWith, commit, commitBefore, rollback.

/** Anything that runs SQL text: a pg client, or a wrapper that turns its errors into the caller's. */
export interface TransactionClient {
  query(text: string): Promise<unknown>;
}

export interface TransactionOptions {
  /** SQL sent with BEGIN, e.g. `SET LOCAL lock_timeout = 2000`. */
  setup?: string;
  /** Roll back even when `fn` succeeds: everything is applied and reported, nothing is kept. */
  rollback?: boolean;
  /** A read-only transaction (BEGIN READ ONLY). */
  readOnly?: boolean;
}

export async function withTransaction<T>(
  client: TransactionClient,
  fn: () => Promise<T>,
  opts: TransactionOptions = {},
): Promise<T> {
  return run(client, opts.readOnly ? 'BEGIN READ ONLY' : 'BEGIN', fn, opts);
}

/** withTransaction in one snapshot: every read of `fn` sees the same committed state, and nothing is written. */
export async function withSnapshot<T>(
  client: TransactionClient,
  fn: () => Promise<T>,
  opts: Pick<TransactionOptions, 'setup'> = {},
): Promise<T> {
  return run(client, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', fn, opts);
}

async function run<T>(
  client: TransactionClient,
  begin: string,
  fn: () => Promise<T>,
  opts: TransactionOptions,
): Promise<T> {
  await client.query(opts.setup ? `${begin}; ${opts.setup}` : begin);
  try {
    const value = await fn();
    await client.query(opts.rollback ? 'ROLLBACK' : 'COMMIT');
    return value;
  } catch (error) {
    // A rollback that fails (the connection is gone) must not hide why the work failed.
    await rollback(client);
    throw error;
  }
}

/**
 * One transaction in one round trip: BEGIN, `parts` and COMMIT go to `send` together. If it fails,
 * the transaction is rolled back and the error rethrown.
 */
export async function inOneRoundTrip<C extends TransactionClient, R>(
  client: C,
  parts: string[],
  send: (client: C, parts: string[]) => Promise<R>,
): Promise<R> {
  try {
    return await send(client, ['BEGIN', ...parts, 'COMMIT']);
  } catch (error) {
    await rollback(client);
    throw error;
  }
}

/** A sender for inOneRoundTrip: the parts as one query text (for the tool's own SQL, never on Citus workers). */
export async function oneQueryText(client: TransactionClient, parts: string[]): Promise<unknown> {
  return client.query(parts.join(';\n'));
}

/** `parts` after the BEGIN that opens their transaction, to be sent in one round trip; ended by commit, commitBefore or rollback. */
export function begunWith(parts: string[]): string[] {
  return ['BEGIN', ...parts];
}

/** Commits; when the commit fails (a deferred check, the connection) the transaction is rolled back and the error rethrown. */
export async function commit(client: TransactionClient): Promise<void> {
  try {
    await client.query('COMMIT');
  } catch (error) {
    await rollback(client); // a failed COMMIT has ended the transaction: harmless
    throw error;
  }
}

/** Rolls back; a failure (the connection is gone, no transaction) is ignored. */
export async function rollback(client: TransactionClient): Promise<void> {
  await client.query('ROLLBACK').catch(() => {});
}

/** In a failed transaction: back to `savepoint`, and commit what came before it. Whether that was kept. */
export async function commitBefore(client: TransactionClient, savepoint: string): Promise<boolean> {
  return client.query(`ROLLBACK TO SAVEPOINT ${savepoint}; COMMIT`).then(
    () => true,
    () => false,
  );
}

/** A savepoint's statement, for a part sent with others in one round trip (migrations/chain.ts). */
export function savepointSql(savepoint: string): string {
  return `SAVEPOINT ${savepoint}`;
}

/**
 * Runs `fn` behind `savepoint`: released when it succeeds; when it throws, the transaction goes back
 * to the savepoint (if it still can: a lost connection cannot) and the error is rethrown as it was.
 */
export async function withSavepoint<T>(client: TransactionClient, savepoint: string, fn: () => Promise<T>): Promise<T> {
  await client.query(savepointSql(savepoint));
  const value = await fn().catch(async (error: unknown) => {
    await rollbackToSavepoint(client, savepoint).catch(() => {});
    throw error;
  });
  await client.query(`RELEASE SAVEPOINT ${savepoint}`);
  return value;
}

/** Undoes what ran since `savepoint`, in a transaction that goes on. */
export async function rollbackToSavepoint(client: TransactionClient, savepoint: string): Promise<void> {
  await client.query(`ROLLBACK TO SAVEPOINT ${savepoint}`);
}

/** A psql script's transaction (backup's restore through psql): its opening, with `sql` after BEGIN. */
export function scriptOpening(sql = ''): string {
  return `BEGIN;\n${sql}`;
}

/** A psql script's transaction: its end, with `sql` before COMMIT. */
export function scriptClosing(sql = ''): string {
  return `${sql}COMMIT;\n`;
}
