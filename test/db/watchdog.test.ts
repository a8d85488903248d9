// The lock session's watchdog against a real server: a session busy with a long statement of its
// own is not a lost server, and a session whose pings never arrive is.
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { probeSession, watch, type Watchdog } from '../../src/db/watchdog';
import { startCuttableProxy, type CuttableProxy } from '../support/cuttable-proxy';
import { createDatabase, type TestDatabase } from '../support/db';

const FAST = { intervalMs: 200, deadlineMs: 1_000 };
const open: Array<{ end(): Promise<void> }> = [];
let db: TestDatabase | undefined;
let dog: Watchdog | undefined;
let proxy: CuttableProxy | undefined;

afterEach(async () => {
  dog?.stop();
  for (const c of open.splice(0)) await c.end().catch(() => {});
  await proxy?.close();
  await db?.drop();
  dog = proxy = db = undefined;
});

async function client(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => {});
  await c.connect();
  open.push(c);
  return c;
}

async function pidOf(c: pg.Client): Promise<number> {
  return (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
}

describe('lock watchdog', () => {
  it('does not call a session lost while it runs a statement longer than the deadline', async () => {
    db = await createDatabase();
    const session = await client(db.url);
    const other = await client(db.url);
    const pid = await pidOf(session);
    const lost: Error[] = [];
    dog = watch(
      session,
      (e) => lost.push(e),
      FAST,
      () => probeSession(other, pid),
    );
    await session.query('SELECT pg_sleep(3)'); // three deadlines long; the pings queue behind it
    await new Promise((r) => setTimeout(r, 600)); // the queued ping is answered after the statement
    expect(lost).toEqual([]);
  });

  it('calls a session lost when its pings never reach the server, naming why', async () => {
    db = await createDatabase();
    const url = new URL(db.url);
    proxy = await startCuttableProxy(url.hostname, Number(url.port || 5432));
    url.port = String(proxy.port);
    const session = await client(url.toString());
    const other = await client(db.url); // the probe's path is not cut
    const pid = await pidOf(session);
    const lost = new Promise<Error>((resolve) => {
      dog = watch(session, resolve, FAST, () => probeSession(other, pid));
    });
    proxy.partition();
    const error = await lost;
    expect(error.message).toMatch(/did not answer/);
    expect(String((error.cause as Error).message)).toContain(`session ${pid} is idle`);
  });
});
