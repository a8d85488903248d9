// Bad input: each gets one clear line saying what to do, and the contract's exit code.
import { describe, expect, test } from '../support/fixtures';
import { envFor, runCli, runCliProcess, SENTINEL_PASSWORD } from '../support/cli';
import { cliWithLateServer } from '../support/late-server';
import { freePort } from '../support/server';
import { BASIC, writeMigrations } from '../support/migrations';

describe('usage errors exit 2 and touch nothing', () => {
  test.for([
    [['frobnicate'], 'Unknown command "frobnicate"'],
    [['up', '--frob'], 'Unknown flag --frob'],
    [['up', 'two'], 'N must be a whole number of at least 1 (got "two")'],
    [['-action=down', '-steps=0'], 'N must be a whole number of at least 1 (got "0")'],
    [['up', '--concurrency', '0'], '--concurrency must be a whole number of at least 1'],
    [['force'], 'force needs a version'],
    [['create'], 'create needs a name'],
    [['force', '20990101000000'], 'Version 20990101000000 is not a migration'],
    // Commands that write and have no dry run refuse it rather than do the real thing.
    [['hash', '--dry-run'], 'hash has no --dry-run; nothing was changed'],
    [['create', 'add_phone', '--dry-run'], 'create has no --dry-run; nothing was changed'],
    [['backup', '--dry-run'], 'backup has no --dry-run; nothing was changed'],
  ] as Array<[string[], string]>)('%j', async ([args, message], { db, dir }) => {
    const root = await writeMigrations(dir, BASIC);
    const r = await runCli(args, { env: { ...envFor(db.url), MIGRATIONS_DIR: root } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    const state = await db.query(`SELECT to_regnamespace('migrate_tool') AS s`);
    expect(state.rows[0].s).toBeNull();
  });

  test('a bad migration file is named, and nothing runs', async ({ db, dir }) => {
    const root = await writeMigrations(
      dir,
      { ...BASIC, 'tenant/20250101000300_add:phone.up.sql': 'SELECT 1;' },
      { sum: false },
    );
    const r = await runCli(['up'], { env: { ...envFor(db.url), MIGRATIONS_DIR: root } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('tenant/20250101000300_add:phone.up.sql: name must be <14-digit version>_<name>.up.sql');
    const state = await db.query(`SELECT to_regnamespace('migrate_tool') AS s`);
    expect(state.rows[0].s).toBeNull();
  });

  test('configuration problems are all reported at once', async ({ dir }) => {
    const r = await runCli(['up'], { env: { APP_ENV: 'staging', POSTGRES_PORT: 'x' }, cwd: dir });
    expect(r.code).toBe(2);
    const line = r.stderr.split('\n')[0]!;
    for (const part of [
      'POSTGRES_PORT',
      'APP_ENV must be one of dev, test, prod',
      'POSTGRES_DB_PROD is not set',
      'POSTGRES_USER is not set',
    ]) {
      expect(line).toContain(part);
    }
  });

  test('DATABASE_URL and POSTGRES_DB_PROD naming different databases is refused', async ({ dir }) => {
    const r = await runCli(['version'], {
      env: { DATABASE_URL: `postgres://u:${SENTINEL_PASSWORD}@127.0.0.1/one`, POSTGRES_DB_PROD: 'two' },
      cwd: dir,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('DATABASE_URL names database "one" but POSTGRES_DB_PROD names "two"');
  });

  test('a TENANT_SCHEMA_PATTERN that matches system schemas is refused before anything runs', async ({ db, dir }) => {
    const root = await writeMigrations(dir, BASIC);
    const r = await runCli(['up'], { env: { ...envFor(db.url), MIGRATIONS_DIR: root, TENANT_SCHEMA_PATTERN: '%' } });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringContaining(
        'TENANT_SCHEMA_PATTERN "%" matches the schema public (and information_schema, migrate_tool, ...)',
      ),
    ]);
    expect(r.stderr).toContain('set it to a pattern that only tenant schemas match (e.g. company_%)');
    const state = await db.query(`SELECT to_regnamespace('migrate_tool') AS s, to_regclass('public.companies') AS t`);
    expect(state.rows[0]).toEqual({ s: null, t: null });
  });

  test('a DATABASE_URL password with a stray % is a configuration error (exit 2), not a crash', async ({ dir }) => {
    const r = await runCli(['version'], {
      env: { DATABASE_URL: `postgres://u:${SENTINEL_PASSWORD}%zz@127.0.0.1/maindb` },
      cwd: dir,
    });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringContaining("DATABASE_URL's password has a % that is not a %-escape"),
    ]);
  });

  test('.env in the working directory is read, and the real environment wins over it', async ({ db, dir }) => {
    const env = envFor(db.url);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(
      `${dir}/.env`,
      Object.entries({ ...env, APP_ENV: 'test' })
        .map(([k, v]) => `${k}=${v}`)
        .join('\n'),
    );
    await writeMigrations(dir, BASIC);
    // Processes of their own: reading .env is main.ts's work.
    const fromFile = await runCliProcess(['version'], { cwd: dir, env: { POSTGRES_PASSWORD: env.POSTGRES_PASSWORD } });
    expect(fromFile.code).toBe(0);
    expect(fromFile.stderr).toContain(
      `Target database: ${db.name} on ${env.POSTGRES_HOST}:${env.POSTGRES_PORT} as ${env.POSTGRES_USER} (env: test)`,
    );
    const overridden = await runCliProcess(['version'], {
      cwd: dir,
      env: { POSTGRES_PASSWORD: env.POSTGRES_PASSWORD, APP_ENV: 'dev' },
    });
    expect(overridden.stderr).toContain('(env: dev)');
  });

  test('when .env names another target than the environment, the target line says the environment won and what .env named', async ({
    db,
    dir,
  }) => {
    const env = envFor(db.url);
    const { writeFile } = await import('node:fs/promises');
    const dotenv = {
      POSTGRES_HOST: 'db.example.invalid',
      POSTGRES_DB_PROD: 'otherdb',
      POSTGRES_USER: env.POSTGRES_USER,
      POSTGRES_PASSWORD: 'Dotenv-Secret-41c9',
    };
    await writeFile(
      `${dir}/.env`,
      Object.entries(dotenv)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n'),
    );
    await writeMigrations(dir, BASIC);
    const r = await runCli(['version'], { cwd: dir, env });
    expect(r.code).toBe(0);
    expect(r.stderr.split('\n')[0]).toBe(
      `Target database: ${db.name} on ${env.POSTGRES_HOST}:${env.POSTGRES_PORT} as ${env.POSTGRES_USER} ` +
        `(env: dev; from the environment, which wins over .env: .env names otherdb on db.example.invalid:5432 as ${env.POSTGRES_USER}, ignored)`,
    );
    expect(r.stderr + r.stdout).not.toContain('Dotenv-Secret-41c9');

    // The same with DATABASE_URL on both sides; neither password is printed.
    await writeFile(
      `${dir}/.env`,
      'DATABASE_URL=postgres://app:Dotenv-Url-Secret-5e1d@db.example.invalid:6543/otherdb\n',
    );
    const url = new URL(db.url);
    // A server without a password ignores this one; a server with one needs its own.
    if (!url.password) url.password = 'Url-Secret-77ab';
    const viaUrl = await runCli(['version'], { cwd: dir, env: { DATABASE_URL: url.toString() } });
    expect(viaUrl.code).toBe(0);
    expect(viaUrl.stderr).toContain(
      '(env: dev; from the environment, which wins over .env: .env names otherdb on db.example.invalid:6543 as app, ignored)',
    );
    for (const secret of [decodeURIComponent(url.password), 'Dotenv-Url-Secret-5e1d'])
      expect(viaUrl.stderr + viaUrl.stdout).not.toContain(secret);
  });

  test('help in every form prints usage and exits 0', async () => {
    for (const args of [['help'], ['--help'], ['-action=help'], ['up', '--help'], ['help', 'down']]) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/migrate-tool (<command>|up|down)/);
    }
  });
});

