// The environment schema (envalid) and its translation into a typed Config.
// Pure: it is handed an environment record and never reads process.env itself.
import { cleanEnv, num, port, str } from 'envalid';
import { ConfigError } from '../errors';
import { connectionFromEnv, type Connection } from './connection';
import { tenantPatternProblem } from './tenant-pattern';

export const APP_ENVS = ['dev', 'test', 'prod'] as const;
export type AppEnv = (typeof APP_ENVS)[number];

export interface Config {
  appEnv: AppEnv;
  migrationsDir: string;
  tenantPattern: string;
  prismaSchema: string;
  seedsDir: string;
  backupDir: string;
  backupRetentionDays: number;
  /** Spare tenant schemas `up` keeps ready for migrateTenant (0: none). */
  tenantSpares: number;
  /** Present when the command touches a database. */
  connection?: Connection;
}

export interface LoadOptions {
  /** Validate the connection settings too (commands that touch a database). */
  needsDatabase: boolean;
  /** Flag values that win over the environment (`--env`, `--dir`). */
  overrides?: { appEnv?: string; migrationsDir?: string };
}

const optional = { default: undefined } as const;

/** Spare tenant schemas are built by every `up` that lacks them: a few cover the sign-ups between two runs. */
export const MAX_SPARES = 100;

const specs = {
  POSTGRES_HOST: str({ default: 'localhost', desc: 'database server host' }),
  POSTGRES_PORT: port({ default: 5432, desc: 'database server port' }),
  POSTGRES_USER: str({ ...optional, desc: 'database user' }),
  POSTGRES_PASSWORD: str({ ...optional, desc: 'database password' }),
  POSTGRES_DB_PROD: str({ ...optional, desc: 'the database every command targets' }),
  DATABASE_URL: str({ ...optional, desc: 'postgres://user:password@host:port/database' }),
  POSTGRES_SSLMODE: str({ ...optional, choices: ['disable', 'require', 'verify-full'] }),
  APP_ENV: str({ default: 'dev', choices: [...APP_ENVS] }),
  MIGRATIONS_DIR: str({ default: './migrations' }),
  TENANT_SCHEMA_PATTERN: str({ default: 'company_%' }),
  PRISMA_SCHEMA: str({ default: './prisma/schema.prisma' }),
  SEEDS_DIR: str({ default: './seeds' }),
  BACKUP_DIR: str({ default: './backups' }),
  BACKUP_RETENTION_DAYS: num({ default: 2 }),
  TENANT_SPARES: num({ default: 0 }),
};

export function loadConfig(env: Record<string, string | undefined>, options: LoadOptions): Config {
  const merged = { ...env };
  if (options.overrides?.appEnv !== undefined) merged.APP_ENV = options.overrides.appEnv;
  if (options.overrides?.migrationsDir !== undefined) merged.MIGRATIONS_DIR = options.overrides.migrationsDir;
  // Empty strings count as unset: compose files often pass `VAR=` through.
  for (const key of Object.keys(merged)) if (merged[key] === '') delete merged[key];

  const problems: string[] = [];
  const failed = new Set<string>();
  const clean = cleanEnv(merged, specs, {
    reporter: ({ errors }) => {
      for (const [key, error] of Object.entries(errors)) {
        failed.add(key);
        problems.push(describeEnvError(key, error as Error, merged[key]));
      }
    },
  });
  // envalid's result throws on access to a variable that failed; check the rest only.
  if (!failed.has('BACKUP_RETENTION_DAYS') && clean.BACKUP_RETENTION_DAYS < 0)
    problems.push('BACKUP_RETENTION_DAYS must be 0 or more');
  if (
    !failed.has('TENANT_SPARES') &&
    !(Number.isInteger(clean.TENANT_SPARES) && clean.TENANT_SPARES >= 0 && clean.TENANT_SPARES <= MAX_SPARES)
  )
    problems.push(`TENANT_SPARES must be a whole number from 0 to ${MAX_SPARES} (got "${merged.TENANT_SPARES}")`);
  // A backslash escapes the next character, as in LIKE itself (company\_% matches a literal _).
  if (!/^(?:[A-Za-z0-9_%]|\\[A-Za-z0-9_%])+$/.test(clean.TENANT_SCHEMA_PATTERN)) {
    problems.push(
      'TENANT_SCHEMA_PATTERN must be a SQL LIKE pattern of letters, digits, _ and %, with \\ escaping _ or % (e.g. company_%)',
    );
  } else {
    const problem = tenantPatternProblem(clean.TENANT_SCHEMA_PATTERN);
    if (problem) problems.push(problem);
  }
  let connection: Connection | undefined;
  if (options.needsDatabase) {
    // Read the connection variables that passed; a failed one is already reported above.
    const ok = <K extends keyof typeof specs>(k: K) => (failed.has(k) ? undefined : clean[k]);
    const result = connectionFromEnv({
      POSTGRES_HOST: ok('POSTGRES_HOST') ?? 'localhost',
      POSTGRES_PORT: ok('POSTGRES_PORT') ?? 5432,
      POSTGRES_USER: ok('POSTGRES_USER'),
      POSTGRES_PASSWORD: ok('POSTGRES_PASSWORD'),
      POSTGRES_DB_PROD: ok('POSTGRES_DB_PROD'),
      DATABASE_URL: ok('DATABASE_URL'),
      POSTGRES_SSLMODE: ok('POSTGRES_SSLMODE'),
    });
    if ('problems' in result) problems.push(...result.problems);
    else connection = result.connection;
  }
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    appEnv: clean.APP_ENV as AppEnv,
    migrationsDir: clean.MIGRATIONS_DIR,
    tenantPattern: clean.TENANT_SCHEMA_PATTERN,
    prismaSchema: clean.PRISMA_SCHEMA,
    seedsDir: clean.SEEDS_DIR,
    backupDir: clean.BACKUP_DIR,
    backupRetentionDays: clean.BACKUP_RETENTION_DAYS,
    tenantSpares: failed.has('TENANT_SPARES') ? 0 : clean.TENANT_SPARES,
    connection,
  };
}

function describeEnvError(key: string, error: Error, value: string | undefined): string {
  // envalid's messages can quote the value; never let a secret through.
  if (key === 'POSTGRES_PASSWORD' || key === 'DATABASE_URL') return `${key} is invalid: set it to ${specHelp(key)}`;
  const spec = specs[key as keyof typeof specs] as { choices?: readonly string[] } | undefined;
  if (spec?.choices) return `${key} must be one of ${spec.choices.join(', ')} (got "${value}")`;
  return `${key}: ${error.message.replace(/^Invalid \w+ input: /, 'invalid value ')}`;
}

function specHelp(key: string): string {
  return key === 'DATABASE_URL' ? 'a URL like postgres://user:password@host:5432/database' : 'the database password';
}
