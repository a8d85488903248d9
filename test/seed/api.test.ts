// seed() as a library call: what the CLI cannot show as directly.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { migrate, type Event } from '../../src/index';
import { seed } from '../../src/seed/api';
import { runCli } from '../support/cli';
import { describe, expect, test } from '../support/fixtures';
import { project } from './support';

describe('seed()', () => {
  test("on an application's connected client: migrate then seed, one Event handler, the client given back as it was", async ({
    db,
    dir,
  }) => {
    await db.query('CREATE SCHEMA company_a');
    const p = await project(dir, db);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query(`SET search_path = company_a, public; SET lock_timeout = '9s'`);
      const types: string[] = [];
      const options = { connection: client, migrationsDir: p.migrations, onEvent: (e: Event) => types.push(e.type) };
      expect((await migrate(options)).result?.failed).toEqual([]);
      const report = await seed(options, { seedsDir: p.seeds });
      expect(report.totals.inserted).toBeGreaterThan(0);
      expect(types).toContain('migration:start');
      expect(types).toContain('set:done');
      const r = await client.query(
        `SELECT current_setting('search_path') AS sp, current_setting('lock_timeout') AS lt, pg_backend_pid() AS pid`,
      );
      expect(r.rows[0]).toMatchObject({ sp: 'company_a, public', lt: '9s' });
      const locks = await client.query(`SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()`);
      expect(locks.rowCount).toBe(0);
    } finally {
      await client.end();
    }
  });

  test('two seeds at once: the run lock lets one insert and the other find everything in place', async ({
    db,
    dir,
  }) => {
    await db.query('CREATE SCHEMA company_a');
    const p = await project(dir, db);
    expect((await runCli(['up'], { env: p.env })).code).toBe(0);
    const options = { connection: db.url, migrationsDir: p.migrations };
    const [a, b] = await Promise.all([seed(options, { seedsDir: p.seeds }), seed(options, { seedsDir: p.seeds })]);
    const inserted = [a.totals.inserted, b.totals.inserted].sort((x, y) => x - y);
    expect(inserted[0]).toBe(0);
    expect(inserted[1]).toBeGreaterThan(0);
    expect([a.totals.updated, b.totals.updated]).toEqual([0, 0]);
    expect((await db.query('SELECT count(*)::int AS n FROM roles')).rows[0].n).toBe(2);
  });

  test('reports each set as it starts and finishes, in file order', async ({ db, dir }) => {
    const p = await project(dir, db);
    expect((await runCli(['up'], { env: p.env })).code).toBe(0);
    const events: string[] = [];
    await seed(
      {
        connection: db.url,
        migrationsDir: p.migrations,
        onEvent: (e) =>
          e.type === 'set:start'
            ? events.push(`start ${e.file}`)
            : e.type === 'set:done' && events.push(`done ${e.result.file}`),
      },
      { seedsDir: p.seeds },
    );
    expect(events.slice(0, 4)).toEqual([
      'start 01_resources.json',
      'done 01_resources.json',
      'start 02_roles.json',
      'done 02_roles.json',
    ]);
    expect(events).toHaveLength(12);
  });

  test('a seed whose lock connection dies fails as a lost lock, and nothing is kept', async ({ db, dir }) => {
    const p = await project(dir, db);
    expect((await runCli(['up'], { env: p.env })).code).toBe(0);
    await writeFile(join(p.seeds, '07_slow.sql'), 'SELECT pg_sleep(60);\n');
    const running = seed({ connection: db.url, migrationsDir: p.migrations }, { seedsDir: p.seeds });
    const outcome = running.then(
      () => undefined,
      (error: unknown) => error,
    );
    // The seed runs on the lock's connection: once the slow set runs there, end that session.
    for (let killed = 0; killed === 0;) {
      const r = await db.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'SELECT pg_sleep(60)%'`,
      );
      killed = r.rowCount ?? 0;
      if (!killed) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await outcome).toMatchObject({ code: 'LOCK_LOST', exitCode: 1 });
    expect((await db.query('SELECT count(*)::int AS n FROM roles')).rows[0].n).toBe(0);
  });
});
