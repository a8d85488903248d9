// lint's lock findings come from the lock model (src/migrations/locks.ts), the one `plan` and the
// blocker check use: the same statement gets the same answer everywhere.
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { runCli } from '../support/cli';
import { describe, expect, test } from '../support/fixtures';
import { lintFiles } from '../../src/lint/lint';
import { levelOf } from '../../src/lint/rules';
import { MODEL_RULES } from '../../src/lint/lock-rules';
import { blocksReads, statementLocks } from '../../src/migrations/locks';

const LOCK_RULES = [...MODEL_RULES, 'table-rewrite', 'table-scan-under-lock'];

async function lint(dir: string, text: string) {
  const file = join(dir, 'm.sql');
  await writeFile(file, text);
  return (await lintFiles([file])).findings;
}

describe('lint reads locks from the lock model', () => {
  test.for([
    ['CLUSTER "orders" USING "orders_pkey";', 'table-rewrite'],
    ['VACUUM FULL "orders";', 'table-rewrite'],
    ['ALTER TABLE "orders" SET TABLESPACE pg_default;', 'table-rewrite'],
    ['REINDEX TABLE "orders";', 'table-scan-under-lock'],
    ['ALTER TABLE "orders" ADD COLUMN "token" uuid DEFAULT gen_random_uuid();', 'adding-field-with-default'],
    ['ALTER TABLE "orders" ADD COLUMN "seq" bigserial;', 'adding-field-with-default'],
    ['ALTER TABLE "orders" ALTER COLUMN "total" TYPE bigint;', 'changing-column-type'],
    ['ALTER TABLE "orders" ALTER COLUMN "total" SET NOT NULL;', 'adding-not-nullable-field'],
    ['CREATE INDEX "orders_total_idx" ON "orders" ("total");', 'require-concurrent-index-creation'],
    ['DROP INDEX "orders_total_idx";', 'require-concurrent-index-deletion'],
    ['REFRESH MATERIALIZED VIEW "order_totals";', 'table-rewrite'],
    ['ALTER TABLE "orders" SET LOGGED;', 'table-rewrite'],
    ['ALTER TABLE "orders" ADD COLUMN "n" int GENERATED ALWAYS AS IDENTITY;', 'adding-field-with-default'],
  ])('%s is an error (%s) that names the table and the lock the model gives', async ([sql, rule], { dir }) => {
    const findings = await lint(dir, `-- a change\n${sql}\n`);
    const [l] = await statementLocks(sql!);
    expect(findings).toContainEqual(expect.objectContaining({ rule, level: 'error', line: 2 }));
    const finding = findings.find((f) => f.rule === rule)!;
    expect(finding.message).toContain(l!.lock);
    expect(finding.message).toContain(l!.table);
    expect(finding.message).toContain(blocksReads(l!.lock) ? 'reads and writes' : 'writes');
    // DROP INDEX names the index, not its table: the finding says which it names.
    if (l!.index) expect(finding.message).toContain(`the table of index ${l!.table}`);
  });

  test.for([
    // An immutable default is evaluated once and kept in the catalog: no rewrite.
    'ALTER TABLE "orders" ADD COLUMN "code" text DEFAULT lower(\'A\');',
    'ALTER TABLE "orders" ADD COLUMN "label" text NOT NULL DEFAULT concat(\'order\', \'-\');',
    // A new column without a default is NULL in every row: its foreign key checks nothing.
    'ALTER TABLE "orders" ADD COLUMN "customer_id" int REFERENCES "customers" ("id");',
  ])('%s rewrites and scans nothing: no lock finding', async (sql, { dir }) => {
    const findings = await lint(dir, `${sql}\n`);
    expect(findings.filter((f) => LOCK_RULES.includes(f.rule))).toEqual([]);
  });

  test('a table created earlier in the same file is new and empty: building its index, keys and checks is no finding', async ({
    dir,
  }) => {
    const findings = await lint(
      dir,
      [
        'CREATE TABLE "invoices" ("id" int PRIMARY KEY, "total" int, "customer_id" int);',
        'CREATE INDEX "invoices_total_idx" ON "invoices" ("total");',
        'ALTER TABLE "invoices" ALTER COLUMN "total" SET NOT NULL;',
        'ALTER TABLE "invoices" ADD CONSTRAINT "total_pos" CHECK ("total" > 0);',
        'ALTER TABLE "invoices" ALTER COLUMN "total" TYPE bigint;',
        '',
      ].join('\n'),
    );
    expect(findings.filter((f) => levelOf(f.rule) === 'error')).toEqual([]);
  });

  test('the CLI reports a model finding with its file, line and advice, exit 1', async ({ dir }) => {
    const file = join(dir, 'cluster.sql');
    await writeFile(file, '-- order the table\n\nCLUSTER "orders" USING "orders_pkey";\n');
    const r = await runCli(['lint', file], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('cluster.sql:3:1: error table-rewrite:');
  });
});
