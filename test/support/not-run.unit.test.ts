// A suite that passes with tests it could not run says so at the end, with the tests' own reasons.
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT } from './cli';
import { describe, expect, test } from './fixtures';

const VITEST = join(ROOT, 'node_modules/vitest/vitest.mjs');

describe('the not-run reporter', () => {
  test('lists the skipped tests by reason after the summary, a skip without a reason too; passing tests stay out', async ({
    dir,
  }) => {
    const notRun = JSON.stringify(join(ROOT, 'test/support/not-run.ts'));
    await writeFile(
      join(dir, 'sample.test.ts'),
      `import { notRun } from ${notRun};
describe.skipIf(true)(notRun('dumps', 'pg_dump 15 cannot dump PostgreSQL 17: install postgresql-client-17'), () => {
  test('one', () => {});
  test('two', () => {});
});
test.skipIf(true)(notRun('as nobody', 'no setpriv: install util-linux'), () => {});
test.skipIf(true)('skipped for no stated reason', () => {});
test('skips itself', ({ skip }) => skip(true, 'the server offers SSL: run it against one without'));
test(notRun('runs', undefined), () => expect(1).toBe(1));
`,
    );
    await writeFile(
      join(dir, 'vitest.config.mjs'),
      `export default { test: { globals: true, include: ['*.test.ts'] } };\n`,
    );
    const r = spawnSync(
      process.execPath,
      [
        VITEST,
        'run',
        '--root',
        dir,
        '--reporter=default',
        `--reporter=${join(ROOT, 'test/support/not-run-reporter.ts')}`,
      ],
      {
        cwd: dir,
        env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', CI: '1' },
        encoding: 'utf8',
      },
    );
    expect(r.status, r.stderr + r.stdout).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('NOT RUN'));
    expect(lines).toEqual([
      'NOT RUN: 2 tests (dumps): pg_dump 15 cannot dump PostgreSQL 17: install postgresql-client-17',
      'NOT RUN: 1 test (as nobody): no setpriv: install util-linux',
      'NOT RUN: 1 test (skips itself): the server offers SSL: run it against one without',
      'NOT RUN: 1 test with no reason given (skipped for no stated reason): give each its reason with notRun()',
    ]);
    expect(r.stdout.indexOf('NOT RUN')).toBeGreaterThan(r.stdout.indexOf('Tests'));
  });
});
