// `adopt TOOL`: take over a database another tool built, without running any SQL. Its history is
// read in public and in every tenant schema, mapped to the files `import` wrote (each names its
// origin in its header), checked (no failed run, no unknown version, no gap), and recorded as this
// tool's state under the run lock, in one transaction.
//
// The state table has no "adopted" column, and an existing installation gets no DDL on it (see
// ensureStateTable). So adopted rows are recorded as forced (nothing ran), and the small table
// migrate_tool.adopted, created by the first adopt, says which tool and which entry each came from.
import type pg from 'pg';
import { withSession } from '../db/borrowed';
import { withRunLock } from '../db/run-lock';
import { withTransaction } from '../db/transaction';
import { UsageError } from '../errors';
import { option, operation, remedy } from '../remedy';
import { parseImportHeader } from '../import/header';
import { convertLoop, loadParser } from '../import/loops';
import { firstSearchSchema } from '../import/search-path';
import type { Tool } from '../import/types';
import { verifySum } from '../migrations/checksum';
import { loadMigrations, type Migration, type MigrationFolder } from '../migrations/files';
import { connectOptions, resolved, type EngineOptions, type Resolved } from '../migrations/options';
import { ensureStateTable, readState, recordAdopted, type DatabaseState, type SchemaState } from '../migrations/state';
import { tenantPrefixes, type Prefixes } from './probe';
import { historyPlaces, historyTables, readHistories, type History, type HistoryPlaces } from './histories';
import type { Queryable } from '../db/queryable';

export interface SchemaAdoption {
  schema: string;
  table: string;
  summary: string;
  /** Migrations to record, in version order, with the tool's identifier of each. */
  adopt: Array<{ migration: Migration; original: string }>;
  /** Already recorded in this tool's state: left as they are. */
  alreadyRecorded: number;
  /** Of `adopt`, the tenant parts converted from the global history's loops (a tenant schema). */
  fromLoops?: number;
}

export interface AdoptResult {
  tool: Tool;
  schemas: SchemaAdoption[];
  /** Tenant schemas with no history of that tool: nothing is recorded for them. */
  withoutHistory: string[];
  /** What the report should say beside the schemas: loops that did not reach every tenant schema. */
  notes: string[];
  dryRun: boolean;
}

export interface AdoptRun {
  dryRun?: boolean;
  /** `SCHEMA.TABLE` (public's history) or `TABLE` (in public and every tenant schema): where the project keeps the tool's history. */
  historyTable?: string;
}

export async function adopt(options: EngineOptions, tool: Tool, run: AdoptRun = {}): Promise<AdoptResult> {
  const opts = resolved(options);
  const folder = await loadMigrations(opts.migrationsDir);
  await verifySum(opts.migrationsDir, folder.checksums);
  const imported = importedFrom(folder, tool);
  if (imported.length === 0) {
    throw new UsageError(
      `No migration in ${opts.migrationsDir} was imported from ${tool}`,
      remedy`run ${operation('importFolder', { tool })} first, with the folder that built this database`,
      'NOTHING_IMPORTED',
    );
  }
  await refuseUnconvertedLoops(imported, opts.tenantPattern);
  const first = imported.map((i) => firstSearchSchema(i.migration.up.text)).find((s) => s !== undefined);
  const places: HistoryPlaces = { ...historyPlaces(run.historyTable), ...(first ? { first } : {}) };
  const plan = (db: Queryable, state: DatabaseState) => planAdoption(db, tool, imported, state, opts, places);
  if (run.dryRun) {
    return withSession(opts, connectOptions(opts), async (c) => ({
      ...(await plan(c, await readState(c, opts.tenantPattern))),
      tool,
      dryRun: true,
    }));
  }
  const lockOpts = {
    ...connectOptions(opts),
    lockTimeoutMs: opts.lockTimeoutMs,
    afterLoss: remedy`re-run ${operation('adopt')}: its transaction was rolled back`,
    client: opts.client,
  };
  return withRunLock(opts.connection, lockOpts, async ({ client }) => {
    // Planned (and refused) before the state table is created: a refusal leaves no trace.
    const result = await plan(client, await readState(client, opts.tenantPattern));
    await ensureStateTable(client);
    await record(client, tool, result.schemas);
    return { ...result, tool, dryRun: false };
  });
}

interface Imported {
  migration: Migration;
  id: string;
  /** Tenant SQL converted from a global file's loops: the other tool recorded it in public. */
  tenantPart: boolean;
}

