// Where the database is: built from POSTGRES_* or DATABASE_URL, described for the
// "Target database:" line, and turned into pg's client options. The password stays inside.
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type pg from 'pg';
import { UsageError } from '../errors';

export type SslMode = 'disable' | 'require' | 'verify-full';

export interface Connection {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
  sslMode?: SslMode;
  /** TLS options as pg takes them (a caller's client with its own CA, say); used instead of what sslMode implies. */
  tls?: TlsOptions;
  /** Set from DATABASE_URL rather than POSTGRES_*: advice names the variable the operator actually set. */
  fromUrl?: boolean;
  /** The process runs in a container, where 127.0.0.1 is the container itself (the CLI detects it). */
  inContainer?: boolean;
}

interface CleanEnv {
  POSTGRES_HOST: string;
  POSTGRES_PORT: number;
  POSTGRES_USER?: string;
  POSTGRES_PASSWORD?: string;
  POSTGRES_DB_PROD?: string;
  DATABASE_URL?: string;
  POSTGRES_SSLMODE?: string;
}

export function connectionFromEnv(env: CleanEnv): { connection: Connection } | { problems: string[] } {
  const problems: string[] = [];
  const fromUrl = env.DATABASE_URL ? parseDatabaseUrl(env.DATABASE_URL, problems) : undefined;
  if (problems.length) return { problems };

  if (fromUrl?.database && env.POSTGRES_DB_PROD && fromUrl.database !== env.POSTGRES_DB_PROD) {
    problems.push(
      `DATABASE_URL names database "${fromUrl.database}" but POSTGRES_DB_PROD names "${env.POSTGRES_DB_PROD}": ` +
        'they must agree, so unset one of them',
    );
  }
  const database = env.POSTGRES_DB_PROD ?? fromUrl?.database;
  const user = fromUrl?.user ?? env.POSTGRES_USER;
  if (!database) problems.push('POSTGRES_DB_PROD is not set: set it to the database to migrate (or set DATABASE_URL)');
  if (!user) problems.push('POSTGRES_USER is not set: set it to the database user (or set DATABASE_URL)');
  if (problems.length || !database || !user) return { problems };

  return {
    connection: {
      host: fromUrl?.host ?? env.POSTGRES_HOST,
      port: fromUrl?.port ?? env.POSTGRES_PORT,
      user,
      password: fromUrl ? fromUrl.password : env.POSTGRES_PASSWORD,
      database,
      sslMode: (env.POSTGRES_SSLMODE as SslMode | undefined) ?? fromUrl?.sslMode,
      ...(fromUrl ? { fromUrl: true } : {}),
    },
  };
}

function parseDatabaseUrl(raw: string, problems: string[]): Partial<Connection> | undefined {
  const bad = 'DATABASE_URL is not a valid URL: set it like postgres://user:password@host:5432/database';
  if (!URL.canParse(raw)) return void problems.push(bad);
  const url = new URL(raw);
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') return void problems.push(bad);
  const sslMode = url.searchParams.get('sslmode') ?? undefined;
  if (sslMode && !['disable', 'require', 'verify-full', 'prefer', 'allow'].includes(sslMode)) {
    return void problems.push(
      `DATABASE_URL's sslmode=${sslMode} is not supported: use disable, require or verify-full`,
    );
  }
  // decodeURIComponent throws on a stray `%` (a password that was not percent-encoded).
  const decode = (part: string, what: string) => {
    if (!part) return undefined;
    const decoded = safeDecode(part);
    if (decoded === undefined)
      problems.push(`DATABASE_URL's ${what} has a % that is not a %-escape: percent-encode it (% is %25)`);
    return decoded;
  };
  return {
    host: url.hostname || undefined,
    port: url.port ? Number(url.port) : undefined,
    user: decode(url.username, 'user'),
    password: decode(url.password, 'password'),
    database: decode(url.pathname.slice(1), 'database name'),
    sslMode: sslMode === 'require' || sslMode === 'verify-full' || sslMode === 'disable' ? sslMode : undefined,
  };
}

function safeDecode(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

/** The password written in a postgres:// URL, as written and decoded: secrets to keep out of output even before the URL is validated. */
export function urlPasswords(raw: string | undefined): string[] {
  if (!raw || !URL.canParse(raw)) return [];
  const { password } = new URL(raw);
  const decoded = password ? safeDecode(password) : undefined;
  return [password, decoded].filter((s): s is string => Boolean(s));
}

/** A connection from a postgres:// URL, for library callers; defaults like libpq's. */
export function connectionFromUrl(url: string): Connection {
  const result = connectionFromEnv({ DATABASE_URL: url, POSTGRES_HOST: 'localhost', POSTGRES_PORT: 5432 });
  if ('problems' in result)
    throw new UsageError(
      result.problems.join('; '),
      'correct the connection settings named, then run again',
      'BAD_CONNECTION',
    );
  return result.connection;
}

/**
 * The settings of a caller's pg.Client (its connectionParameters), for the connections the engine
 * opens beside it: worker connections and the client tools. The password is the one the client
 * connected with (pg resolves a password function or ~/.pgpass into it when it connects).
 */
export function connectionFromClient(client: pg.Client): Connection {
  const p = (client as unknown as { connectionParameters?: ClientParameters }).connectionParameters ?? {};
  const password =
    typeof client.password === 'string' ? client.password : typeof p.password === 'string' ? p.password : undefined;
  const ssl = p.ssl;
  const tls = typeof ssl === 'object' && ssl !== null ? ssl : undefined;
  const sslMode: SslMode = !ssl ? 'disable' : tls?.rejectUnauthorized === false ? 'require' : 'verify-full';
  return {
    host: p.host ?? client.host ?? 'localhost',
    port: Number(p.port ?? client.port ?? 5432),
    user: p.user ?? client.user ?? '',
    ...(password === undefined ? {} : { password }),
    database: p.database ?? client.database ?? '',
    sslMode,
    ...(tls ? { tls } : {}),
  };
}

interface ClientParameters {
  host?: string;
  port?: number | string;
  user?: string;
  database?: string;
  password?: unknown;
  ssl?: boolean | TlsOptions;
}

/** `maindb on db.example.com:5432 as prod_user` */
export function describeTarget(c: Connection): string {
  return `${c.database} on ${c.host}:${c.port} as ${c.user}`;
}

/** Removes the password, and any credentials written into a URL, from a text before it is shown. */
export function redact(text: string, secrets: Array<string | undefined>): string {
  let out = text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:@/\s]*:)[^@/\s]+@/gi, '$1***@');
  for (const secret of secrets) if (secret && secret.length >= 3) out = out.split(secret).join('***');
  return out;
}
