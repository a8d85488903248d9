// `seed` as the library exposes it: load and check every seed file, refuse a database with
// pending or dirty migrations, then apply all sets in one transaction under the run lock.
import { listFew } from '../util/text';
import type pg from 'pg';
import { withRunLock } from '../db/run-lock';
import { withTransaction } from '../db/transaction';
import { isMigrateToolError, OperationError, UsageError } from '../errors';
import { option, operation, remedy } from '../remedy';
import { loadMigrations, type MigrationFolder } from '../migrations/files';
import { resolved, type EngineOptions, type MigrationEvent, type Resolved } from '../migrations/options';
import { statusReport } from '../migrations/report';
import { readState, type DatabaseState } from '../migrations/state';
import { listTenantSchemas } from '../tenants/discovery';
import { applyDataSet, applySqlSet, type SetResult } from './apply';
import { checkCatalog, readCatalog, schemasOf, type Catalog } from './catalog';
import { loadSeeds, type SeedSet } from './files';

export interface SeedRun {
  seedsDir: string;
  /** Seed even when migrations are pending or the database is dirty. */
  force?: boolean;
  /** Apply everything, report it, then roll back. */
  dryRun?: boolean;
}

/** Seeding reports each set through the same onEvent as every operation: waiting, then set:start/set:done. */
export interface SeedOptions extends EngineOptions {
  onEvent?: (event: MigrationEvent | SeedEvent) => void;
}

export type SeedEvent =
  | { type: 'set:start'; file: string; name: string; scope: 'global' | 'tenant'; schemas: number }
  | { type: 'set:done'; result: SetResult };

export interface SeedReport {
  database: string;
  dryRun: boolean;
  sets: SetResult[];
  totals: { inserted: number; updated: number; unchanged: number };
}

export async function seed(options: SeedOptions, run: SeedRun): Promise<SeedReport> {
  const opts = resolved(options);
  const sets = await loadSeeds(run.seedsDir);
  const folder = run.force ? undefined : await migrationsFor(opts.migrationsDir);
  const lockOpts = {
    connectTimeoutMs: opts.connectTimeoutMs,
    waitMs: opts.waitMs,
    signal: opts.signal,
    lockTimeoutMs: opts.lockTimeoutMs,
    onWait: (message: string) => opts.emit({ type: 'connect:waiting', message }),
    onWaiting: (holder: string) => opts.emit({ type: 'lock:waiting', holder }),
    afterLoss: remedy`re-run ${operation('seed')}: the transaction was rolled back`,
    client: opts.client,
  };
  return withRunLock(opts.connection, lockOpts, async (lock) => {
    if (folder) refuseUnlessReady(folder, await readState(lock.client, opts.tenantPattern), opts.tenantPattern);
    const tenants = await listTenantSchemas(lock.client, opts.tenantPattern);
    const catalog = await readCatalog(lock.client, sets, tenants);
    checkCatalog(sets, tenants, catalog);
    // A lost lock aborts the sets still to come, as Ctrl-C does.
    const underLock = { ...opts, signal: lock.signal };
    const results = await inTransaction(lock.client, underLock, Boolean(run.dryRun), (searchPath) =>
      applyAll(lock.client, sets, tenants, catalog, searchPath, underLock, options.onEvent),
    );
    const sum = (k: 'inserted' | 'updated' | 'unchanged') => results.reduce((n, r) => n + r[k], 0);
    return {
      database: opts.connection.database,
      dryRun: Boolean(run.dryRun),
      sets: results,
      totals: { inserted: sum('inserted'), updated: sum('updated'), unchanged: sum('unchanged') },
    };
  });
}