/**
 * A global file that still loops over the tenant schemas (imported by an earlier release, or edited
 * since) would leave every company created after adoption without those objects: refused, with
 * the way out, before anything is recorded.
 */
async function refuseUnconvertedLoops(imported: Imported[], pattern: string): Promise<void> {
  const global = imported.filter(
    (i) => i.migration.scope === 'global' && i.migration.up.statements.some((s) => /^do\b/i.test(s.text)),
  );
  if (global.length === 0) return;
  await loadParser();
  const found = global.flatMap(({ migration: m }) =>
    m.up.statements
      .filter((s) => convertLoop(s.text, s.line, pattern).kind !== 'global')
      .map((s) => `${m.up.file}:${s.line}`),
  );
  if (found.length === 0) return;
  throw new UsageError(
    `Cannot adopt: a global migration loops over the tenant schemas (${found.join(', ')}); a company created after adoption would never get what those loops create`,
    'move those migrations out of the folder and import them again with this release, which turns such loops into tenant migrations',
    'ADOPT_REFUSED',
  );
}

function importedFrom(folder: MigrationFolder, tool: Tool): Imported[] {
  return folder.migrations.flatMap((migration) => {
    const origin = parseImportHeader(migration.up.text);
    return origin?.tool === tool ? [{ migration, id: origin.id, tenantPart: origin.tenantPart }] : [];
  });
}

async function planAdoption(
  db: Queryable,
  tool: Tool,
  imported: Imported[],
  state: DatabaseState,
  opts: Resolved,
  places: HistoryPlaces,
) {
  const problems: string[] = [];
  const schemas: SchemaAdoption[] = [];
  const withoutHistory: string[] = [];
  // Public's history covers the global files and the tenant parts converted from them, in one timeline.
  const fromPublic = imported.filter((i) => i.migration.scope === 'global' || i.tenantPart);
  const perTenant = imported.filter((i) => i.migration.scope === 'tenant' && !i.tenantPart);
  let publicApplied = new Set<string>();
  let publicHistory = '';
  let parts: Imported[] = [];
  let prefixes: Prefixes | undefined;
  const behind: string[] = [];
  const unmatched: string[] = [];
  const all = [state.public, ...state.tenants];
  const histories = await readHistories(
    db,
    tool,
    all.map((s) => s.schema),
    problems,
    places,
  );
  for (const s of all) {
    const history = histories.get(s.schema);
    if (s.schema === 'public') {
      if (!history) continue;
      const mapped = mapHistory(history, fromPublic, s, opts.migrationsDir, problems);
      if (!mapped) continue;
      publicApplied = mapped.applied;
      publicHistory = `${history.table} ${history.summary}`;
      parts = fromPublic.filter((i) => i.tenantPart && publicApplied.has(i.id));
      schemas.push({ ...mapped.adoption, adopt: mapped.adoption.adopt.filter((a) => a.migration.scope === 'global') });
      continue;
    }
    const own = history && mapHistory(history, perTenant, s, opts.migrationsDir, problems);
    if (parts.length && !prefixes)
      prefixes = await tenantPrefixes(
        db,
        parts.map((i) => i.migration),
        state.tenants.map((t) => t.schema),
      );
    // What the loops really reached in this schema (probe.ts); unknown: as public's history says.
    const k = prefixes?.applied.get(s.schema);
    const reached = k === undefined ? parts : parts.slice(0, k);
    if (parts.length && k === undefined) unmatched.push(s.schema);
    else if (k !== undefined && k < parts.length) behind.push(`${s.schema} (${k} of ${parts.length})`);
    if (!own && reached.length === 0) {
      if (!history && parts.length === 0) withoutHistory.push(s.schema);
      continue;
    }
    const fromLoops = reached
      .filter((i) => !s.applied.has(i.migration.version))
      .map((i) => ({ migration: i.migration, original: i.id }));
    const adopt = [...fromLoops, ...(own?.adoption.adopt ?? [])].sort((a, b) =>
      a.migration.version < b.migration.version ? -1 : 1,
    );
    schemas.push({
      schema: s.schema,
      table: own?.adoption.table ?? publicHistory,
      summary: own?.adoption.summary ?? '(its loops over the tenant schemas)',
      adopt,
      alreadyRecorded: reached.length - fromLoops.length + (own?.adoption.alreadyRecorded ?? 0),
      fromLoops: fromLoops.length,
    });
  }
  refuseAdoption(tool, problems, schemas.length, opts, places);
  const notes = adoptionNotes(behind, unmatched, prefixes?.error);
  return { schemas, withoutHistory, notes };
}

