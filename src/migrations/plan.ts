// Planning: which migration runs in which schemas, from the files and the recorded state.
// Everything that would refuse the run is checked here, before anything is touched.
import { OperationError, UsageError } from '../errors';
import { operation, remedy, type Remedy } from '../remedy';
import { tenantsInScope } from '../tenants/scope';
import type { Migration, MigrationFolder } from './files';
import type { FailedEntry, Direction } from './options';
import type { DatabaseState, SchemaState } from './state';
import { dropStatements, names, type InvalidIndex } from './invalid-indexes';
import { withBaselinesDown, withBaselinesUp } from './baseline';
import { contractGate, type WaitingContract } from './contract';

export interface PlanStep {
  migration: Migration;
  schemas: string[];
  /** The version before it in the timeline (`0`: none), for the `force` a failure advises. */
  previous: string;
  /** Recorded (down: its record removed) without running SQL, and why: see baseline.ts. */
  recordOnly?: string;
}

export interface Plan {
  direction: Direction;
  steps: PlanStep[];
  /** Tenant schemas left out because they are dirty (up only). */
  refused: FailedEntry[];
  /** Contract files not run yet, from the first one the plan stops before (up only; contract.ts). */
  contractsWaiting?: WaitingContract[];
}

export interface PlanOptions {
  /** Only this many versions (up: the next N pending; down: the N most recent). */
  steps?: number;
  /** Limit tenant work to this schema. */
  tenant?: string;
  /** Limit tenant work to these schemas (a wave of a staged rollout); each must exist. */
  tenants?: string[];
  /** Only tenant migrations (an application catching up one new schema). */
  tenantOnly?: boolean;
  /** Tenant schemas the caller refuses, and why (`up --check-drift`): reported as failed, like dirty ones (up only). */
  refuse?: Array<{ schema: string; reason: string }>;
  /** Run contract files too, once every schema has every version before them; refused (throws) otherwise (up only). */
  contract?: boolean;
}

export function planUp(folder: MigrationFolder, state: DatabaseState, opts: PlanOptions = {}): Plan {
  const tenants = tenantsInScope(state.tenants, opts.tenants ?? opts.tenant);
  if (state.public.dirtyAt && !opts.tenantOnly) throw dirtyError(state.public, folder);
  checkEdited(folder, [state.public, ...tenants]);

  const refused: FailedEntry[] = tenants
    .filter((t) => t.dirtyAt)
    .map((t) => {
      const e = dirtyError(t, folder);
      return { schema: t.schema, version: t.dirtyAt!, error: e.message, remedy: e.remedy, advice: e.advice };
    });
  const refuse = new Map((opts.refuse ?? []).map((r) => [r.schema, r.reason]));
  for (const t of tenants.filter((s) => !s.dirtyAt && refuse.has(s.schema))) {
    // Refused only where there is something to do: a schema with nothing pending is not touched anyway.
    const next = folder.migrations.find((m) => m.scope === 'tenant' && !t.applied.has(m.version));
    if (next) refused.push({ schema: t.schema, version: next.version, error: refuse.get(t.schema)! });
  }
  const clean = tenants.filter((t) => !t.dirtyAt && !refuse.has(t.schema));

  // Schemas read as a prefix (state-summary.ts) lack exactly the tenant versions from their prefix
  // length on: below the shortest prefix only the schemas read row by row need looking at.
  const shortest = clean.reduce((min, t) => Math.min(min, t.prefix ?? 0), Infinity);
  const rowByRow = clean.filter((t) => t.prefix === undefined);
  const steps: PlanStep[] = [];
  let position = 0;
  for (const m of folder.migrations) {
    if (m.scope === 'global' && opts.tenantOnly) continue;
    const candidates = m.scope === 'global' ? [state.public] : position++ < shortest ? rowByRow : clean;
    const schemas = candidates.filter((s) => !s.applied.has(m.version)).map((s) => s.schema);
    if (schemas.length) steps.push({ migration: m, schemas, previous: versionBefore(folder, m.version) });
  }
  const gate = contractGate(folder, state, opts.contract === true);
  const planned = withBaselinesUp(folder.migrations, steps, [state.public, ...clean]).filter(
    (s) => !gate.stopAt || s.migration.version < gate.stopAt,
  );
  const waiting = gate.waiting.length ? { contractsWaiting: gate.waiting } : {};
  return {
    direction: 'up',
    steps: opts.steps === undefined ? planned : planned.slice(0, opts.steps),
    refused,
    ...waiting,
  };
}

