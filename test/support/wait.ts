// Polling the test's database for a state another process is expected to reach.
import type { TestDatabase } from './db';

/** Waits until `sql` returns a row; a failing query (a table not created yet) counts as "not yet". */
export async function waitForRows(db: TestDatabase, sql: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if ((await db.query(sql).catch(() => ({ rowCount: 0 }))).rowCount) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for: ${sql}`);
}
