// PostgreSQL's client tools (psql, pg_dump) started by tests as the product starts them: the
// connection and its password in their environment (toolEnv), never on their command line, where
// every user's `ps` would see it.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { toolEnv } from '../../src/backup/tools';
import { connectionFromUrl } from '../../src/config/connection';

const run = promisify(execFile);

/** Runs `tool` with `args` against the database behind `url`; resolves to what it printed on stdout. */
export async function clientTool(
  tool: 'psql' | 'pg_dump',
  url: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<string> {
  const { stdout } = await run(tool, args, {
    env: { ...toolEnv(connectionFromUrl(url)), ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}
