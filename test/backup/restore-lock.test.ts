// restore() holds the run lock for as long as pg_restore runs: if the lock's connection is lost,
// a migration could start beside the restore, so the restore is stopped and rolled back.
import pg from 'pg';
import { inject } from 'vitest';
import { backup } from '../../src/backup/dump';
import { restore } from '../../src/backup/restore';
import { LOCK_KEY } from '../../src/db/lock';
import { describe, expect, test } from '../support/fixtures';
import { notRun } from '../support/not-run';
import { pgDumpSkipReason } from './support';

const skip = await pgDumpSkipReason(inject('adminUrl'));

describe.skipIf(Boolean(skip))(notRun('restore under the run lock', skip), () => {
  test('a restore whose lock connection dies is stopped, fails as a lost lock, and leaves the database as it was', async ({
    db,
    dir,
  }) => {
    await db.query(`CREATE TABLE kept (id int); INSERT INTO kept VALUES (1), (2)`);
    const taken = await backup({ connection: db.url, backupDir: `${dir}/backups` });
    await db.query('INSERT INTO kept VALUES (3)');
    // An application's open transaction on the table: pg_restore's DROP waits behind it.
    const app = new pg.Client({ connectionString: db.url });
    await app.connect();
    try {
      await app.query('BEGIN; LOCK TABLE kept IN ACCESS SHARE MODE');
      const outcome = restore({ connection: db.url, file: taken.file }).then(
        () => 'restored',
        (error: unknown) => error,
      );
      // Once pg_restore waits for the table, end the session that holds the run lock.
      for (let waiting = 0; waiting === 0;) {
        const r = await db.query(
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'DROP TABLE%kept%'`,
        );
        waiting = r.rowCount ?? 0;
        if (!waiting) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await db.query(
        `SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted
            AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND ((classid::bigint << 32) | objid::bigint) = $1::bigint`,
        [LOCK_KEY],
      );
      // A restore that went on would finish as soon as the application lets go: give it every chance to.
      const early = await Promise.race([
        outcome,
        new Promise((resolve) => setTimeout(() => resolve('still running'), 20_000)),
      ]);
      await app.query('COMMIT');
      expect(early === 'still running' ? await outcome : early).toMatchObject({ code: 'LOCK_LOST', exitCode: 1 });
    } finally {
      await app.end();
    }
    expect((await db.query('SELECT count(*)::int AS n FROM kept')).rows[0].n).toBe(3);
  });
});
