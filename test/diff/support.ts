// Shared set-up for the diff tests: a copy of the sample's schema.prisma (to edit) and of its
// migrations, and the CLI pointed at a test database.
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { envFor, ROOT, runCli, type CliResult } from '../support/cli';

export const SAMPLE_SCHEMA = join(ROOT, 'prisma/schema.prisma');
export const SAMPLE_MIGRATIONS = join(ROOT, 'migrations');

/** Copies the sample schema into `dir`, with `edit` applied; returns its path. */
export async function schemaCopy(dir: string, edit: (text: string) => string = (t) => t): Promise<string> {
  const path = join(dir, 'schema.prisma');
  const text = await readFile(SAMPLE_SCHEMA, 'utf8');
  const edited = edit(text);
  if (edited === text && edit.length > 0) throw new Error('the edit changed nothing: the sample schema moved on');
  await writeFile(path, edited);
  return path;
}

/** Adds `lines` to the body of `model` in a schema text. */
export function addToModel(text: string, model: string, lines: string): string {
  const at = text.indexOf(`model ${model} {`);
  if (at === -1) throw new Error(`no model ${model}`);
  const close = text.indexOf('\n}', at);
  return `${text.slice(0, close)}\n${lines}${text.slice(close)}`;
}

export async function sampleMigrations(dir: string): Promise<string> {
  const to = join(dir, 'migrations');
  await cp(SAMPLE_MIGRATIONS, to, { recursive: true });
  return to;
}

export function cli(
  args: string[],
  opts: { url: string; dir: string; schema?: string; migrations?: string; env?: Record<string, string> },
): Promise<CliResult> {
  return runCli(args, {
    cwd: opts.dir,
    env: {
      ...envFor(opts.url),
      PRISMA_SCHEMA: opts.schema ?? SAMPLE_SCHEMA,
      MIGRATIONS_DIR: opts.migrations ?? join(opts.dir, 'migrations'),
      ...opts.env,
    },
    timeoutMs: 90_000,
  });
}
