// A syntax error is reported by the server before it runs any statement of what it was sent (it
// parses the whole string first), yet it names the file and line like every other error.
import { expect, test } from '../support/fixtures';
import { envFor, runCli } from '../support/cli';
import { BASIC, createTenants, writeMigrations } from '../support/migrations';

test('a syntax error in a tenant chain names the file and the line it is on', async ({ db, dir }) => {
  const root = await writeMigrations(dir, {
    ...BASIC,
    'tenant/20250101000300_bad.up.sql':
      'CREATE TABLE audit (id int);\n\nCREATE TABLE notes (\n  id int,\n  body text,,\n);\n',
  });
  await createTenants(db, 'company_a');
  const r = await runCli(['up'], { cwd: dir, env: { ...envFor(db.url), MIGRATIONS_DIR: root } });
  expect(r.code).toBe(1);
  expect(r.stdout).toContain(
    'company_a at 20250101000300: tenant/20250101000300_bad.up.sql:5: syntax error at or near ","',
  );
});

test('a syntax error in a global migration names the file and the line it is on', async ({ db, dir }) => {
  const root = await writeMigrations(dir, {
    '20250101000000_plans.up.sql': 'CREATE TABLE plans (id int PRIMARY KEY);',
    '20250101000100_prices.up.sql':
      '-- prices per plan\nCREATE TABLE prices (\n  id int,\n  plan_id int REFRENCES plans\n);\n',
  });
  const r = await runCli(['up'], { cwd: dir, env: { ...envFor(db.url), MIGRATIONS_DIR: root } });
  expect(r.code).toBe(1);
  expect(r.stdout).toContain(
    'public at 20250101000100: 20250101000100_prices.up.sql:4: syntax error at or near "REFRENCES"',
  );
});
