// `diff`: compare what the migrations build (or the live database) with schema.prisma, per
// scope, and return the up/down scripts with their summaries. Writing them is write.ts's job.
import { existsSync } from 'node:fs';
import pg from 'pg';
import type { Connection } from '../config/connection';
import { resolveConnection, type ConnectionInput } from '../db/borrowed';
import { withClient, type ConnectOptions } from '../db/connect';
import { OperationError } from '../errors';
import { migrate } from '../migrations/api';
import type { Scope } from '../migrations/files';
import { DEFAULTS, type NoteEvent, type WaitingEvent } from '../migrations/options';
import { listTenantSchemas } from '../tenants/discovery';
import { openPool, SchemaDiffer, type PoolLike } from './engine';
import { createdExtensions, extensionObjects, type ExtensionObjects } from './extensions';
import {
  readModels,
  readSchema,
  retarget,
  TENANT_SCHEMA,
  type ModelInfo,
  type PrismaModels,
  type SchemaFile,
} from './prisma-schema';
import { withScratchDatabase } from '../db/scratch';
import { databaseObjects, exclusionsFor, selectModels } from './scope';
import { summarize, type Change } from './summary';
import { tidyDown, tidyUp } from './tidy';

/** `waitMs` (and its `connect:waiting` events) apply to the first connection, as `--wait` does for every command. */
export interface DiffOptions extends Pick<ConnectOptions, 'waitMs'> {
  /** A pg.Client given here only lends its connectionParameters: this opens connections of its own. */
  connection: ConnectionInput;
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
  /** Waiting for the server, and notes for the operator (which tenant schema stands for all, left-over databases). */
  onEvent?: (event: DiffEvent) => void;
}

export type DiffEvent = WaitingEvent | NoteEvent;

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
  const connection = resolveConnection(options.connection).connection;
  const file = await readSchema(options.prismaSchema);
  const prisma = await readModels(file);
  const selected = selectModels(prisma.models, options.models);
  const onNote = (message: string) => options.onEvent?.({ type: 'note', message });
  const input = { file, prisma, selected, signal: options.signal, onNote };
  for (const warning of prisma.warnings) onNote(warning);
  const onWait = (message: string) => options.onEvent?.({ type: 'connect:waiting', message });
  const first = { waitMs: options.waitMs, onWait, signal: options.signal };

  if (options.from === 'database') {
    const pattern = options.tenantPattern ?? DEFAULTS.tenantPattern;
    const tenantSchema = await findTenantSchema(connection, pattern, first);
    onNote(
      tenantSchema
        ? `Using schema '${tenantSchema}' for comparison`
        : `No schema matches '${pattern}': tenant models are compared with an empty schema`,
    );
    const scopes = await diffDatabase(connection, {
      ...input,
      tenantSchema: tenantSchema ?? TENANT_SCHEMA,
      tenantMissing: !tenantSchema,
      scratch: false,
    });
    return { scopes, tenantSchema };
  }
  const scopes = await withScratchDatabase(
    connection,
    async (scratch) => {
      await buildFromMigrations(scratch.connection, options.migrationsDir, options.signal);
      checkAborted(options.signal);
      return diffDatabase(scratch.connection, {
        ...input,
        tenantSchema: TENANT_SCHEMA,
        tenantMissing: false,
        scratch: true,
      });
    },
    { ...first, onLeftOver: onNote },
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
  /** The database is a scratch one, which diff may change. */
  scratch: boolean;
  onNote?: (message: string) => void;
}

async function diffDatabase(connection: Connection, input: Input): Promise<ScopeDiff[]> {
  const pool = await openPool(connection);
  try {
    const schemas = [
      ...new Set([
        'public',
        input.tenantSchema,
        ...input.prisma.models.map((m) => m.schema).filter((s) => s !== TENANT_SCHEMA),
      ]),
    ];
    const ctx = {
      prisma: input.prisma,
      database: await databaseObjects(pool, schemas),
      tenantSchema: input.tenantSchema,
      selected: input.selected,
    };
    const target = retarget(input.file, input.tenantSchema);
    const out: ScopeDiff[] = [];
    let extensions: ExtensionObjects = { types: new Map(), functions: new Map() };
    for (const scope of scopesOf(input.prisma)) {
      checkAborted(input.signal);
      if (scope === 'tenant') extensions = await tenantExtensions(pool, input, out[0]?.up ?? '');
      const differ = await SchemaDiffer.open(
        pool,
        target,
        scope === 'tenant' ? input.tenantSchema : 'public',
        scope === 'tenant' && input.tenantMissing,
      );
      try {
        const exclude = exclusionsFor(scope, ctx);
        const tidy = { scope, tenantSchema: input.tenantSchema, extensions };
        const up = tidyUp(await differ.diff('up', exclude), tidy);
        if (!up) continue;
        const down = tidyDown(await differ.diff('down', exclude), up, tidy);
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
 * A schema whose datasource does not list "tenant" in `schemas = [...]` (no multiSchema at all,
 * or other schemas only) has no tenant models: everything in it is global.
 */
function scopesOf(prisma: PrismaModels): Scope[] {
  return prisma.schemas.includes(TENANT_SCHEMA) ? ['global', 'tenant'] : ['global'];
}

/**
 * The extension objects that tenant scripts must qualify. Extensions that the global script is
 * about to create are created first in the scratch database, so that their objects are known; in
 * the live database (--from=database) they are not, and the operator is told what to check.
 */
async function tenantExtensions(pool: PoolLike, input: Input, globalUp: string): Promise<ExtensionObjects> {
  const pending = createdExtensions(globalUp);
  if (pending.length && input.scratch) {
    await pool.query(
      pending.map((e) => `CREATE EXTENSION IF NOT EXISTS ${pg.escapeIdentifier(e)} SCHEMA public;`).join('\n'),
    );
  } else if (pending.length) {
    const they = pending.length > 1;
    input.onNote?.(
      `note: extension${they ? 's' : ''} ${pending.join(', ')} ${they ? 'are' : 'is'} not installed in the database yet, so tenant SQL that uses ${they ? 'their' : 'its'} types or functions is left unqualified: name them public.<name> in the tenant file (tenant migrations see only their own schema)`,
    );
  }
  return extensionObjects(pool, input.tenantSchema);
}

/** One existing tenant schema stands for all: the first by name, found by the engine's own rule. */
async function findTenantSchema(
  connection: Connection,
  pattern: string,
  opts: ConnectOptions,
): Promise<string | undefined> {
  return withClient(connection, opts, async (c) => (await listTenantSchemas(c, pattern))[0]);
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new OperationError('Interrupted: nothing was written', 'INTERRUPTED');
}
