// The README's "Expand and contract" example, run as shown: its `cat` blocks are the migration
// files, its `psql` line runs on the test's database, and each `migrate-tool` command must print
// what the README shows. Times (timestamps, durations, the slowest schemas) are the only thing
// compared loosely; the README's target (maindb on 127.0.0.1:5432 as postgres) stands for the test's.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { envFor, ROOT, runCli } from '../support/cli';
import { describe, expect, test } from '../support/fixtures';
import { createTenants, writeMigrations } from '../support/migrations';

interface Step {
  command: string;
  output: string[];
}

/** The `$ ` commands of the README's section, each with the lines shown after it. */
function sectionSteps(heading: string): Step[] {
  const text = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = text.indexOf(`\n## ${heading}\n`);
  expect(start, `README.md has no section "${heading}"`).toBeGreaterThan(-1);
  const end = text.indexOf('\n## ', start + 1);
  const lines = text.slice(start, end).split('\n');
  const steps: Step[] = [];
  for (const [i, line] of lines.entries()) {
    const m = /^ {4}\$ (.+)$/.exec(line);
    if (!m) continue;
    const output: string[] = [];
    for (const next of lines.slice(i + 1)) {
      if (!next.startsWith('    ') || next.startsWith('    $ ') || !next.trim()) break;
      output.push(next.slice(4));
    }
    steps.push({ command: m[1]!, output });
  }
  return steps;
}

/** What varies from run to run: times, and the order of the slowest schemas. */
const loose = (lines: string[]) =>
  lines.map((l) =>
    l
      .replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ/g, '<time>')
      .replace(/[\d.]+ s in all/, '<s> in all')
      .replace(/^Slowest schemas: .*/, 'Slowest schemas: <list>'),
  );

describe('README: Expand and contract', () => {
  test('the column rename runs as shown', async ({ db, dir }) => {
    const steps = sectionSteps('Expand and contract');
    // Release 1, as the README describes it, applied before the example starts.
    await createTenants(db, 'company_a', 'company_b');
    const release1 = {
      'tenant/20261201000000_employees.up.sql': 'CREATE TABLE employees (id serial PRIMARY KEY, name text NOT NULL);',
    };
    const migrations = await writeMigrations(dir, release1);
    const env = { ...envFor(db.url), MIGRATIONS_DIR: migrations };
    expect((await runCli(['up'], { env })).code).toBe(0);
    await db.query(`INSERT INTO company_a.employees (name) VALUES ('Ann Lee')`);

    const files = Object.fromEntries(
      steps
        .filter((s) => s.command.startsWith('cat migrations/'))
        .map((s) => [s.command.slice('cat migrations/'.length), `${s.output.join('\n')}\n`]),
    );
    expect(Object.keys(files)).toHaveLength(3);
    await writeMigrations(dir, { ...release1, ...files });

    const u = new URL(db.url);
    const asReadme = (lines: string[]) =>
      lines.map((l) =>
        l.replace(
          `${db.name} on ${u.hostname}:${u.port || 5432} as ${decodeURIComponent(u.username)} `,
          'maindb on 127.0.0.1:5432 as postgres ',
        ),
      );
    const ran: string[] = [];
    for (const step of steps) {
      if (step.command.startsWith('cat ')) continue;
      if (step.command.startsWith('psql maindb -c ')) {
        await db.query(step.command.slice('psql maindb -c '.length).replace(/^'|'$/g, ''));
        continue;
      }
      const words = step.command.split(/\s+/);
      expect(words.slice(0, 2)).toEqual(['npx', 'migrate-tool']);
      const r = await runCli(words.slice(2), { env });
      const shown = asReadme(`${r.stderr}${r.stdout}`.trimEnd().split('\n'));
      expect(loose(shown), step.command).toEqual(loose(step.output));
      ran.push(step.command);
    }
    expect(ran).toEqual([
      'npx migrate-tool up',
      'npx migrate-tool status',
      'npx migrate-tool up --contract',
      'npx migrate-tool up',
      'npx migrate-tool up --contract',
    ]);
    // The old application's row kept its name, now in full_name; the old column is gone.
    expect((await db.query(`SELECT * FROM company_a.employees`)).rows).toEqual([{ id: 1, full_name: 'Ann Lee' }]);
  });
});
