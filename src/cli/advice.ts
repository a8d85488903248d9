// The CLI's advice, by error code. The engine advises in the library's terms (options such as
// lockTimeoutMs, functions such as rewriteSum()); an operator at the CLI needs the flags, commands
// and variables that set those. Each code whose engine advice names a library option or function
// has an entry here (test/cli/advice-codes.unit.test.ts checks it against the engine's sources).
import type { Connection, FailedEntry, MigrateToolError } from '../index';
import { existsAdvice } from './failure-advice';

export interface AdviceContext {
  /** The connection as the configuration built it: which variables the operator set, in a container or not. */
  connection?: Connection;
}

type Advise = (error: MigrateToolError, ctx: AdviceContext) => string | undefined;

/** How to recover a dirty schema (migrations/plan.ts dirtyAdvice): force, per schema. */
const FORCE_CALL = /\bcall force\(options, '<version>'(?:, \{ tenant: '([^']+)' \})?\)/;
const forceCommand = (_: string, tenant?: string) => `run \`migrate-tool force <version>${tenant ? ` --tenant ${tenant}` : ''}\``;

/** Library words and the CLI's words for them, in the engine's advice. */
const WORDS: Array<[RegExp, string | ((match: string, ...groups: string[]) => string)]> = [
  [FORCE_CALL, forceCommand],
  [/\bset migrationsDir, or create its first migration with createMigration\(\)/, 'set MIGRATIONS_DIR or pass --dir, or run `migrate-tool create NAME`'],
  [/\bset migrationsDir, or seed with force: true to skip that check/, 'set MIGRATIONS_DIR (or --dir), or pass --force to seed without that check'],
  [/\bpoint migrationsDir\b/, 'point MIGRATIONS_DIR (or --dir)'],
  [/\bimportFolder\('([^']+)', SRC, migrationsDir\)/, '`migrate-tool import $1 SRC`'],
  [/\bcall force\(\) with its version, then migrate\(\)/, 'run `migrate-tool force VERSION`, then `migrate-tool up`'],
  [/\bseed with force: true anyway/, 'pass --force to seed anyway'],
  [/\bpass forgetApplied: true/, 'add --forget-applied'],
  [/\bbackupDir\b/g, 'BACKUP_DIR'],
  [/\bseedsDir\b/g, 'SEEDS_DIR'],
  [/\bprismaSchema\b/g, 'PRISMA_SCHEMA'],
  [/\bddlLockTimeoutMs\b/g, '--ddl-lock-timeout'],
  [/\bblockerTimeoutMs\b/g, '--blocker-timeout'],
  [/\blockTimeoutMs\b/g, '--lock-timeout'],
  [/\bgenerateBaseline\(\)/g, '`migrate-tool diff --baseline NAME`'],
  [/\brewriteSum\(\)/g, '`migrate-tool hash`'],
  [/\bmigrate\(\)/g, '`migrate-tool up`'],
  [/\brollback\(\)/g, '`migrate-tool down`'],
  [/\b(backup|restore|seed|adopt|status|tenants)\(\)/g, '`migrate-tool $1`'],
];

/** A text of the engine's advice in the CLI's words (also the advice in a run's results: a dirty schema's). */
export function cliWords(advice: string): string {
  for (const [library, cli] of WORDS) advice = typeof cli === 'string' ? advice.replace(library, cli) : advice.replace(library, cli);
  return advice;
}

/**
 * A run's failure in the CLI's words: its advice, and the dirty-schema advice that a refused
 * schema's error carries. Nothing else of the error is touched: it is the server's text.
 */
export function cliFailure(f: FailedEntry): FailedEntry {
  const error = f.error.replace(FORCE_CALL, forceCommand);
  const advice = f.advice === undefined ? existsAdvice(f) : cliWords(f.advice);
  return { ...f, error, ...(advice === undefined ? {} : { advice }) };
}

const words: Advise = (error) => (error.advice === undefined ? undefined : cliWords(error.advice));

const fromUrl = (ctx: AdviceContext) => Boolean(ctx.connection?.fromUrl);

/**
 * In a container (an application's image that carries ./migrate-tool), installing packages into
 * the running container is not the fix: the migrate-tool image carries pg_dump, pg_restore and psql.
 */
function fromTheImage(tool: string): string {
  const job =
    tool === 'pg_dump'
      ? 'backup job (docker compose -f docker-compose.prod.yml run --rm backup)'
      : 'migrate job (docker compose -f docker-compose.prod.yml run --rm migrate restore FILE --yes)';
  return `this container's image has no ${tool}: run this with the migrate-tool image instead, whose ${job} carries the PostgreSQL 17 client; or add postgresql-client to this image`;
}

export const CLI_ADVICE: Record<string, Advise> = {
  // Connections: the variables the operator actually set (POSTGRES_* or DATABASE_URL).
  CONNECTION_REFUSED: (_, ctx) => {
    const c = ctx.connection;
    if (c?.inContainer && /^(127\.|localhost$|::1$)/.test(c.host)) {
      const host = fromUrl(ctx) ? "DATABASE_URL's host" : 'POSTGRES_HOST';
      return `check that PostgreSQL is running there: this runs in a container, where ${c.host} is the container itself (unless it runs with --network host); for a database in another container or on the host, set ${host} to its compose service name or address`;
    }
    const settings = fromUrl(ctx) ? "DATABASE_URL's host and port" : 'POSTGRES_HOST/POSTGRES_PORT';
    return `check that PostgreSQL is running there and that ${settings} are right (in compose, add --wait)`;
  },
  HOST_NOT_FOUND: (_, ctx) => `check ${fromUrl(ctx) ? "DATABASE_URL's host" : 'POSTGRES_HOST'} (in compose, the database service name)`,
  AUTH_FAILED: (_, ctx) => `check ${fromUrl(ctx) ? "DATABASE_URL's user and password" : 'POSTGRES_USER and POSTGRES_PASSWORD'}`,
  DATABASE_NOT_FOUND: (e, ctx) => e.advice?.replace("the connection's database", fromUrl(ctx) ? 'the database name in DATABASE_URL' : 'POSTGRES_DB_PROD'),
  SERVER_STARTING: () => 'retry in a moment, or pass --wait',
  SSL_UNSUPPORTED: () => 'set POSTGRES_SSLMODE=disable, or unset it to use SSL only when offered',
  CONNECT_FAILED: () => 'check the POSTGRES_* settings',
  POOLER_TRANSACTION_MODE: () =>
    "connect directly to PostgreSQL (point POSTGRES_HOST/POSTGRES_PORT or DATABASE_URL at the server, as Prisma's directUrl does), or through a pool in session mode",
  // The run lock.
  LOCK_TIMEOUT: words,
  LOCK_LOST: words,
  // Folders and files.
  NO_MIGRATIONS_DIR: words,
  UNREADABLE_MIGRATIONS_DIR: words,
  BAD_SUM: words,
  SUM_MISMATCH: words,
  NO_DOWN_FILE: words,
  BAD_BASELINE: words,
  NO_PRISMA_SCHEMA: words,
  UNKNOWN_VERSION: words,
  UNKNOWN_TENANT: words,
  BAD_CANARY: words,
  // Seeding (DIRTY is also up's refusal of a dirty schema, whose advice still names the CLI's force).
  DIRTY: words,
  CONTRACT_LAGGING: () =>
    'bring them up to date first (`migrate-tool up`; a dirty one: repair it, then `migrate-tool force`), let every instance run the new application, then run `migrate-tool up --contract` again',
  FLEET_CONTRACT_LAGGING: () =>
    'bring every schema named up to date first (`migrate-tool up --targets ...`; make every target reachable), let every instance run the new application, then run `migrate-tool up --contract` again',
  PENDING_MIGRATIONS: words,
  SEED_FAILED: words,
  CONNECTION_LOST: words,
  SEED_SCHEMA_MISMATCH: words,
  BAD_SEED_FILES: words,
  NO_SEEDS_DIR: words,
  NO_SEEDS: words,
  // Backup and restore (BACKUP_FAILED also wraps the failure of `up --backup`'s backup, whatever it was).
  BACKUP_DIR: words,
  BACKUP_DIR_NOT_WRITABLE: words,
  BACKUP_FAILED: words,
  PG_DUMP_FAILED: words,
  BACKUP_UNREADABLE: words,
  BACKUP_EXISTS: words,
  NO_BACKUP_FILE: words,
  BAD_BACKUP_FILE: words,
  RESTORE_FAILED: words,
  TOOL_NOT_FOUND: ({ facts }, ctx) => (ctx.connection?.inContainer ? fromTheImage(String(facts?.tool)) : undefined),
  // force and baselines: the commands per schema, from the error's facts.
  FORCE_WIDENS: ({ facts }) => {
    if (!facts) return undefined;
    const target = String(facts.target);
    const dirty = (facts.dirty ?? []) as readonly string[];
    // public has no one-schema form (--tenant names tenant schemas): it takes --all, checked with --dry-run first.
    const commands = dirty.map((s) =>
      s === 'public' ? `public: \`migrate-tool force ${target} --all --dry-run\`, then without --dry-run` : `\`migrate-tool force ${target} --tenant ${s}\``,
    );
    const recover = dirty.length ? `recover each dirty schema on its own: ${commands.join(', ')}; ` : '';
    return `${recover}to rewrite every schema's history anyway, add --all${facts.forgetApplied ? ' --forget-applied' : ''}`;
  },
  FORCE_ERASES_APPLIED: words,
  BASELINE_GAP: ({ facts }) => {
    if (typeof facts?.schema !== 'string') return undefined;
    const tenant = facts.schema === 'public' ? '' : ` --tenant ${facts.schema}`;
    return `record them first: \`migrate-tool up${tenant}\` records them without running SQL`;
  },
  // adopt.
  NOTHING_IMPORTED: words,
  NO_HISTORY: () => 'check POSTGRES_DB_PROD and TENANT_SCHEMA_PATTERN',
};

/** What the CLI tells an operator to do about `error`: its entry here, or the engine's advice as it is. */
export function cliAdvice(error: MigrateToolError, ctx: AdviceContext): string | undefined {
  const advise = CLI_ADVICE[error.code];
  return advise ? (advise(error, ctx) ?? error.advice) : error.advice;
}