async function applyAll(
  db: pg.Client,
  sets: SeedSet[],
  tenants: string[],
  catalog: Catalog,
  searchPath: string,
  opts: Resolved,
  emit: SeedOptions['onEvent'],
): Promise<SetResult[]> {
  const results: SetResult[] = [];
  for (const set of sets) {
    if (opts.signal?.aborted)
      throw new OperationError('Interrupted: the seed was rolled back, nothing was changed', 'INTERRUPTED');
    const schemas = schemasOf(set, tenants);
    emit?.({
      type: 'set:start',
      file: set.file,
      name: set.name,
      scope: set.tenant ? 'tenant' : 'global',
      schemas: schemas.length,
    });
    const result =
      set.kind === 'data'
        ? await applyDataSet(db, set, schemas, catalog)
        : await applySqlSet(db, set, schemas, searchPath);
    results.push(result);
    emit?.({ type: 'set:done', result });
  }
  return results;
}

/** Runs `fn` in one transaction, committed (or, on a dry run, rolled back) only if all of it worked. */
async function inTransaction<T>(
  db: pg.Client,
  opts: Resolved,
  dryRun: boolean,
  fn: (searchPath: string) => Promise<T>,
): Promise<T> {
  const searchPath = (await db.query<{ search_path: string }>('SHOW search_path')).rows[0]!.search_path;
  // Seeds touch rows the application uses: wait a bounded time for their locks, never queue traffic for long.
  try {
    return await withTransaction(db, () => fn(searchPath), {
      setup: `SET LOCAL lock_timeout = ${Math.round(opts.ddlLockTimeoutMs)}`,
      rollback: dryRun,
    });
  } catch (error) {
    if (isMigrateToolError(error)) throw error;
    const e = error as Error & { code?: string };
    if (e.code === '55P03')
      throw new OperationError(
        `Seeding waited too long for a row lock (${e.message}); nothing was changed`,
        'LOCK_TIMEOUT',
        remedy`run ${operation('seed')} again when the application is less busy, or raise ${option('ddlLockTimeoutMs')}`,
        { cause: e },
      );
    throw new OperationError(
      `Seeding failed: ${e.message}; nothing was changed`,
      e.code ? 'SEED_FAILED' : 'CONNECTION_LOST',
      remedy`re-run ${operation('seed')}: the transaction was rolled back`,
      { cause: e },
    );
  }
}

async function migrationsFor(dir: string): Promise<MigrationFolder> {
  try {
    return await loadMigrations(dir);
  } catch (error) {
    if (!isMigrateToolError(error) || error.code !== 'NO_MIGRATIONS_DIR') throw error;
    throw new UsageError(
      `Cannot tell whether migrations are pending: the migrations folder ${dir} does not exist`,
      remedy`set ${option('migrationsDir')}, or pass ${option('force')} to seed without that check`,
      'NO_MIGRATIONS_DIR',
    );
  }
}

/** Seeds are written for the schema the migrations build: refuse a database that is not there yet. */
function refuseUnlessReady(folder: MigrationFolder, state: DatabaseState, pattern: string): void {
  const dirty = [state.public, ...state.tenants].filter((s) => s.dirtyAt).map((s) => `${s.schema} at ${s.dirtyAt}`);
  if (dirty.length) {
    throw new OperationError(
      `The database is dirty (${listFew(dirty, 3)}): a no-transaction migration did not finish; seeding refused`,
      'DIRTY',
      remedy`finish or undo that migration by hand, run ${operation('force', { version: 'VERSION' })}, then ${operation('migrate')} (or pass ${option('force')} to seed anyway)`,
    );
  }
  const pending = statusReport(folder, state, pattern).migrations.filter((m) => !m.applied && !m.missingFile);
  if (pending.length) {
    throw new OperationError(
      `${pending.length} migration${pending.length === 1 ? ' is' : 's are'} pending (${listFew(
        pending.map((m) => `${m.version} ${m.name}`),
        3,
      )}); seeding refused`,
      'PENDING_MIGRATIONS',
      remedy`run ${operation('migrate')} first (or pass ${option('force')} to seed anyway)`,
    );
  }
}
