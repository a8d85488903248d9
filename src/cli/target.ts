// The "Target database:" line. When a .env file names another target than the real environment,
// the environment wins (the contract), and the line says so: an operator who edited .env must not
// believe the run went where the file says.
import { describeTarget, loadConfig, type Config, type LoadOptions } from '../internal';

const CONNECTION_KEYS = ['DATABASE_URL', 'POSTGRES_HOST', 'POSTGRES_PORT', 'POSTGRES_USER', 'POSTGRES_DB_PROD'];

export interface Sources {
  /** The environment the run uses: .env filled in under the real environment. */
  env: Record<string, string | undefined>;
  /** What the .env file alone says, when there is one. */
  dotenv?: Record<string, string | undefined>;
}

export function targetLine(config: Config, sources: Sources, options: LoadOptions): string | undefined {
  if (!config.connection) return undefined;
  const line = `Target database: ${describeTarget(config.connection)} (env: ${config.appEnv}`;
  const ignored = ignoredDotenvTarget(config, sources, options);
  return ignored ? `${line}; from the environment, which wins over .env: ${ignored}, ignored)` : `${line})`;
}

/** What .env would have targeted, described, when the real environment overrode it with another target. */
function ignoredDotenvTarget(config: Config, { env, dotenv }: Sources, options: LoadOptions): string | undefined {
  if (!dotenv || !CONNECTION_KEYS.some((k) => dotenv[k] !== undefined && dotenv[k] !== env[k])) return undefined;
  const used = describeTarget(config.connection!);
  let wanted: string;
  try {
    // The same configuration with .env winning: the target the file asks for.
    const alternative = loadConfig(dotenvWinning(env, dotenv), options).connection;
    wanted = alternative ? describeTarget(alternative) : '';
  } catch {
    wanted = ''; // .env's settings would not even load; that they were overridden is still worth saying
  }
  if (wanted === used) return undefined;
  return wanted ? `.env names ${wanted}` : '.env has other connection settings';
}

/**
 * The environment with .env winning. A server that .env names (a host, a URL) is on .env's port or the
 * default one: the environment's POSTGRES_PORT belongs to the environment's server.
 */
function dotenvWinning(env: Sources['env'], dotenv: NonNullable<Sources['dotenv']>): Sources['env'] {
  const merged = { ...env, ...dotenv };
  if ((dotenv.POSTGRES_HOST !== undefined || dotenv.DATABASE_URL !== undefined) && dotenv.POSTGRES_PORT === undefined)
    delete merged.POSTGRES_PORT;
  return merged;
}
