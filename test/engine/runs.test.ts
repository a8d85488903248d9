// The record of runs (migrate_tool.runs): what `tenants --failed` and `report` read about the last
// runs. Only runs that had work, the newest 20, and never a reason for a run to fail.
import { describe, expect, test } from '../support/fixtures';
import { migrate, rollback, tenants } from '../../src/index';
import { BASIC, createTenants, writeMigrations } from '../support/migrations';
import type { TestDatabase } from '../support/db';
import { withRowsOnlyRole } from '../support/roles';

const runIds = async (db: TestDatabase) =>
  (await db.query<{ id: string }>('SELECT id FROM migrate_tool.runs ORDER BY id')).rows.map((r) => Number(r.id));

describe('the record of runs', () => {
  test('a run with work is recorded with its stages and slowest schemas, one with nothing to do is not', async ({
    db,
    dir,
  }) => {
    const migrationsDir = await writeMigrations(dir, BASIC);
    await createTenants(db, 'company_a', 'company_b');
    await migrate({ connection: db.url, migrationsDir });
    expect(await runIds(db)).toHaveLength(1);
    const { summary } = (await db.query('SELECT summary FROM migrate_tool.runs')).rows[0] as {
      summary: {
        counts: object;
        stages: Array<{ scope: string; versions: string[]; schemas: number; done: number }>;
        slowest: Array<{ schema: string }>;
      };
    };
    expect(summary.counts).toEqual({ migrated: 3, failed: 0, skipped: 0, migrations: 5 });
    expect(summary.stages.map(({ scope, versions, schemas, done }) => ({ scope, versions, schemas, done }))).toEqual([
      { scope: 'global', versions: ['20250101000000'], schemas: 1, done: 1 },
      { scope: 'tenant', versions: ['20250101000100', '20250101000200'], schemas: 2, done: 4 },
    ]);
    expect(summary.slowest.map((s) => s.schema).sort()).toEqual(['company_a', 'company_b', 'public']);

    await migrate({ connection: db.url, migrationsDir }); // no change
    expect(await runIds(db)).toHaveLength(1);
  });

  test('the newest 20 runs are kept', async ({ db, dir }) => {
    const migrationsDir = await writeMigrations(dir, BASIC);
    await createTenants(db, 'company_a');
    await migrate({ connection: db.url, migrationsDir });
    const [first] = await runIds(db);
    for (let i = 0; i < 10; i++) {
      await rollback({ connection: db.url, migrationsDir });
      await migrate({ connection: db.url, migrationsDir });
    }
    const kept = await runIds(db);
    expect(kept).toHaveLength(20);
    expect(kept[0]).toBe(first! + 1);
  });

  test('a record that cannot be written is a note, and the run that did its work succeeds', async ({ db, dir }) => {
    const migrationsDir = await writeMigrations(dir, BASIC);
    await migrate({ connection: db.url, migrationsDir });
    await db.query('DROP TABLE migrate_tool.runs; CREATE TABLE migrate_tool.runs (id int)'); // not the shape it writes
    const notes: string[] = [];
    const back = await rollback({
      connection: db.url,
      migrationsDir,
      onEvent: (e) => e.type === 'note' && notes.push(e.message),
    });
    expect(back.result).toMatchObject({ failed: [], done: [{ version: '20250101000000' }] });
    expect(notes).toEqual([
      expect.stringMatching(
        /^this run's record \(migrate_tool\.runs, .*\) was not written: column "started_at" .*does not exist/,
      ),
    ]);
  });

  test('a role that may not write the record still runs; nothing is recorded for it and nothing fails', async ({
    db,
    dir,
  }) => {
    const migrationsDir = await writeMigrations(dir, BASIC);
    await migrate({ connection: db.url, migrationsDir });
    await withRowsOnlyRole(db, async (url, role) => {
      await db.query(`CREATE SCHEMA company_a AUTHORIZATION ${role}`);
      const run = await migrate({ connection: url, migrationsDir });
      expect(run.result).toMatchObject({ failed: [] });
      expect(run.result?.done).toHaveLength(2);
      expect(await runIds(db)).toHaveLength(1); // the owner's first run only
      // Reading without the right to read the record: no failures known, no error.
      expect((await tenants({ connection: url, migrationsDir })).map((t) => t.failed)).toEqual([undefined]);
    });
  });
});
