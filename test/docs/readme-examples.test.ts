// The README's examples, run: a listed command is found in the README, run as written (its
// VAR=value prefix on top of the README's usual target, maindb on 127.0.0.1:5432 as postgres), and
// what it prints must be what the README shows, line for line. Only examples that need no prepared
// database are listed; a README edit that changes one of them must keep it true.
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from '../support/fixtures';
import { envFor, ROOT, runCli } from '../support/cli';
import { adminUrl } from '../support/db';

interface Example {
  /** The command after `$ `, without a trailing comment. */
  command: string;
  /** The lines shown after it, up to the next command or the end of the block. */
  output: string[];
}

/** Every `$ command` in an indented block of the README, with the lines it shows after it. */
function readmeExamples(): Example[] {
  const lines = readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n');
  const examples: Example[] = [];
  for (const [i, line] of lines.entries()) {
    const m = /^( {4,})\$ (.+)$/.exec(line);
    if (!m) continue;
    const indent = m[1]!;
    const output: string[] = [];
    for (const next of lines.slice(i + 1)) {
      if (!next.startsWith(indent) || next.startsWith(`${indent}$ `) || !next.trim()) break;
      output.push(next.slice(indent.length));
    }
    examples.push({ command: m[2]!.replace(/\s+#.*$/, ''), output });
  }
  return examples;
}

// The README runs its commands in the checkout: the sample migrations are the folder.
const README_TARGET = {
  POSTGRES_HOST: '127.0.0.1',
  POSTGRES_PORT: '5432',
  POSTGRES_USER: 'postgres',
  POSTGRES_DB_PROD: 'maindb',
  MIGRATIONS_DIR: join(ROOT, 'migrations'),
};

/** Runs `VAR=value ... [npx] migrate-tool args` in `cwd`, on top of `base`; stderr then stdout, as lines. */
async function run(command: string, base: Record<string, string>, cwd: string): Promise<string[]> {
  const words = command.split(/\s+/);
  const env = { ...base };
  while (/^[A-Z_]+=/.test(words[0]!)) {
    const [key, ...value] = words.shift()!.split('=');
    env[key!] = value.join('=');
  }
  if (words[0] === 'npx') words.shift();
  expect(words.shift(), command).toBe('migrate-tool');
  const r = await runCli(words, { cwd, env });
  return `${r.stderr}${r.stdout}`.trimEnd().split('\n');
}

const examples = readmeExamples();
const find = (command: string) => {
  const found = examples.find((e) => e.command === command);
  if (!found)
    throw new Error(`README.md no longer shows \`$ ${command}\`: update this test with the example that replaced it`);
  return found;
};

// The examples that reach a server run against the suite's own, which asks for a password: as
// its user, with its password, unless the command sets its own. What the README shows is the same
// run on the README's target (127.0.0.1:5432 as postgres), so the server's address and user in the
// output are written as the README's before comparing; nothing else is touched.
const admin = new URL(adminUrl());
const SUITE_SERVER: Record<string, string> = {
  ...envFor(admin.toString()),
  POSTGRES_DB_PROD: 'maindb',
  MIGRATIONS_DIR: README_TARGET.MIGRATIONS_DIR,
};
const asReadme = (lines: string[]) => {
  const where = `${SUITE_SERVER.POSTGRES_HOST}:${SUITE_SERVER.POSTGRES_PORT}`;
  const user = SUITE_SERVER.POSTGRES_USER;
  return lines.map((l) =>
    l
      .replaceAll(where, '127.0.0.1:5432')
      .replaceAll(` as ${user} `, ' as postgres ')
      .replaceAll(`user "${user}"`, 'user "postgres"'),
  );
};

describe('README examples, run as shown', () => {
  test.for(['npx migrate-tool up --ddl-lock-timeout 0', 'POSTGRES_HOST=db.internal.invalid npx migrate-tool version'])(
    '%s',
    async (command, { dir }) => {
      const example = find(command);
      expect(await run(command, README_TARGET, dir)).toEqual(example.output);
    },
  );

  test('MIGRATIONS_DIR=notadir migrate-tool up (notadir: a file)', async ({ dir }) => {
    const example = find('MIGRATIONS_DIR=notadir migrate-tool up');
    await writeFile(join(dir, 'notadir'), 'SELECT 1;\n'); // relative to the folder it runs in
    expect(await run(example.command, README_TARGET, dir)).toEqual(example.output);
  });

  test('the .env whose line without "=" stops `down`, with the .env the README shows', async ({ dir }) => {
    const cat = examples.findIndex((e) => e.command === 'cat .env');
    expect(cat, 'README.md no longer shows `$ cat .env`').toBeGreaterThanOrEqual(0);
    await writeFile(join(dir, '.env'), `${examples[cat]!.output.join('\n')}\n`);
    const down = examples[cat + 1]!;
    expect(down.command).toBe('npx migrate-tool down');
    expect(await run(down.command, {}, dir)).toEqual(down.output);
  });

  test.for([
    'POSTGRES_PASSWORD=wrong-password npx migrate-tool version',
    'POSTGRES_PASSWORD= npx migrate-tool version',
    'POSTGRES_DB_PROD=maindb_typo npx migrate-tool version',
  ])("%s (on the suite's server)", async (command, { dir }) => {
    const example = find(command);
    expect(asReadme(await run(command, SUITE_SERVER, dir))).toEqual(example.output);
  });
});

// Every `up`/`down` that did something ends with the summary's two lines just before its closing
// line; an example written before they existed (or edited by hand) would lack them.
test('every README example that ends a run shows the summary before its closing line', () => {
  const closings = /^(Migration complete!|Rollback complete!|Migration failed in |Rollback failed in )/;
  const missing: string[] = [];
  for (const { command, output } of examples) {
    for (const [i, line] of output.entries()) {
      if (!closings.test(line)) continue;
      if (!output[i - 2]?.startsWith('Summary: ') || !output[i - 1]?.startsWith('Slowest schemas: '))
        missing.push(`$ ${command}: ${line}`);
    }
  }
  expect(missing).toEqual([]);
});
