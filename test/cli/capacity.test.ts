// --concurrency against a server with few free connections, on a throwaway server of the test's
// own (max_connections 10, 3 reserved for superusers) that the test fills up with idle sessions.
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { connectionFromUrl } from '../../src/config/connection';
import { WorkerConnections } from '../../src/db/workers';
import { describe, expect, test } from '../support/fixtures';
import { envFor, runCli } from '../support/cli';
import { BASIC, writeMigrations } from '../support/migrations';
import { notRun } from '../support/not-run';
import { ownServerMissing, startOwnServer, type OwnServer } from '../support/own-server';

const TENANTS = Array.from({ length: 8 }, (_, i) => `company_${i + 1}`);

describe.skipIf(Boolean(ownServerMissing))(notRun('a server with few free connections', ownServerMissing), () => {
  let server: OwnServer;
  let appUrl: string;
  beforeAll(async () => {
    server = await startOwnServer({ max_connections: 10, superuser_reserved_connections: 3 });
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    const u = new URL(server.url);
    await admin.query(`CREATE ROLE app LOGIN PASSWORD ${pg.escapeLiteral(decodeURIComponent(u.password))}`);
    await admin.end();
    u.username = 'app';
    appUrl = u.toString();
  });
  afterAll(() => server?.stop());

  /** A fresh database owned by `app`, with the tenant schemas; its URL as `app`. */
  async function freshDatabase(name: string): Promise<string> {
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name} OWNER app`);
    await admin.end();
    const url = new URL(appUrl);
    url.pathname = `/${name}`;
    const c = new pg.Client({ connectionString: url.toString() });
    await c.connect();
    for (const t of TENANTS) await c.query(`CREATE SCHEMA ${t}`);
    await c.end();
    return url.toString();
  }

  /** Holds `n` idle superuser sessions while `fn` runs. */
  async function whileBusy<T>(n: number, fn: () => Promise<T>): Promise<T> {
    const held = Array.from({ length: n }, () => new pg.Client({ connectionString: server.url }));
    await Promise.all(held.map((c) => c.connect()));
    try {
      // Sessions that earlier steps closed leave the server a moment later: wait until only these remain.
      for (let i = 0; i < 100; i++) {
        const r = await held[0]!.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend'`,
        );
        if (r.rows[0].n === n) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      return await fn();
    } finally {
      await Promise.all(held.map((c) => c.end()));
    }
  }

  async function count(url: string, sql: string): Promise<number> {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      return (await c.query(sql)).rows[0].n;
    } finally {
      await c.end();
    }
  }

  test('--concurrency beyond the free connections is lowered to them, said in one line, and every schema is migrated', async ({
    dir,
  }) => {
    const url = await freshDatabase('db_capped');
    const env = { ...envFor(url), MIGRATIONS_DIR: await writeMigrations(dir, BASIC) };
    // 3 idle sessions + the run's lock connection: 10 - 3 reserved - 4 = 3 left for workers.
    const r = await whileBusy(3, () => runCli(['up', '--concurrency', '20'], { env }));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'Concurrency lowered from 20 to 3: the server accepts 3 more connections (max_connections 10, 4 in use, 3 reserved)',
    );
    expect(r.stderr.match(/Concurrency lowered/g)).toHaveLength(1);
    expect(r.stdout + r.stderr).not.toContain('too many clients');
    expect(r.stdout).toContain('Migration complete!');
    expect(await count(url, 'SELECT count(*)::int AS n FROM migrate_tool.migrations')).toBe(1 + 2 * TENANTS.length);
  });

  test('with no connection left for a worker, up refuses with advice and migrates nothing', async ({ dir }) => {
    const url = await freshDatabase('db_full');
    const env = { ...envFor(url), MIGRATIONS_DIR: await writeMigrations(dir, BASIC) };
    // 6 idle sessions + the lock connection fill the 7 slots that are not reserved.
    const r = await whileBusy(6, () => runCli(['up'], { env }));
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toContain(
      'error: The server accepts no more connections (max_connections 10, 7 in use, 3 reserved): no worker can connect; nothing was migrated; fix: close idle connections',
    );
    expect(await count(url, `SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'companies'`)).toBe(0);
  });

  test('worker connections refused with "too many clients" shrink the pool: acquirers wait for a released one', async () => {
    const url = await freshDatabase('db_shrink');
    await whileBusy(5, async () => {
      // 7 - 5 = 2 connections left for app.
      const shrunk: number[] = [];
      const workers = new WorkerConnections(connectionFromUrl(url), { onShrink: (size) => shrunk.push(size) });
      try {
        const first = await Promise.all([workers.acquire(), workers.acquire()]);
        const waiting = [workers.acquire(), workers.acquire()];
        const settled: string[] = [];
        waiting.forEach((p, i) =>
          p.then(
            () => settled.push(`ok ${i}`),
            (e: Error) => settled.push(`failed ${i}: ${e.message}`),
          ),
        );
        await new Promise((r) => setTimeout(r, 300));
        expect(settled).toEqual([]);
        expect(shrunk).toEqual([2]);
        workers.release(first[0]!);
        workers.release(first[1]!);
        const got = await Promise.all(waiting);
        expect(new Set(got)).toEqual(new Set(first));
        expect(workers.busyPids()).toHaveLength(2);
      } finally {
        await workers.close();
      }
    });
  });
});
