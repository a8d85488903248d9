// `diff`: compare what the migrations build (or the live database) with schema.prisma, per
// scope, and return the up/down scripts with their summaries. Writing them is write.ts's job.
import { existsSync } from 'node:fs';
import pg from 'pg';
import { connectionFromUrl, type Connection } from '../config/connection';
import { withClient, type ConnectOptions } from '../db/connect';
import { OperationError } from '../errors';
import { migrate } from '../migrations/api';
import type { Scope } from '../migrations/files';
import { DEFAULTS } from '../migrations/options';
import { readState } from '../migrations/state';
import { splitStatements } from '../migrations/sql-split';
import { openPool, SchemaDiffer } from './engine';
import { readModels, readSchema, retarget, TENANT_SCHEMA, type ModelInfo, type PrismaModels, type SchemaFile } from './prisma-schema';
import { withScratchDatabase } from './scratch';
import { databaseObjects, exclusionsFor, selectModels } from './scope';
import { summarize, type Change } from './summary';
import { unqualify } from './unqualify';

/** `waitMs` and `onWait` apply to the first connection, as `--wait` does for every command. */
export interface DiffOptions extends Pick<ConnectOptions, 'waitMs' | 'onWait'> {
  connection: Connection | string;
  migrationsDir: string;
  /** Path of schema.prisma. */
  prismaSchema: string;
  /** What "before" is: what the migrations build (default), or the live database. */
  from?: 'migrations' | 'database';
  tenantPattern?: string;
  /** Prisma model names: only their changes. */
  models?: string[];
  /** Aborting stops between steps; the scratch database is dropped all the same. */
  signal?: AbortSignal;
  /** Progress and notes for the operator (which tenant schema stands for all, left-over databases). */
  onNote?: (message: string) => void;
}

export interface ScopeDiff {
  scope: Scope;
  up: string;
  down: string;
  changes: Change[];
}

export interface DiffResult {
  /** Scopes with changes, global first: the order they must run in. */
  scopes: ScopeDiff[];
  /** With --from=database: the tenant schema compared with (undefined when there is none). */
  tenantSchema?: string;
}

export async function computeDiff(options: DiffOptions): Promise<DiffResult> {
  const connection = typeof options.connection === 'string' ? connectionFromUrl(options.connection) : options.connection;
  const file = await readSchema(options.prismaSchema);
  const prisma = await readModels(file);
  const selected = selectModels(prisma.models, options.models);
  const input = { file, prisma, selected, signal: options.signal };
  const first = { waitMs: options.waitMs, onWait: options.onWait, signal: options.signal };

  if (options.from === 'database') {
    const pattern = options.tenantPattern ?? DEFAULTS.tenantPattern;
    const tenantSchema = await findTenantSchema(connection, pattern, first);
    options.onNote?.(tenantSchema ? `Using schema '${tenantSchema}' for comparison` : `No schema matches '${pattern}': tenant models are compared with an empty schema`);
    const scopes = await diffDatabase(connection, { ...input, tenantSchema: tenantSchema ?? TENANT_SCHEMA, tenantMissing: !tenantSchema });
    return { scopes, tenantSchema };
  }
  const scopes = await withScratchDatabase(
    connection,
    async (scratch) => {
      await buildFromMigrations(scratch.connection, options.migrationsDir, options.signal);
      checkAborted(options.signal);
      return diffDatabase(scratch.connection, { ...input, tenantSchema: TENANT_SCHEMA, tenantMissing: false });
    },
    { ...first, onLeftOver: options.onNote },
  );
  return { scopes };
}

/** Applies the folder into the scratch database: global migrations in public, tenant ones in `tenant`. */
async function buildFromMigrations(scratch: Connection, migrationsDir: string, signal?: AbortSignal): Promise<void> {
  await withClient(scratch, {}, (c) => c.query(`CREATE SCHEMA ${pg.escapeIdentifier(TENANT_SCHEMA)}`));
  if (!existsSync(migrationsDir)) return;
  const { result } = await migrate({ connection: scratch, migrationsDir, tenantPattern: TENANT_SCHEMA, signal });
  const failed = result?.failed[0];
  if (failed) {
    throw new OperationError(
      `Applying the existing migrations to a scratch database failed: ${failed.error}`,
      'DIFF_BUILD_FAILED',
      'fix that migration first: diff compares schema.prisma with what the migrations build',
    );
  }
}

interface Input {
  file: SchemaFile;
  prisma: PrismaModels;
  selected?: ModelInfo[];
  signal?: AbortSignal;
  tenantSchema: string;
  /** No tenant schema exists: tenant models are compared with nothing. */
  tenantMissing: boolean;
}

async function diffDatabase(connection: Connection, input: Input): Promise<ScopeDiff[]> {
  const pool = await openPool(connection);
  try {
    const schemas = [...new Set(['public', input.tenantSchema, ...input.prisma.models.map((m) => m.schema).filter((s) => s !== TENANT_SCHEMA)])];
    const ctx = { prisma: input.prisma, database: await databaseObjects(pool, schemas), tenantSchema: input.tenantSchema, selected: input.selected };
    const target = retarget(input.file, input.tenantSchema);
    const out: ScopeDiff[] = [];
    for (const scope of ['global', 'tenant'] as const) {
      checkAborted(input.signal);
      const differ = await SchemaDiffer.open(pool, target, scope === 'tenant' ? input.tenantSchema : 'public', scope === 'tenant' && input.tenantMissing);
      try {
        const exclude = exclusionsFor(scope, ctx);
        const up = tidy(await differ.diff('up', exclude), scope, input.tenantSchema);
        if (!up) continue;
        const down = tidy(await differ.diff('down', exclude), scope, input.tenantSchema);
        out.push({ scope, up, down, changes: summarize(up) });
      } finally {
        differ.close();
      }
    }
    return out;
  } finally {
    await pool.end();
  }
}

/**
 * Tenant scripts: names unqualified (they run under each tenant's search_path), and no CREATE
 * SCHEMA (tenant schemas are made by the application, never by a tenant migration).
 */
function tidy(script: string, scope: Scope, tenantSchema: string): string {
  if (scope === 'global') return script;
  const unqualified = unqualify(script, tenantSchema);
  if (!/CREATE SCHEMA/i.test(unqualified)) return unqualified;
  const kept = splitStatements(unqualified).filter((s) => !/^(--[^\n]*\n\s*)*CREATE SCHEMA\b/i.test(s.text));
  return kept.length ? `${kept.map((s) => `${s.text};`).join('\n\n')}\n` : '';
}

/** One existing tenant schema stands for all: the first by name, found by the engine's own rule. */
async function findTenantSchema(connection: Connection, pattern: string, opts: ConnectOptions): Promise<string | undefined> {
  return withClient(connection, opts, async (c) => (await readState(c, pattern)).tenants[0]?.schema);
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new OperationError('Interrupted: nothing was written', 'INTERRUPTED');
}
