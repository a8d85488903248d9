// backup() and restore() called from the library, as an application would: no `env` given.
import pg from 'pg';
import { inject } from 'vitest';
import { backup } from '../../src/backup/dump';
import { restore } from '../../src/backup/restore';
import type { Event } from '../../src/index';
import { describe, expect, test } from '../support/fixtures';
import { notRun } from '../support/not-run';
import { pgDumpSkipReason, wrappers } from './support';

const skip = await pgDumpSkipReason(inject('adminUrl'));

describe.skipIf(Boolean(skip))(notRun('backup and restore from the library', skip), () => {
  test("without env, pg_dump and pg_restore are found on this process's PATH, as any child process finds its tools", async ({
    db,
    dir,
  }) => {
    await db.query(`CREATE TABLE kept (id int); INSERT INTO kept VALUES (1), (2)`);
    // Wrappers first on this process's PATH: a tool started without it would be found elsewhere, or not at all.
    const w = await wrappers(dir);
    const path = process.env.PATH;
    process.env.PATH = `${w.bin}:${path}`;
    try {
      const taken = await backup({ connection: db.url, backupDir: `${dir}/backups` });
      await db.query('DELETE FROM kept');
      await restore({ connection: db.url, file: taken.file });
    } finally {
      process.env.PATH = path;
    }
    expect((await db.query('SELECT count(*)::int AS n FROM kept')).rows[0].n).toBe(2);
    const runs = (await w.log()).map((l) => l.split(' ')[0]);
    expect(runs.filter((t) => t === 'pg_dump').length).toBeGreaterThanOrEqual(1);
    expect(runs.filter((t) => t === 'pg_restore').length).toBeGreaterThanOrEqual(1);
  });

  test("an application's connected client: backup and restore use it and its connectionParameters, leave it open, and report through onEvent", async ({
    db,
    dir,
  }) => {
    await db.query(`CREATE TABLE kept (id int); INSERT INTO kept VALUES (1), (2)`);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const events: Event[] = [];
    // One handler, typed with every operation's events, serves both.
    const onEvent = (e: Event) => events.push(e);
    try {
      const taken = await backup({ connection: client, backupDir: `${dir}/backups`, onEvent });
      await db.query('DELETE FROM kept');
      await restore({ connection: client, file: taken.file, onEvent });
      expect((await client.query('SELECT count(*)::int AS n FROM kept')).rows[0].n).toBe(2);
    } finally {
      await client.end();
    }
    expect(events.some((e) => e.type === 'backup:progress')).toBe(true);
    expect(events.some((e) => e.type === 'restore:progress')).toBe(true);
  });

  test("on the application's client, a schema created after the backup is kept with its foreign key, and the client's search_path is left as it was", async ({
    db,
    dir,
  }) => {
    await db.query(`CREATE TABLE roles (id int PRIMARY KEY); INSERT INTO roles VALUES (1)`);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const taken = await backup({ connection: client, backupDir: `${dir}/backups` });
      await db.query(
        `CREATE SCHEMA company_new; CREATE TABLE company_new.t (role_id int REFERENCES public.roles (id)); INSERT INTO company_new.t VALUES (1)`,
      );
      await client.query(`SET search_path = company_new, public`);
      const result = await restore({ connection: client, file: taken.file });
      expect(result.kept).toEqual({ schemas: ['company_new'], rows: 0, foreignKeys: ['company_new.t.t_role_id_fkey'] });
      expect(result.method).toBe('script');
      expect((await client.query('SHOW search_path')).rows[0].search_path).toBe('company_new, public');
      expect((await client.query('SELECT role_id FROM t')).rows).toEqual([{ role_id: 1 }]);
      const fk = await client.query(
        `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = 't_role_id_fkey'`,
      );
      expect(fk.rows).toEqual([{ def: 'FOREIGN KEY (role_id) REFERENCES roles(id)' }]);
    } finally {
      await client.end();
    }
  });
});

test('a backup that fails (no pg_dump) holds no connection once it has returned', async ({ db, dir }) => {
  // pg_dump's absence is known at once, the server's version a round trip later: the failure must
  // not leave that session behind, still open, for an error of its own after the caller moved on.
  const failed = backup({ connection: db.url, backupDir: `${dir}/backups`, env: { PATH: `${dir}/empty-bin` } });
  await expect(failed).rejects.toThrow(/pg_dump was not found/);
  const others = await db.query(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
  );
  expect(others.rows[0].n).toBe(0);
});
