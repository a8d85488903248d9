// A pg.Client that the application owns, passed as `connection` (as node-pg-migrate allows): the
// engine runs its lock and state work on it, never ends it, releases the run lock on it, and
// leaves its session settings as the application had them.
import pg from 'pg';
import { describe, expect, test } from '../support/fixtures';
import { migrate, migrateTenant, status } from '../../src/index';
import { BASIC, createTenants, writeMigrations } from '../support/migrations';

const SETTINGS = [
  'search_path',
  'lock_timeout',
  'synchronous_commit',
  'idle_in_transaction_session_timeout',
  'idle_session_timeout',
  'tcp_user_timeout',
];

async function settingsOf(client: pg.Client): Promise<Record<string, string>> {
  const r = await client.query<{ name: string; value: string }>(
    'SELECT name, current_setting(name) AS value FROM unnest($1::text[]) AS name',
    [SETTINGS],
  );
  return Object.fromEntries(r.rows.map((row) => [row.name, row.value]));
}

async function advisoryLocksHeld(client: pg.Client): Promise<number> {
  const r = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()`,
  );
  return r.rows[0]!.n;
}

describe('a connected pg.Client as connection', () => {
  test('migrate, migrateTenant and status run on it and give it back open, unlocked, with its settings', async ({
    db,
    dir,
  }) => {
    const migrationsDir = await writeMigrations(dir, BASIC);
    await createTenants(db, 'company_a', 'company_b');
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    let ended = false;
    client.on('end', () => (ended = true));
    try {
      // Settings an application might have on its session, each one the engine changes on its own lock connection.
      await client.query(
        `SET search_path = company_a, public; SET lock_timeout = '7s'; SET synchronous_commit = local`,
      );
      const before = await settingsOf(client);
      const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;

      // Who holds the run lock while the run is under way, seen from another session.
      let holder: Promise<unknown> | undefined;
      const onEvent = (e: { type: string }) => {
        // This database's only: other test files run at the same time on the same server.
        holder ??=
          e.type === 'migration:start'
            ? db.query(
                `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
              )
            : undefined;
      };
      const run = await migrate({ connection: client, migrationsDir, onEvent });
      expect(((await holder) as pg.QueryResult).rows).toEqual([{ pid }]);
      expect(run.result?.failed).toEqual([]);
      // Tenant fan-out runs on worker connections opened from the client's connectionParameters.
      expect(run.result?.done.map((d) => `${d.schema}@${d.version}`).sort()).toEqual([
        'company_a@20250101000100',
        'company_a@20250101000200',
        'company_b@20250101000100',
        'company_b@20250101000200',
        'public@20250101000000',
      ]);
      expect(await settingsOf(client)).toEqual(before);
      expect(await advisoryLocksHeld(client)).toBe(0);

      await createTenants(db, 'company_c');
      const one = await migrateTenant({ connection: client, migrationsDir }, 'company_c');
      expect(one.result?.done.map((d) => d.schema)).toEqual(['company_c', 'company_c']);
      expect(await settingsOf(client)).toEqual(before);
      expect(await advisoryLocksHeld(client)).toBe(0);

      // A refusal gives the client back the same way.
      await expect(migrateTenant({ connection: client, migrationsDir }, 'company_zz')).rejects.toMatchObject({
        exitCode: 2,
      });
      expect(await advisoryLocksHeld(client)).toBe(0);

      const report = await status({ connection: client, migrationsDir });
      expect(report.tenants).toMatchObject({ count: 3, behind: [] });
      expect(await settingsOf(client)).toEqual(before);

      // Still the application's: open, usable, in its own search_path.
      expect(ended).toBe(false);
      expect((await client.query('SELECT count(*)::int AS n FROM employees')).rows[0]).toEqual({ n: 0 });
      expect(client.listenerCount('error')).toBe(0);
    } finally {
      await client.end();
    }
  });

  test('a client inside a transaction is refused before anything is touched', async ({ db, dir }) => {
    const migrationsDir = await writeMigrations(dir, BASIC);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query('BEGIN');
      await expect(migrate({ connection: client, migrationsDir })).rejects.toMatchObject({
        code: 'CLIENT_IN_TRANSACTION',
        exitCode: 2,
      });
      await client.query('ROLLBACK');
      const state = await client.query(`SELECT 1 FROM pg_namespace WHERE nspname = 'migrate_tool'`);
      expect(state.rowCount).toBe(0);
    } finally {
      await client.end();
    }
  });
});
