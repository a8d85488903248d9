// Scratch databases (for `diff --from=migrations` and `test`): created on the target's server with
// the target's credentials, and dropped afterwards, also when the work fails or is interrupted.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Connection } from '../config/connection';
import { withClient, type ConnectOptions } from './connect';
import { OperationError } from '../errors';

export const SCRATCH_PREFIX = 'migrate_tool_scratch_';

export interface Scratch {
  name: string;
  connection: Connection;
}

export interface ScratchOptions extends ConnectOptions {
  /** Told when a scratch database could not be dropped after the work failed. */
  onLeftOver?: (message: string) => void;
}

/**
 * Runs `fn` in a fresh, empty database (from template0, so nothing an administrator added to
 * template1 shows up in a comparison) and drops it afterwards, whatever happened.
 */
export async function withScratchDatabase<T>(
  server: Connection,
  fn: (scratch: Scratch) => Promise<T>,
  opts: ScratchOptions = {},
): Promise<T> {
  // The process id tells an operator (and a test) which run a left-over database came from.
  const name = `${SCRATCH_PREFIX}${process.pid}_${randomBytes(4).toString('hex')}`;
  await withClient(server, opts, async (c) => {
    try {
      await c.query(`CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE template0`);
    } catch (error) {
      const e = error as Error & { code?: string };
      throw new OperationError(
        `Could not create a scratch database on ${server.host}:${server.port}: ${e.message}`,
        'SCRATCH_CREATE',
        e.code === '42501'
          ? `grant CREATEDB to ${server.user}, or run this command against a development server`
          : 'check the server and the user',
        { cause: error },
      );
    }
  });
  let result: T;
  try {
    result = await fn({ name, connection: { ...server, database: name } });
  } catch (error) {
    // The work's own error is the one to report; a failed drop is only noted beside it.
    await dropScratch(server, name, opts).catch((dropError: Error) => opts.onLeftOver?.(dropError.message));
    throw error;
  }
  await dropScratch(server, name, opts);
  return result;
}

async function dropScratch(server: Connection, name: string, opts: ScratchOptions): Promise<void> {
  // The drop must happen even after Ctrl-C, so it ignores the run's abort signal.
  await withClient(server, { connectTimeoutMs: opts.connectTimeoutMs }, (c) =>
    c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`),
  ).catch((error: Error) => {
    throw new OperationError(
      `Could not drop scratch database ${name}: ${error.message}`,
      'SCRATCH_DROP',
      `drop it by hand: DROP DATABASE "${name}" WITH (FORCE)`,
    );
  });
}
