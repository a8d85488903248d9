// `lint` and `up --lint` through the real CLI and the real squawk binary.
import { join } from 'node:path';
import { mkdir, writeFile } from 'node:fs/promises';
import { runCli, envFor, ROOT } from '../support/cli';
import { createTenants, writeMigrations } from '../support/migrations';
import { describe, expect, test } from '../support/fixtures';
import { levelOf, ERROR_RULES, EXCLUDED_RULES } from '../../src/lint/rules';
import { lintFiles } from '../../src/lint/lint';

const SAMPLE_INDEX = join(ROOT, 'migrations/tenant/20251210220000_appointments_starts_at_index.up.sql');

async function sql(dir: string, name: string, text: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

describe('lint FILE', () => {
  test('flags CREATE INDEX without CONCURRENTLY as an error, with file and line, exit 1', async ({ dir }) => {
    const file = await sql(
      dir,
      'index.sql',
      '-- an index\n\nCREATE INDEX "appointments_status_idx" ON "appointments" ("status");\n',
    );
    const r = await runCli(['lint', file], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('index.sql:3:1: error require-concurrent-index-creation:');
    expect(r.stdout).toContain('1 error, 0 warnings in 1 file');
  });

  test("passes the sample's CONCURRENTLY migration, linted as running outside a transaction", async ({ dir }) => {
    const r = await runCli(['lint', SAMPLE_INDEX], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('No problems found in 1 file');
  });

  test('CONCURRENTLY in a file that runs in a transaction is an error', async ({ dir }) => {
    const file = await sql(dir, 'c.sql', 'CREATE INDEX CONCURRENTLY IF NOT EXISTS "a_idx" ON "a" ("b");\n');
    const r = await runCli(['lint', file, '--json'], { cwd: dir });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.findings).toContainEqual(
      expect.objectContaining({ rule: 'ban-concurrent-index-creation-in-transaction', level: 'error', line: 1 }),
    );
  });

  test('warnings alone exit 0; --json gives each finding with file, line, level and rule', async ({ dir }) => {
    const file = await sql(dir, 'w.sql', 'ALTER TABLE "employees" DROP COLUMN "legacy";\n');
    const r = await runCli(['lint', file, '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ errors: 0, warnings: 1, files: [file] });
    // Columns are 1-based too: DROP COLUMN starts at the 25th character.
    expect(report.findings[0]).toMatchObject({ file, line: 1, column: 25, level: 'warning', rule: 'ban-drop-column' });
  });

  test('a NOT NULL column without a default is an error', async ({ dir }) => {
    const file = await sql(dir, 'n.sql', 'ALTER TABLE "employees" ADD COLUMN "bio" TEXT NOT NULL;\n');
    const r = await runCli(['lint', file], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('error adding-required-field');
  });

  test('a missing file is a usage error', async ({ dir }) => {
    const r = await runCli(['lint', join(dir, 'nope.sql')], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Cannot read');
  });

  test('needs no database settings when files are named', async ({ dir }) => {
    const r = await runCli(['lint', SAMPLE_INDEX], { cwd: dir, env: {} });
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain('Target database');
  });
});

describe('lint (pending migrations)', () => {
  test('lints only what up would apply, in both scopes', async ({ db, dir }) => {
    const migrations = await writeMigrations(dir, {
      '20250101000000_init.up.sql': 'CREATE TABLE companies (id serial PRIMARY KEY, name text);',
      '20250101000000_init.down.sql': 'DROP TABLE companies;',
      '20250101000100_companies_name.up.sql': 'CREATE INDEX companies_name_idx ON companies (name);',
      '20250101000100_companies_name.down.sql': 'DROP INDEX companies_name_idx;',
      'tenant/20250101000200_employees.up.sql':
        'CREATE TABLE employees (id serial PRIMARY KEY);\nALTER TABLE employees ADD COLUMN email text NOT NULL;',
      'tenant/20250101000200_employees.down.sql': 'DROP TABLE employees;',
    });
    await createTenants(db, 'company_a');
    const env = { ...envFor(db.url), MIGRATIONS_DIR: migrations };
    expect((await runCli(['up', '1'], { cwd: dir, env })).code).toBe(0);
    const r = await runCli(['lint', '--json'], { cwd: dir, env });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.files.map((f: string) => f.slice(migrations.length + 1))).toEqual([
      '20250101000100_companies_name.up.sql',
      'tenant/20250101000200_employees.up.sql',
    ]);
    expect(report.findings.map((f: { rule: string }) => f.rule)).toContain('require-concurrent-index-creation');
  });

  test('with nothing pending says so and exits 0', async ({ db, dir }) => {
    const migrations = await writeMigrations(dir, {
      '20250101000000_init.up.sql': 'CREATE TABLE t (id int);',
      '20250101000000_init.down.sql': 'DROP TABLE t;',
    });
    const env = { ...envFor(db.url), MIGRATIONS_DIR: migrations };
    expect((await runCli(['up'], { cwd: dir, env })).code).toBe(0);
    const r = await runCli(['lint'], { cwd: dir, env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('No pending migrations to lint');
  });
});

describe('up --lint', () => {
  test('stops before applying anything when a pending migration has an error-level finding', async ({ db, dir }) => {
    const migrations = await writeMigrations(dir, {
      '20250101000000_init.up.sql': 'CREATE TABLE companies (id serial PRIMARY KEY, name text);',
      '20250101000000_init.down.sql': 'DROP TABLE companies;',
      '20250101000100_companies_name.up.sql': 'CREATE INDEX companies_name_idx ON companies (name);',
      '20250101000100_companies_name.down.sql': 'DROP INDEX companies_name_idx;',
    });
    const env = { ...envFor(db.url), MIGRATIONS_DIR: migrations };
    expect((await runCli(['up', '1'], { cwd: dir, env })).code).toBe(0);
    const r = await runCli(['up', '--lint'], { cwd: dir, env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error require-concurrent-index-creation');
    expect(r.stderr).toContain('nothing was migrated');
    const { rows } = await db.query(`SELECT to_regclass('public.companies_name_idx') AS idx`);
    expect(rows[0].idx).toBeNull();
  });

  test('applies when the findings are warnings only', async ({ db, dir }) => {
    const migrations = await writeMigrations(dir, {
      '20250101000000_init.up.sql': 'CREATE TABLE companies (id serial PRIMARY KEY, legacy text);',
      '20250101000000_init.down.sql': 'DROP TABLE companies;',
      '20250101000100_drop_legacy.up.sql': 'ALTER TABLE companies DROP COLUMN legacy;',
      '20250101000100_drop_legacy.down.sql': 'ALTER TABLE companies ADD COLUMN legacy text;',
    });
    const env = { ...envFor(db.url), MIGRATIONS_DIR: migrations };
    expect((await runCli(['up', '1'], { cwd: dir, env })).code).toBe(0);
    const r = await runCli(['up', '--lint'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('warning ban-drop-column');
    expect(r.stdout).toContain('Migration complete!');
  });
});

describe('levels', () => {
  test('error rules are errors, everything else a warning; excluded rules never reported', async ({ dir }) => {
    expect(levelOf('require-concurrent-index-creation')).toBe('error');
    expect(levelOf('ban-drop-table')).toBe('warning');
    expect(levelOf('some-future-rule')).toBe('warning');
    expect(Object.keys(ERROR_RULES)).not.toContain('ban-drop-column');
    const file = await sql(
      dir,
      't.sql',
      'ALTER TABLE "a" ADD COLUMN "b" INTEGER;\nCREATE TABLE "c" ("id" SERIAL PRIMARY KEY);\n',
    );
    const report = await lintFiles([file]);
    for (const f of report.findings) expect(EXCLUDED_RULES).not.toContain(f.rule);
    expect(report.findings.map((f) => f.rule)).not.toContain('require-lock-timeout');
  });
});

describe('type-choice rules', () => {
  const TABLE =
    'CREATE TABLE "t" ("id" SERIAL NOT NULL, "code" CHAR(8) NOT NULL, "at" TIMESTAMP(3) NOT NULL, "n" INTEGER, CONSTRAINT "t_pkey" PRIMARY KEY ("id"));\n';
  const typeRules = (report: Awaited<ReturnType<typeof lintFiles>>, file: string) =>
    report.findings
      .filter(
        (f) => f.file === file && ['ban-char-field', 'prefer-timestamp-tz', 'prefer-bigint-over-int'].includes(f.rule),
      )
      .map((f) => f.rule)
      .filter((r, i, all) => all.indexOf(r) === i)
      .sort();

  test('are not reported in files diff generated or import brought in, and are warnings in hand-written ones', async ({
    dir,
  }) => {
    const generated = await sql(
      dir,
      'generated.up.sql',
      `-- 20260101000000_init (global): runs once, in schema public.\n-- Generated by \`migrate-tool diff\` from prisma/schema.prisma. Review it before committing.\n\n${TABLE}`,
    );
    const imported = await sql(
      dir,
      'imported.up.sql',
      `-- imported from prisma: 20240101000000_init/migration.sql\n${TABLE}`,
    );
    const handWritten = await sql(dir, 'hand.up.sql', `-- by hand\n${TABLE}`);
    const report = await lintFiles([generated, imported, handWritten]);
    expect(typeRules(report, generated)).toEqual([]);
    expect(typeRules(report, imported)).toEqual([]);
    expect(typeRules(report, handWritten)).toEqual(['ban-char-field', 'prefer-bigint-over-int', 'prefer-timestamp-tz']);
    expect(
      report.findings
        .filter((f) => f.file === handWritten && typeRules(report, handWritten).includes(f.rule))
        .every((f) => f.level === 'warning'),
    ).toBe(true);
    // The marker counts only in the header: a generated file's other findings are still reported.
    const late = await sql(
      dir,
      'late.up.sql',
      `CREATE TABLE "x" (\n"c" CHAR(1),\n"d" TEXT,\n"e" TEXT,\n"f" TEXT\n);\n-- Generated by \`migrate-tool diff\`\n`,
    );
    expect(typeRules(await lintFiles([late]), late)).toEqual(['ban-char-field']);
  });
});
