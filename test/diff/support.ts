// Shared set-up for the diff tests: a copy of the sample's schema.prisma (to edit) and of its
// migrations, and the CLI pointed at a test database.
import { cp, readFile, writeFile } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { collect, envFor, ROOT, runCli, spawnCli, type CliResult } from '../support/cli';
import { freePort } from '../support/server';

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

export function cli(args: string[], opts: { url: string; dir: string; schema?: string; migrations?: string; env?: Record<string, string> }): Promise<CliResult> {
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

/**
 * Runs the CLI against a server that comes up 1.5 s late (a TCP relay to the real one behind
 * `url`, on a port nothing listens on until then): what `--wait` is for.
 */
export async function cliWithLateServer(args: string[], opts: { url: string; dir: string; env: Record<string, string> }): Promise<CliResult> {
  const port = await freePort();
  const child = spawnCli(args, { cwd: opts.dir, env: { ...envFor(opts.url), ...opts.env, POSTGRES_HOST: '127.0.0.1', POSTGRES_PORT: String(port) } });
  const done = collect(child, { timeoutMs: 60_000 });
  await new Promise((r) => setTimeout(r, 1500));
  const target = new URL(opts.url);
  const relay = createServer((client: Socket) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    client.pipe(upstream).pipe(client);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((r) => relay.listen(port, '127.0.0.1', r));
  try {
    return await done;
  } finally {
    relay.close();
  }
}
