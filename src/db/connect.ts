// Opening connections: bounded connect timeout, optional waiting for a server that is still
// starting (compose), and one-line explanations of the usual connection failures.
import pg from 'pg';
import { describeTarget, type Connection } from '../config/connection';
import { OperationError } from '../errors';
import { option, remedy, type Remedy } from '../remedy';
import { sleep } from '../util/sleep';

export interface ConnectOptions {
  /** Give up on one connection attempt after this long. */
  connectTimeoutMs?: number;
  /** Keep retrying refused/unreachable/starting-up servers for this long (`--wait`). */
  waitMs?: number;
  signal?: AbortSignal;
  onWait?: (reason: string) => void;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** Servers that refused SSL under the default mode ("prefer"): later connections go plain at once. */
const plainServers = new Set<string>();
const serverKey = (c: Connection) => `${c.host}:${c.port}`;

export function pgConfig(c: Connection, connectTimeoutMs = DEFAULT_CONNECT_TIMEOUT_MS): pg.ClientConfig {
  // Unset means libpq's default, "prefer": SSL (unverified) if the server offers it, plain if not.
  const prefer = c.sslMode === undefined && !plainServers.has(serverKey(c));
  return {
    host: c.host,
    port: c.port,
    user: c.user,
    password: c.password,
    database: c.database,
    ssl: c.tls
      ? c.tls
      : c.sslMode === 'verify-full'
        ? { rejectUnauthorized: true }
        : c.sslMode === 'require' || prefer
          ? { rejectUnauthorized: false }
          : false,
    connectionTimeoutMillis: connectTimeoutMs,
    application_name: 'migrate-tool',
    // TCP keepalives notice a dead peer on an idle connection (the server's side: session.ts).
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  };
}

export async function connect(c: Connection, opts: ConnectOptions = {}): Promise<pg.Client> {
  const deadline = Date.now() + (opts.waitMs ?? 0);
  for (let attempt = 1; ; attempt++) {
    // Whether this attempt offers SSL: a concurrent connect may learn "plain" while it runs.
    const triedSsl = c.sslMode === undefined && !plainServers.has(serverKey(c));
    const client = new pg.Client(pgConfig(c, opts.connectTimeoutMs));
    try {
      await client.connect();
      return client;
    } catch (error) {
      await client.end().catch(() => {});
      if (triedSsl && /does not support SSL/i.test((error as Error)?.message)) {
        plainServers.add(serverKey(c));
        attempt--;
        continue;
      }
      const retryable = isTransient(error);
      if (!retryable || Date.now() >= deadline || opts.signal?.aborted) throw explainConnectionError(error, c);
      opts.onWait?.(explainConnectionError(error, c).message);
      await sleep(Math.min(250 * attempt, 2_000), opts.signal);
      if (opts.signal?.aborted) throw explainConnectionError(error, c); // Ctrl-C ends the wait now, not after one more attempt
    }
  }
}

export async function withClient<T>(
  c: Connection,
  opts: ConnectOptions,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = await connect(c, opts);
  // A connection the server drops while idle must not crash the process.
  client.on('error', () => {});
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

function codeOf(error: unknown): string | undefined {
  const e = error as { code?: string; errors?: Array<{ code?: string }> };
  return e?.code ?? e?.errors?.find((x) => x.code)?.code;
}

function isTransient(error: unknown): boolean {
  const code = codeOf(error);
  const message = (error as Error)?.message ?? '';
  return (
    ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', '57P03'].includes(
      code ?? '',
    ) || /timeout|terminated unexpectedly/i.test(message)
  );
}

/**
 * Turns a failed connection attempt into one line that says what to fix, in the library's terms
 * (the connection's settings, waitMs); the CLI words it with its own variables and flags by code.
 */
export function explainConnectionError(error: unknown, c: Connection): OperationError {
  const code = codeOf(error);
  const where = `${c.host}:${c.port}`;
  const server = (error as Error)?.message ?? String(error);
  const fail = (message: string, advice: string | Remedy, tag: string) =>
    new OperationError(message, tag, advice, { cause: error });
  const authFailed = (why: string) =>
    fail(
      `Authentication failed for user "${c.user}" on ${where} (${why})`,
      "check the connection's user and password",
      'AUTH_FAILED',
    );
  switch (code) {
    case 'ECONNREFUSED':
      return fail(
        `Connection refused by ${where}`,
        "check that PostgreSQL is running there and that the connection's host and port are right (waitMs waits for a server that is starting)",
        'CONNECTION_REFUSED',
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return fail(
        `Host not found: ${c.host}`,
        "check the connection's host (in compose, the database service name)",
        'HOST_NOT_FOUND',
      );
    case '28P01':
    case '28000':
      return authFailed(server);
    case '3D000':
      return fail(
        `Database "${c.database}" does not exist on ${where}`,
        remedy`create it (createdb ${c.database}) or fix ${option('database')}`,
        'DATABASE_NOT_FOUND',
      );
    case '57P03':
      return fail(`The server at ${where} is starting up`, 'retry in a moment, or set waitMs', 'SERVER_STARTING');
  }
  // The server asks for a password (SCRAM) and the connection has none: the driver stops before
  // the server can say anything, with a message about its own SASL state.
  if (/client password must be a string/i.test(server))
    return authFailed('the server asks for a password and none was given');
  if (/does not support SSL/i.test(server)) {
    return fail(
      `The server at ${where} does not support SSL, which POSTGRES_SSLMODE=${c.sslMode} requires`,
      "set the connection's sslMode to disable, or leave it unset to use SSL only when offered",
      'SSL_UNSUPPORTED',
    );
  }
  if (/timeout/i.test(server)) {
    return fail(
      `Connection to ${where} timed out`,
      'check the host, the port and any firewall between them',
      'CONNECT_TIMEOUT',
    );
  }
  return fail(
    `Could not connect to ${describeTarget(c)}: ${server}`,
    "check the connection's settings",
    'CONNECT_FAILED',
  );
}
