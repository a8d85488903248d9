// A no-transaction migration marks its schema dirty before its first statement. Whatever fails
// after that mark (here the final state write, waiting on a row lock, its backend terminated)
// leaves the row dirty, and the run's report must say so: the dirty line and its advice in text,
// `"dirty": true` in --json's failed[].
import pg from 'pg';
import { describe, expect, test } from '../support/fixtures';
import { collect, envFor, spawnCli } from '../support/cli';
import { createTenants, writeMigrations } from '../support/migrations';
import { waitForRows } from '../support/wait';

const VERSION = '20250101000100';
// The file waits on an advisory lock the test holds, so the test can lock the state row in between.
const FILES = {
  [`tenant/${VERSION}_wait.up.sql`]:
    '-- migrate:no-transaction\nSELECT pg_advisory_lock(4242, 19);\nSELECT pg_advisory_unlock(4242, 19);\n',
};
const DIRTY_ROW = `SELECT 1 FROM migrate_tool.migrations WHERE schema_name = 'company_a' AND version = '${VERSION}' AND dirty`;
const WAITING_WRITE = `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO migrate_tool.migrations%'`;

describe('a no-transaction migration that fails after its statements', () => {
  test.for(['text', 'json'])(
    'reports the schema dirty when its final state write is terminated (%s)',
    async (mode, { db, dir }) => {
      const env = { ...envFor(db.url), MIGRATIONS_DIR: await writeMigrations(dir, FILES) };
      await createTenants(db, 'company_a');
      const [holder, locker] = [new pg.Client(db.url), new pg.Client(db.url)];
      await Promise.all([holder.connect(), locker.connect()]);
      try {
        await holder.query('SELECT pg_advisory_lock(4242, 19)');
        const done = collect(
          spawnCli(['up', '--ddl-lock-timeout', '60s', ...(mode === 'json' ? ['--json'] : [])], { env }),
        );
        await waitForRows(db, DIRTY_ROW);
        await locker.query(`BEGIN; ${DIRTY_ROW} FOR UPDATE`);
        await holder.query('SELECT pg_advisory_unlock(4242, 19)');
        await waitForRows(db, WAITING_WRITE);
        await db.query(`SELECT pg_terminate_backend(pid) FROM (${WAITING_WRITE}) w`);
        await locker.query('ROLLBACK');
        const r = await done;

        expect(r.code).toBe(1);
        expect((await db.query(DIRTY_ROW)).rowCount).toBe(1);
        if (mode === 'json') {
          const [failed] = JSON.parse(r.stdout).failed;
          expect(failed).toMatchObject({
            schema: 'company_a',
            version: VERSION,
            dirty: true,
            advice: expect.stringContaining('migrate-tool force'),
          });
        } else {
          expect(r.stdout).toContain(
            `company_a at ${VERSION}: tenant/${VERSION}_wait.up.sql: terminating connection due to administrator command`,
          );
          expect(r.stdout).toContain(
            `  company_a is now dirty at ${VERSION}: up refuses it until it is repaired; fix: check what it left in company_a`,
          );
        }
      } finally {
        await Promise.all([holder.end(), locker.end()]);
      }
    },
  );
});
