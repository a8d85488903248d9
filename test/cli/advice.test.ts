// Advice that fits where the tool runs and how it was configured: DATABASE_URL rather than the
// POSTGRES_* variables nobody set, a loopback host inside a container, and an `advice` on every
// --json error, usage and configuration errors included.
import { describe, expect, test } from '../support/fixtures';
import { envFor, runCli, SENTINEL_PASSWORD } from '../support/cli';
import { freePort } from '../support/server';
import { urlFor } from '../support/db';
import { BASIC, writeMigrations } from '../support/migrations';
import { inProcess } from '../support/in-process';

describe('connection advice', () => {
  test('inside a container, a refused 127.0.0.1 is explained as the container itself, not as --wait', async ({
    dir,
  }) => {
    const port = await freePort();
    const env = {
      POSTGRES_HOST: '127.0.0.1',
      POSTGRES_PORT: String(port),
      POSTGRES_USER: 'u',
      POSTGRES_DB_PROD: 'maindb',
      MIGRATIONS_DIR: await writeMigrations(dir, BASIC),
    };
    const inside = await inProcess(['version'], env, true);
    expect(inside.code).toBe(1);
    expect(inside.stderr).toContain(
      'fix: check that PostgreSQL is running there: this runs in a container, where 127.0.0.1 is the container itself (unless it runs with --network host); for a database in another container or on the host, set POSTGRES_HOST to its compose service name or address',
    );
    expect(inside.stderr).not.toContain('add --wait');
    // Outside a container the usual advice stays.
    const outside = await inProcess(['version'], env, false);
    expect(outside.stderr).toContain('(in compose, add --wait)');
  });

  test('with DATABASE_URL, a missing database names DATABASE_URL, not POSTGRES_DB_PROD', async ({ dir }) => {
    const url = new URL(urlFor('no_such_db_for_advice'));
    // The server's own password where it has one: a wrong one would fail before the database is looked up.
    if (!url.password) url.password = SENTINEL_PASSWORD;
    const r = await runCli(['version'], {
      cwd: dir,
      env: { DATABASE_URL: url.toString(), MIGRATIONS_DIR: await writeMigrations(dir, BASIC) },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'fix: create it (createdb no_such_db_for_advice) or fix the database name in DATABASE_URL',
    );
    expect(r.stderr).not.toContain('POSTGRES_DB_PROD');
  });

  test('with DATABASE_URL, a refused connection names DATABASE_URL', async ({ dir }) => {
    const port = await freePort();
    const r = await inProcess(
      ['version'],
      { DATABASE_URL: `postgres://u@127.0.0.1:${port}/maindb`, MIGRATIONS_DIR: await writeMigrations(dir, BASIC) },
      false,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "fix: check that PostgreSQL is running there and that DATABASE_URL's host and port are right",
    );
  });
});

describe('client tools advice', () => {
  test("inside a container without pg_dump, backup points at the migrate-tool image's backup job, not at apt-get", async ({
    db,
    dir,
  }) => {
    // PATH holds node's folder only: no PostgreSQL client tools, as in an application image.
    const env = {
      ...envFor(db.url),
      MIGRATIONS_DIR: await writeMigrations(dir, BASIC),
      BACKUP_DIR: `${dir}/backups`,
      PATH: `${dir}/empty-bin`,
    };
    const inside = await inProcess(['backup'], env, true);
    expect(inside.code).toBe(1);
    expect(inside.stderr).toContain(
      "error: pg_dump was not found on PATH; fix: this container's image has no pg_dump: run this with the migrate-tool image instead, whose backup job (docker compose -f docker-compose.prod.yml run --rm backup) carries the PostgreSQL 17 client",
    );
    expect(inside.stderr).not.toContain('apt-get');
    const outside = await inProcess(['backup'], env, false);
    expect(outside.stderr).toContain('apt-get install postgresql-client');
  });
});

describe('every --json error carries advice', () => {
  test.for([
    ['configuration error', ['version', '--json'], {}, 'CONFIG'],
    ['bad number', ['up', 'two', '--json'], null, 'USAGE'],
    ['bad --from', ['diff', 'x', '--from', 'nowhere', '--json'], null, 'USAGE'],
  ] as Array<[string, string[], Record<string, string> | null, string]>)(
    '%s',
    async ([, argv, env, code], { db, dir }) => {
      const root = await writeMigrations(dir, BASIC);
      const r = await runCli(argv, { cwd: dir, env: { ...(env ?? envFor(db.url)), MIGRATIONS_DIR: root } });
      expect(r.code).toBe(2);
      const doc = JSON.parse(r.stdout);
      expect(doc.error.code).toBe(code);
      expect(typeof doc.error.advice).toBe('string');
      expect(doc.error.advice.length).toBeGreaterThan(10);
    },
  );
});