export function planDown(folder: MigrationFolder, state: DatabaseState, opts: PlanOptions = {}): Plan {
  const tenants = tenantsInScope(state.tenants, opts.tenants ?? opts.tenant);
  const scope = opts.tenant || opts.tenants ? tenants : [state.public, ...tenants];
  const dirty = scope.find((s) => s.dirtyAt);
  if (dirty) throw dirtyError(dirty, folder);
  checkEdited(folder, scope);

  const applied = new Set<string>();
  // Schemas read as a prefix share their maps: each distinct one is read once.
  for (const map of new Set(scope.map((s) => s.applied))) for (const v of map.keys()) applied.add(v);
  const versions = [...applied]
    .sort()
    .reverse()
    .slice(0, opts.steps ?? 1);
  const byVersion = new Map(folder.migrations.map((m) => [m.version, m]));

  const steps: PlanStep[] = [];
  for (const version of versions) {
    const m = byVersion.get(version);
    if (!m) {
      const unknown = [...applied].filter((v) => !byVersion.has(v)).sort();
      throw new UsageError(
        `Version ${version} is applied but its files are not in ${folder.dir}: the database has ${unknown.length} version${unknown.length === 1 ? '' : 's'} this folder does not have: ${unknown.join(', ')}; is this an older release? Nothing was rolled back`,
        'roll back with the release (image) that has these files, or restore their .up.sql/.down.sql from version control',
        'MISSING_FILES',
      );
    }
    if (!m.down) {
      throw new UsageError(
        `${m.up.file.replace(/\.up\.sql$/, '.down.sql')} does not exist, so version ${version} cannot be rolled back; nothing was rolled back`,
        remedy`write the .down.sql, run ${operation('rewriteSum')}, and try again`,
        'NO_DOWN_FILE',
      );
    }
    const schemas = scope.filter((s) => s.applied.has(version)).map((s) => s.schema);
    steps.push({ migration: m, schemas, previous: versionBefore(folder, m.version) });
  }
  return { direction: 'down', steps: withBaselinesDown(folder.migrations, steps, scope), refused: [] };
}

/** An applied migration whose file changed since: running on would build a schema nobody reviewed. */
function checkEdited(folder: MigrationFolder, schemas: SchemaState[]): void {
  const byVersion = new Map(folder.migrations.map((m) => [m.version, m]));
  const edited = new Map<string, string[]>();
  // A schema read as a prefix has the folder's checksums (state-summary.ts checked them).
  for (const s of schemas) {
    if (s.prefix !== undefined) continue;
    for (const row of s.applied.values()) {
      const m = byVersion.get(row.version);
      if (m && m.up.checksum !== row.checksum) edited.set(m.up.file, [...(edited.get(m.up.file) ?? []), s.schema]);
    }
  }
  if (edited.size === 0) return;
  const list = [...edited].map(
    ([file, where]) =>
      `${file} (applied in ${where.length === 1 ? where[0] : `${where[0]} and ${where.length - 1} more`})`,
  );
  throw new UsageError(
    `Applied migration changed since it ran: ${list.join('; ')}`,
    'restore the file as it was applied and put the change in a new migration',
    'EDITED_MIGRATION',
  );
}

/** The version before `version` in the folder's timeline, any scope; `0` when there is none. */
export function versionBefore(folder: MigrationFolder, version: string): string {
  return folder.migrations.filter((m) => m.version < version).at(-1)?.version ?? '0';
}

export function dirtyError(s: SchemaState, folder: MigrationFolder): OperationError {
  const { schema, dirtyAt: version, invalidIndexes } = s;
  // An invalid index is the usual leftover: name it, since repairing means dropping it.
  const left = invalidIndexes.length ? `; it has invalid index ${names(invalidIndexes)}` : '';
  return new OperationError(
    `Schema ${schema} is dirty at version ${version}: a no-transaction migration did not finish${left}`,
    'DIRTY',
    dirtyRemedy(schema, version!, versionBefore(folder, version!), invalidIndexes),
  );
}

/** How to recover a schema left dirty at `version`, whose predecessor in the timeline is `previous`. */
export function dirtyRemedy(
  schema: string,
  version: string,
  previous: string,
  invalidIndexes: InvalidIndex[] = [],
): Remedy {
  return {
    kind: 'force',
    schema,
    version,
    previous,
    ...(invalidIndexes.length ? { drop: dropStatements(invalidIndexes) } : {}),
  };
}
