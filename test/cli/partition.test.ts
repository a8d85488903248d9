// A network partition in the middle of a run: the tool must not wait forever, and its sessions
// must not keep their locks. The CLI reaches the server through a relay that the test freezes.
import { describe, expect, test } from '../support/fixtures';
import { collect, envFor, spawnCli } from '../support/cli';
import { startCuttableProxy } from '../support/cuttable-proxy';
import { writeMigrations, createTenants } from '../support/migrations';
import type { TestDatabase } from '../support/db';

const FILES = {
  '20250101000000_init.up.sql': 'CREATE TABLE companies (id int);',
  // Takes an ACCESS EXCLUSIVE lock, then gives the test time to cut the network.
  'tenant/20250101000100_slow.up.sql':
    'LOCK TABLE public.companies IN ACCESS EXCLUSIVE MODE;\nSELECT pg_sleep(2);\nCREATE TABLE employees (id int);',
};

const TOOL_LOCKS = `SELECT l.mode, l.locktype FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                    WHERE a.datname = current_database() AND a.application_name = 'migrate-tool'
                      AND (l.mode = 'AccessExclusiveLock' OR l.locktype = 'advisory')`;

async function until(db: TestDatabase, sql: string, want: (n: number) => boolean, timeoutMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const n = (await db.query(sql)).rowCount ?? 0;
    if (want(n)) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`not reached in ${timeoutMs} ms (${n} rows): ${sql}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a network partition mid-run', () => {
  test('the CLI exits 1 with a clear message and the server drops its locks, both in bounded time', async ({
    db,
    dir,
  }) => {
    const root = await writeMigrations(dir, FILES);
    await createTenants(db, 'company_a');
    const target = new URL(db.url);
    const proxy = await startCuttableProxy(target.hostname, Number(target.port || 5432));
    let child: ReturnType<typeof spawnCli> | undefined;
    try {
      child = spawnCli(['up'], {
        env: { ...envFor(db.url), POSTGRES_HOST: '127.0.0.1', POSTGRES_PORT: String(proxy.port), MIGRATIONS_DIR: root },
      });
      const done = collect(child, { timeoutMs: 75_000 });
      // The tenant migration holds ACCESS EXCLUSIVE on companies and sleeps: cut now.
      await until(
        db,
        `${TOOL_LOCKS} AND l.mode = 'AccessExclusiveLock' AND l.relation = to_regclass('public.companies')`,
        (n) => n > 0,
        20_000,
      );
      proxy.partition();
      const [r, releasedAfterMs] = await Promise.all([done, until(db, TOOL_LOCKS, (n) => n === 0, 60_000)]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(
        /error: Lost the connection that held the run lock \(the server did not answer for \d+ s: a network partition, or a hung server\)/,
      );
      expect(r.stdout + r.stderr).toMatch(
        /company_a at 20250101000100: tenant\/20250101000100_slow\.up\.sql:\d: Connection terminated unexpectedly/,
      );
      // The server ended the tool's sessions: the table is usable again and nothing was half applied.
      expect(releasedAfterMs).toBeLessThan(60_000);
      const t = await db.query(`SELECT to_regclass('company_a.employees') AS t`);
      expect(t.rows[0].t).toBeNull();
    } finally {
      child?.kill('SIGKILL');
      await proxy.close();
    }
  }, 120_000);
});