describe('connection problems exit 1 with one line and the fix', () => {
  const withFolder = async (dir: string, env: Record<string, string>) => ({
    ...env,
    MIGRATIONS_DIR: await writeMigrations(dir, BASIC),
  });

  test('connection refused', async ({ dir }) => {
    const port = await freePort();
    const r = await runCli(['version'], {
      cwd: dir,
      env: await withFolder(dir, {
        POSTGRES_HOST: '127.0.0.1',
        POSTGRES_PORT: String(port),
        POSTGRES_USER: 'u',
        POSTGRES_DB_PROD: 'maindb',
        POSTGRES_PASSWORD: SENTINEL_PASSWORD,
      }),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error: Connection refused by 127.0.0.1:${port}`);
    expect(r.stderr).toContain('fix: check that PostgreSQL is running there');
  });

  test('diff refuses a bad name before it connects or builds anything', async ({ dir }) => {
    const port = await freePort();
    const r = await runCli(['diff', 'Add Bio'], {
      cwd: dir,
      env: await withFolder(dir, {
        POSTGRES_HOST: '127.0.0.1',
        POSTGRES_PORT: String(port),
        POSTGRES_USER: 'u',
        POSTGRES_DB_PROD: 'maindb',
      }),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Migration name "Add Bio" is not valid');
    expect(r.stderr).not.toContain('Connection refused');
  });

  test('database does not exist', async ({ db, dir }) => {
    const r = await runCli(['version'], {
      cwd: dir,
      env: await withFolder(dir, { ...envFor(db.url), POSTGRES_DB_PROD: 'no_such_db' }),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: Database "no_such_db" does not exist');
    expect(r.stderr).toContain('fix: create it (createdb no_such_db) or fix POSTGRES_DB_PROD');
  });

  test('authentication failed', async ({ db, dir }) => {
    const r = await runCli(['version'], {
      cwd: dir,
      env: await withFolder(dir, { ...envFor(db.url), POSTGRES_USER: 'no_such_role' }),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: Authentication failed for user "no_such_role"');
    expect(r.stderr).toContain('fix: check POSTGRES_USER and POSTGRES_PASSWORD');
  });

  test('POSTGRES_SSLMODE=require against a server without SSL says so; unset, SSL is only used when offered', async ({
    db,
    dir,
    skip,
  }) => {
    const ssl = await db.query<{ ssl: string }>('SHOW ssl');
    skip(ssl.rows[0]!.ssl === 'on', 'the test server offers SSL, so there is no refusal to see');
    const env = await withFolder(dir, envFor(db.url));
    const r = await runCli(['version'], { cwd: dir, env: { ...env, POSTGRES_SSLMODE: 'require' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('does not support SSL, which POSTGRES_SSLMODE=require requires');
    expect((await runCli(['version'], { cwd: dir, env })).code).toBe(0);
  });

  test('host not found', async ({ dir }) => {
    const r = await runCli(['version'], {
      cwd: dir,
      env: await withFolder(dir, {
        POSTGRES_HOST: 'no-such-host.invalid',
        POSTGRES_USER: 'u',
        POSTGRES_DB_PROD: 'maindb',
      }),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: Host not found: no-such-host.invalid');
  });

  test('a URL password never appears, even in a connection error', async ({ dir }) => {
    const port = await freePort();
    const r = await runCli(['up', '--json'], {
      cwd: dir,
      env: await withFolder(dir, { DATABASE_URL: `postgres://u:${SENTINEL_PASSWORD}@127.0.0.1:${port}/maindb` }),
    });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.code).toBe('CONNECTION_REFUSED');
  });

  test('--wait retries until the server accepts connections', async ({ db, dir }) => {
    const root = await writeMigrations(dir, BASIC);
    const r = await cliWithLateServer(['up', '--wait=20'], { url: db.url, dir, env: { MIGRATIONS_DIR: root } });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Waiting for the database: Connection refused');
    expect(r.stdout).toContain('Migration complete!');
  });
});

describe('error lines', () => {
  test('an error is one line on stderr that ends with what to do', async ({ db, dir }) => {
    const r = await runCli(['version'], {
      cwd: dir,
      env: { ...envFor(db.url), POSTGRES_DB_PROD: 'no_such_db', MIGRATIONS_DIR: await writeMigrations(dir, BASIC) },
    });
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(2); // the target line, then the error
    expect(lines[1]).toMatch(
      /^error: Database "no_such_db" does not exist on .+; fix: create it \(createdb no_such_db\) or fix POSTGRES_DB_PROD$/,
    );
  });
});
