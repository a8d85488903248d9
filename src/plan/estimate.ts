// The time a statement holds its lock on one table, from the server's calibration (db/calibrate.ts)
// and the table's size: what the lock model says the statement does under the lock (rewrite, scan,
// index build, or neither) decides which rate applies. Waiting for the lock is not in it.
import type { Calibration } from '../db/calibrate';
import type { TableLock } from '../migrations/locks';

/** Milliseconds, whole; a table of 0 bytes costs the catalog time alone. */
export function estimateMs(lock: TableLock, bytes: number, c: Calibration): number {
  return Math.round(c.catalogMs + bytes * msPerByte(lock, c));
}

function msPerByte(l: TableLock, c: Calibration): number {
  const what = l.what ?? '';
  // UPDATE or DELETE of every row writes a new version of each: a rewrite's work, under a weak lock.
  if (l.rewrite || (l.scan && /^(UPDATE|DELETE)/.test(what))) return c.rewriteMsPerByte;
  if (l.scan && /INDEX|builds an index|\(builds the index/.test(what)) return c.indexMsPerByte;
  return l.scan ? c.scanMsPerByte : 0;
}
