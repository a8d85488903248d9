// Running the real migrate-tool CLI (bin/migrate-tool.js) from a benchmark, configured the way an
// operator configures it: POSTGRES_* variables, never a password in the argument list.
import { fileURLToPath } from 'node:url';
import { mustSucceed, runProcess, type ProcessRun } from './measure';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = fileURLToPath(new URL('../../bin/migrate-tool.js', import.meta.url));

/** A clean environment with the POSTGRES_* variables that point the CLI at `url`'s database. */
export function cliEnv(url: string, migrationsDir: string): NodeJS.ProcessEnv {
  const u = new URL(url);
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    POSTGRES_HOST: u.hostname,
    POSTGRES_PORT: u.port || '5432',
    POSTGRES_USER: decodeURIComponent(u.username),
    ...(u.password ? { POSTGRES_PASSWORD: decodeURIComponent(u.password) } : {}),
    POSTGRES_DB_PROD: u.pathname.slice(1),
    MIGRATIONS_DIR: migrationsDir,
  };
}

/** `node bin/migrate-tool.js ...args`, timed, with its peak RSS. */
export function migrateTool(args: string[], url: string, migrationsDir: string): Promise<ProcessRun> {
  return runProcess(process.execPath, [BIN, ...args], { env: cliEnv(url, migrationsDir), cwd: ROOT });
}

/**
 * Makes sure the bundle is current before a timed run, so that a rebuild (which the launcher does
 * when a source is newer than dist/cli.js) is never part of what is measured.
 */
export async function ensureBuilt(): Promise<void> {
  mustSucceed('migrate-tool help', await runProcess(process.execPath, [BIN, 'help'], { cwd: ROOT }));
}
