// The --json documents that CI scripts read are written down as JSON Schemas in docs/schema/;
// here the real CLI's output is validated against them, in the states a script meets: applied,
// failed (detail, hint, dirty, advice), rolled back, dry run, an older release, errors.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { describe, expect, test } from '../support/fixtures';
import { envFor, ROOT, runCli } from '../support/cli';
import { BASIC, createTenants, writeMigrations } from '../support/migrations';

const ajv = new Ajv({ allErrors: true, strict: true });
const schemas = Object.fromEntries(
  ['up', 'version', 'status', 'error', 'drift'].map((name) => [
    name,
    ajv.compile(JSON.parse(readFileSync(join(ROOT, 'docs/schema', `${name}.schema.json`), 'utf8'))),
  ]),
) as Record<'up' | 'version' | 'status' | 'error' | 'drift', ValidateFunction>;

function valid(name: keyof typeof schemas, stdout: string): unknown {
  const doc = JSON.parse(stdout);
  const ok = schemas[name](doc);
  expect(ok, `${name}: ${ajv.errorsText(schemas[name].errors)}\n${stdout}`).toBe(true);
  return doc;
}

/** A tenant migration that fails in company_b with a DETAIL, outside a transaction (dirty). */
const FAILING = {
  ...BASIC,
  'tenant/20250101000300_unique_email.up.sql':
    '-- migrate:no-transaction\nALTER TABLE employees ADD CONSTRAINT employees_email_key UNIQUE (email);\n',
  'tenant/20250101000300_unique_email.down.sql': 'ALTER TABLE employees DROP CONSTRAINT employees_email_key;\n',
};

describe('--json output matches docs/schema', () => {
  test('up, version, status, down and a dry run, on a first setup and after', async ({ db, dir }) => {
    const env = { ...envFor(db.url), MIGRATIONS_DIR: await writeMigrations(dir, BASIC) };
    // First setup: no tenant schema yet.
    valid('up', (await runCli(['up', '--dry-run', '--json'], { env })).stdout);
    const first = valid('up', (await runCli(['up', '--json'], { env })).stdout) as { applied: unknown[] };
    expect(first.applied).toHaveLength(1);
    expect(valid('version', (await runCli(['version', '--json'], { env })).stdout)).toMatchObject({
      newTenantVersion: '20250101000200',
    });
    valid('status', (await runCli(['status', '--json'], { env })).stdout);

    await createTenants(db, 'company_a', 'company_b');
    valid('up', (await runCli(['up', '--json'], { env })).stdout);
    valid('version', (await runCli(['version', '--json'], { env })).stdout);
    valid('status', (await runCli(['status', '--json'], { env })).stdout);
    const down = valid('up', (await runCli(['down', '--json'], { env })).stdout) as { rolledBack: unknown[] };
    expect(down.rolledBack).toHaveLength(2);
  });

  test('a failed entry with detail, dirty and advice', async ({ db, dir }) => {
    const env = { ...envFor(db.url), MIGRATIONS_DIR: await writeMigrations(dir, FAILING) };
    await createTenants(db, 'company_a', 'company_b');
    expect((await runCli(['up', '3'], { env })).code).toBe(0);
    // Duplicate emails: the unique constraint fails with a DETAIL in company_b only.
    await db.query(
      `INSERT INTO company_b.employees (name, email) VALUES ('x', 'a@example.com'), ('y', 'a@example.com')`,
    );
    const r = await runCli(['up', '--json'], { env });
    expect(r.code).toBe(1);
    const doc = valid('up', r.stdout) as {
      failed: Array<{ schema: string; detail?: string; dirty?: boolean; advice?: string }>;
    };
    expect(doc.failed).toEqual([
      expect.objectContaining({ schema: 'company_b', dirty: true, detail: expect.stringContaining('a@example.com') }),
    ]);
    expect(doc.failed[0]!.advice).toBeTruthy();
    valid('status', (await runCli(['status', '--json'], { env })).stdout);
    valid('version', (await runCli(['version', '--json'], { env })).stdout);
  });

  test('an older release: missingFile and unknownVersions', async ({ db, dir }) => {
    const env = { ...envFor(db.url), MIGRATIONS_DIR: await writeMigrations(dir, BASIC) };
    await createTenants(db, 'company_a');
    await runCli(['up'], { env });
    const older = {
      ...env,
      MIGRATIONS_DIR: await writeMigrations(join(dir, 'older'), {
        '20250101000000_init.up.sql': BASIC['20250101000000_init.up.sql']!,
        '20250101000000_init.down.sql': BASIC['20250101000000_init.down.sql']!,
      }),
    };
    const status = valid('status', (await runCli(['status', '--json'], { env: older })).stdout) as {
      migrations: Array<{ missingFile?: boolean }>;
    };
    expect(status.migrations.filter((m) => m.missingFile)).toHaveLength(2);
    valid('version', (await runCli(['version', '--json'], { env: older })).stdout);
    valid('up', (await runCli(['up', '--json'], { env: older })).stdout);
  });

  test('drift: nothing drifted, drifted schemas grouped, --tenant, public', async ({ db, dir }) => {
    const env = { ...envFor(db.url), MIGRATIONS_DIR: await writeMigrations(dir, BASIC) };
    await createTenants(db, 'company_a', 'company_b', 'company_c');
    await runCli(['up'], { env });
    expect(valid('drift', (await runCli(['drift', '--json'], { env })).stdout)).toMatchObject({
      public: 'match',
      groups: [],
    });
    await db.query(
      'CREATE INDEX foo_idx ON company_b.employees (name); CREATE INDEX foo_idx ON company_c.employees (name); ALTER TABLE companies ADD COLUMN x int',
    );
    const drifted = valid('drift', (await runCli(['drift', '--json'], { env })).stdout) as { groups: unknown[] };
    expect(drifted.groups).toHaveLength(2);
    valid('drift', (await runCli(['drift', '--tenant', 'company_b', '--json'], { env })).stdout);
  });

  test.for([
    ['a configuration error', ['version', '--json'], false],
    ['a usage error', ['up', 'two', '--json'], true],
    ['a connection error', ['version', '--json'], 'nodb'],
  ] as Array<[string, string[], boolean | 'nodb']>)('%s', async ([, argv, how], { db, dir }) => {
    const base = how === false ? {} : envFor(db.url);
    const env = {
      ...base,
      ...(how === 'nodb' ? { POSTGRES_DB_PROD: `${db.name}_missing` } : {}),
      MIGRATIONS_DIR: await writeMigrations(dir, BASIC),
    };
    const r = await runCli(argv, { cwd: dir, env });
    expect(r.code).not.toBe(0);
    valid('error', r.stdout);
  });
});
