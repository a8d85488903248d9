// What the CLI tells an operator to do. The engine's errors and failed entries carry a remedy as
// data (src/remedy.ts): options to set, operations to run, a schema to force. cliRemedy words each
// kind with the CLI's flags, commands and variables; its switch is exhaustive, so a new kind does
// not compile until it is worded here. A few codes depend on where the CLI runs (which connection
// variables the operator set, in a container or not): CLI_ADVICE words those from the context.
import type { Connection, FailedEntry, MigrateToolError, Remedy, RemedyOperation, RemedyOption } from '../index';
import { existsAdvice } from './failure-advice';

export interface AdviceContext {
  /** The connection as the configuration built it: which variables the operator set, in a container or not. */
  connection?: Connection;
}

type Advise = (error: MigrateToolError, ctx: AdviceContext) => string | undefined;

/** The variable or flag that sets each option. */
const OPTIONS: Record<RemedyOption, (ctx: AdviceContext) => string> = {
  migrationsDir: () => 'MIGRATIONS_DIR (or --dir)',
  seedsDir: () => 'SEEDS_DIR',
  backupDir: () => 'BACKUP_DIR',
  prismaSchema: () => 'PRISMA_SCHEMA',
  tenantPattern: () => 'TENANT_SCHEMA_PATTERN',
  lockTimeoutMs: () => '--lock-timeout',
  ddlLockTimeoutMs: () => '--ddl-lock-timeout',
  blockerTimeoutMs: () => '--blocker-timeout',
  database: (ctx) => (fromUrl(ctx) ? 'the database name in DATABASE_URL' : 'POSTGRES_DB_PROD'),
  force: () => '--force',
  forgetApplied: () => '--forget-applied',
};

type OperationRemedy = Extract<Remedy, { kind: 'operation' }>;

/** The command that runs each operation. */
const COMMANDS: Record<RemedyOperation, (r: OperationRemedy) => string> = {
  migrate: (r) => `up${tenantFlag(r.schema)}`,
  rollback: () => 'down',
  force: (r) => `force ${r.version ?? 'VERSION'}${tenantFlag(r.schema)}`,
  rewriteSum: () => 'hash',
  generateBaseline: () => 'diff --baseline NAME',
  createMigration: () => 'create NAME',
  importFolder: (r) => `import ${r.tool ?? 'TOOL'} SRC`,
  backup: () => 'backup',
  restore: () => 'restore',
  seed: () => 'seed',
  adopt: () => 'adopt',
  status: () => 'status',
  tenants: () => 'tenants',
};

const tenantFlag = (schema: string | undefined) =>
  schema === undefined || schema === 'public' ? '' : ` --tenant ${schema}`;

/** A remedy in the CLI's words. */
export function cliRemedy(r: Remedy, ctx: AdviceContext = {}): string {
  switch (r.kind) {
    case 'text':
      return r.text;
    case 'option':
      return OPTIONS[r.option](ctx);
    case 'operation':
      return `\`migrate-tool ${COMMANDS[r.operation](r)}\``;
    case 'force':
      return `check what it left in ${r.schema}, repair it by hand${r.drop ? ` (${r.drop})` : ''}, then run \`migrate-tool force <version>${tenantFlag(r.schema)}\` (${r.version} if its change is in place, ${r.previous} if not)`;
    case 'forceEach': {
      // public has no one-schema form (--tenant names tenant schemas): it takes --all, checked with --dry-run first.
      const commands = r.dirty.map((s) =>
        s === 'public'
          ? `public: \`migrate-tool force ${r.version} --all --dry-run\`, then without --dry-run`
          : `\`migrate-tool force ${r.version} --tenant ${s}\``,
      );
      const recover = r.dirty.length ? `recover each dirty schema on its own: ${commands.join(', ')}; ` : '';
      return `${recover}to rewrite every schema's history anyway, add --all${r.forgetApplied ? ' --forget-applied' : ''}`;
    }
    case 'steps':
      return r.steps.map((step) => cliRemedy(step, ctx)).join('');
    default:
      return unknownKind(r);
  }
}

function unknownKind(r: never): never {
  throw new Error(`remedy of unknown kind ${JSON.stringify(r)}`);
}

/** A run's failure with its remedy in the CLI's words. Nothing else of it is touched: the error is the server's text. */
export function cliFailure(f: FailedEntry): FailedEntry {
  const advice = f.remedy ? cliRemedy(f.remedy) : f.advice === undefined ? existsAdvice(f) : f.advice;
  const { remedy: _, ...rest } = f;
  return { ...rest, ...(advice === undefined ? {} : { advice }) };
}

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
  HOST_NOT_FOUND: (_, ctx) =>
    `check ${fromUrl(ctx) ? "DATABASE_URL's host" : 'POSTGRES_HOST'} (in compose, the database service name)`,
  AUTH_FAILED: (_, ctx) =>
    `check ${fromUrl(ctx) ? "DATABASE_URL's user and password" : 'POSTGRES_USER and POSTGRES_PASSWORD'}`,
  SERVER_STARTING: () => 'retry in a moment, or pass --wait',
  SSL_UNSUPPORTED: () => 'set POSTGRES_SSLMODE=disable, or unset it to use SSL only when offered',
  CONNECT_FAILED: () => 'check the POSTGRES_* settings',
  POOLER_TRANSACTION_MODE: () =>
    "connect directly to PostgreSQL (point POSTGRES_HOST/POSTGRES_PORT or DATABASE_URL at the server, as Prisma's directUrl does), or through a pool in session mode",
  // up --contract: the schemas named lag behind it.
  CONTRACT_LAGGING: () =>
    'bring them up to date first (`migrate-tool up`; a dirty one: repair it, then `migrate-tool force`), let every instance run the new application, then run `migrate-tool up --contract` again',
  FLEET_CONTRACT_LAGGING: () =>
    'bring every schema named up to date first (`migrate-tool up --targets ...`; make every target reachable), let every instance run the new application, then run `migrate-tool up --contract` again',
  // Backup and restore: in a container, the fix is the image that carries the client tools.
  TOOL_NOT_FOUND: ({ facts }, ctx) => (ctx.connection?.inContainer ? fromTheImage(String(facts?.tool)) : undefined),
};

/**
 * What the CLI tells an operator to do about `error`: its entry here where the words depend on the
 * context, else its remedy in the CLI's words; every output path (text, --json, fleet, rollout) uses it.
 */
export function describeError(error: MigrateToolError, ctx: AdviceContext): string | undefined {
  const advise = CLI_ADVICE[error.code]?.(error, ctx);
  if (advise !== undefined) return advise;
  return error.remedy ? cliRemedy(error.remedy, ctx) : error.advice;
}
