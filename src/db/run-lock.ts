// Work under the run lock (lock.ts), for every operation that writes: migrate, rollback, force,
// seed, restore, adopt. If the lock's connection dies, the lock is gone and another run may start:
// the work gets a signal that aborts then, so it starts nothing new, and it ends with LOCK_LOST
// whatever it returned or threw after that.
import type pg from 'pg';
import type { Connection } from '../config/connection';
import { OperationError } from '../errors';
import type { Remedy } from '../remedy';
import { acquireLock, type LockOptions } from './lock';

export interface RunLockOptions extends Omit<LockOptions, 'onLost'> {
  /** What to do after a lost lock, for the error's advice. */
  afterLoss?: string | Remedy;
}

export interface HeldRunLock {
  /** The lock's own connection: reads and short writes of the operation go through it. */
  client: pg.Client;
  /** Aborts when the caller's signal does, or when the lock is lost. */
  signal: AbortSignal;
  /** Aborts when the server stopped answering (the lock's socket was cut): other connections are stuck too. */
  unreachable: AbortSignal;
}

export async function withRunLock<T>(
  connection: Connection,
  opts: RunLockOptions,
  fn: (lock: HeldRunLock) => Promise<T>,
): Promise<T> {
  let lost: Error | undefined;
  const loss = new AbortController();
  const unreachable = new AbortController();
  const { afterLoss = 're-run it: what finished is recorded', ...lockOpts } = opts;
  const lock = await acquireLock(connection, {
    ...lockOpts,
    onLost: (error, cut) => {
      lost = error;
      loss.abort();
      if (cut) unreachable.abort();
    },
  });
  const lockLost = (cause?: unknown) =>
    new OperationError(
      `Lost the connection that held the run lock (${lost!.message}); no new work was started after that`,
      'LOCK_LOST',
      afterLoss,
      { cause },
    );
  const signal = opts.signal ? AbortSignal.any([opts.signal, loss.signal]) : loss.signal;
  try {
    // A query on the dead lock connection fails too: that is the same loss.
    const value = await fn({ client: lock.client, signal, unreachable: unreachable.signal }).catch((error: unknown) => {
      throw lost ? lockLost(error) : error;
    });
    if (lost) throw lockLost();
    return value;
  } finally {
    await lock.release();
  }
}