/** Nothing is recorded when a history could not be mapped, or when there is none at all. */
function refuseAdoption(tool: Tool, problems: string[], found: number, opts: Resolved, places: HistoryPlaces): void {
  if (problems.length)
    throw new UsageError(
      `Cannot adopt the ${tool} history; nothing was recorded: ${problems.join('; ')}`,
      undefined,
      'ADOPT_REFUSED',
    );
  if (found === 0) {
    throw new UsageError(
      `No ${tool} history found in ${opts.connection.database} (looked for ${historyTables(tool, opts.tenantPattern, places)})`,
      remedy`check ${option('database')} and ${option('tenantPattern')}`,
      'NO_HISTORY',
    );
  }
}

/** What the operator should know about tenant schemas the global history's loops did not fully reach. */
function adoptionNotes(behind: string[], unmatched: string[], probeError: string | undefined): string[] {
  const notes: string[] = [];
  if (behind.length)
    notes.push(
      `${behind.length} tenant schema${behind.length === 1 ? ' lacks' : 's lack'} what the global history's later loops create (created after they ran): only what each catalog shows is recorded, and \`up\` builds the rest: ${someOf(behind)}`,
    );
  if (unmatched.length)
    notes.push(
      `${unmatched.length} tenant schema${unmatched.length === 1 ? ' matches' : 's match'} no point of the global history's loops (changed by hand?): recorded as public's history says; compare them with what the files build (drift): ${someOf(unmatched)}`,
    );
  if (probeError)
    notes.push(
      `the tenant schemas could not be checked against the loops (${probeError}); each is recorded as public's history says`,
    );
  return notes;
}

function someOf(names: string[]): string {
  return names.length > 5 ? `${names.slice(0, 5).join(', ')}, ... and ${names.length - 5} more` : names.join(', ');
}

/** Applied identifiers to migrations, refusing unknown ones and gaps. */
function mapHistory(
  h: History,
  scoped: Imported[],
  s: SchemaState,
  dir: string,
  problems: string[],
): { adoption: SchemaAdoption; applied: Set<string> } | undefined {
  const known = new Set(scoped.map((i) => i.id));
  const unknown = h.ids.filter((id) => !known.has(id));
  if (unknown.length) {
    const where = s.schema === 'public' ? `the global migrations of ${dir}` : `${dir}/tenant`;
    problems.push(
      `${h.table} records ${unknown.join(', ')}, which no file in ${where} was imported from; import the folder that built this database (with --tenant for tenant schemas)`,
    );
    return undefined;
  }
  const applied = new Set(h.ids);
  if (h.upTo !== undefined)
    for (const i of scoped) if (BigInt(i.id.replace(/\D.*$/, '') || '0') <= BigInt(h.upTo)) applied.add(i.id);
  const last = scoped.findLastIndex((i) => applied.has(i.id));
  const gap = scoped.slice(0, last).find((i) => !applied.has(i.id));
  if (gap) {
    problems.push(
      `${h.table}: ${gap.id} is not applied but ${scoped[last]!.id}, after it, is: a gap; apply the missing migration with the other tool first`,
    );
    return undefined;
  }
  const mine = scoped.filter((i) => applied.has(i.id));
  const adopt = mine
    .filter((i) => !s.applied.has(i.migration.version))
    .map((i) => ({ migration: i.migration, original: i.id }));
  return {
    adoption: {
      schema: s.schema,
      table: h.table,
      summary: h.summary,
      adopt,
      alreadyRecorded: mine.length - adopt.length,
    },
    applied,
  };
}

async function record(db: pg.Client, tool: Tool, schemas: SchemaAdoption[]): Promise<void> {
  const rows = schemas.flatMap((s) => s.adopt.map((a) => ({ schema: s.schema, ...a })));
  const col = <T>(f: (r: (typeof rows)[number]) => T) => rows.map(f);
  const values = {
    schema: col((r) => r.schema),
    version: col((r) => r.migration.version),
    name: col((r) => r.migration.name),
    scope: col((r) => r.migration.scope as string),
    checksum: col((r) => r.migration.up.checksum),
    original: col((r) => r.original),
  };
  await withTransaction(db, () => recordAdopted(db, tool, values));
}
