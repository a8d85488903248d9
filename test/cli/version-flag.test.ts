// `--version` prints the bundle's own version, in a process of its own; a flag-style invocation
// that forgot -action says so.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, runCliProcess } from '../support/cli';
import { describe, expect, test } from '../support/fixtures';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

describe("the tool's version and a missing command", () => {
  test.for([{ args: ['--version'] }, { args: ['-version'] }])(
    '$args prints the version from package.json and exits 0',
    async ({ args }, { dir }) => {
      const r = await runCliProcess(args, { cwd: dir });
      expect(r.stdout).toBe(`migrate-tool ${pkg.version}\n`);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    },
  );

  test.for([
    { args: ['-steps=2'] },
    { args: ['-env=prod', '-steps=1'] },
    { args: ['--json'] },
    { args: ['-version=20250101000000'] },
  ])('$args without a command says that one is missing, in one line, exit 2', async ({ args }, { dir }) => {
    const r = await runCliProcess(args, { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      'error: no command given; fix: name one first (migrate-tool up) or add -action=<command> (e.g. -action=up)',
    ]);
    if (args.includes('--json')) expect(JSON.parse(r.stdout).error.code).toBe('NO_COMMAND');
    else expect(r.stdout).toBe('');
  });
});
