// The blocker check on a real Citus coordinator, schema-based sharding: a tenant's tables live on a
// worker, but an application session that reads one through the coordinator holds its lock on the
// coordinator's table as well, and that is what the check sees (pg_locks of the coordinator). A
// session connected to a worker directly is not seen there: lock_timeout and its retries guard that.
import pg from 'pg';
import { migrate, type MigrationEvent } from '../../src/index';
import { citusMissing, citusTitle, describe, expect, test } from '../support/citus';
import { createTenants, writeMigrations } from '../support/migrations';

const FILES = {
  'tenant/20250101000100_t.up.sql': 'CREATE TABLE t (id int PRIMARY KEY);\nINSERT INTO t VALUES (1);',
  'tenant/20250101000200_alter.up.sql': 'CREATE TABLE u (id int);\nALTER TABLE t ADD COLUMN x int;',
};

describe.skipIf(citusMissing)(citusTitle('the blocker check on a Citus coordinator'), () => {
  test('an application transaction on a tenant table, through the coordinator, fails that schema clean, naming its pid; the others are migrated', async ({
    db,
    dir,
  }) => {
    const migrationsDir = await writeMigrations(dir, FILES);
    await createTenants(db, 'company_a', 'company_b');
    const events: MigrationEvent[] = [];
    const options = {
      connection: db.url,
      migrationsDir,
      ddlLockTimeoutMs: 200,
      onEvent: (e: MigrationEvent) => events.push(e),
    };
    await migrate(options, { steps: 1 });
    const app = new pg.Client({ connectionString: db.url, application_name: 'billing-app' });
    await app.connect();
    try {
      const pid = (await app.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
      await app.query('BEGIN');
      await app.query('SELECT count(*) FROM company_b.t');
      const { result } = await migrate({ ...options, blockerTimeoutMs: 1_000 });
      expect(result!.done.map((d) => d.schema)).toEqual(['company_a']);
      expect(result!.failed).toHaveLength(1);
      expect(result!.failed[0]).toMatchObject({ schema: 'company_b', transient: true });
      expect(result!.failed[0]!.dirty).toBeUndefined();
      expect(result!.failed[0]!.error).toContain(`pid ${pid} (billing-app, idle in transaction`);
      expect(events.some((e) => e.type === 'blocker:waiting' && e.blocker.pid === pid)).toBe(true);
      const u = await db.query(`SELECT to_regclass('company_b.u') AS u, to_regclass('company_a.u') AS a`);
      expect(u.rows[0]).toEqual({ u: null, a: 'company_a.u' });
      await app.query('COMMIT');
      const again = await migrate({ ...options, blockerTimeoutMs: 1_000 });
      expect(again.result!.done.map((d) => d.schema)).toEqual(['company_b']);
    } finally {
      await app.query('COMMIT').catch(() => {});
      await app.end();
    }
  });
});
