// Read-only views of the state: status, version and the tenants table, computed from the
// migration files and one bulk read of the recorded state.
import type { MigrationFolder, Scope } from './files';
import {
  latestVersion,
  tenantStatuses as statusesOf,
  tenantsSummary as summaryOf,
  type TenantStatus,
  type TenantsSummary,
} from '../tenants/report';
import type { DatabaseState, SchemaState } from './state';
import { contractProgress } from './contract';

export type { TenantStatus, TenantsSummary };

export interface MigrationStatus {
  version: string;
  name: string;
  scope: Scope;
  /** Nothing left to do for it: applied in public (global), or in every tenant schema (tenant). */
  applied: boolean;
  appliedAt?: string;
  tenantsApplied?: number;
  tenantsTotal?: number;
  dirty?: boolean;
  /** Recorded as applied but its files are not in the folder. */
  missingFile?: boolean;
}

export interface StatusReport {
  migrations: MigrationStatus[];
  tenants: TenantsSummary;
  /** `schema.index` of every invalid index in public and the tenant schemas; only when there are some. */
  invalidIndexes?: string[];
  /** Contract files that wait for `up --contract`, and how many schemas have every version before each; only when some wait. */
  contracts?: ContractProgress[];
}

export type ContractProgress = ReturnType<typeof contractProgress>[number];

export interface VersionReport {
  version: string | null;
  dirty: boolean;
  tenants: TenantsSummary;
  /** As in StatusReport. */
  invalidIndexes?: string[];
  /** Versions recorded in any schema that the folder does not have (a newer release applied them); only when there are some. */
  unknownVersions?: string[];
}

export function statusReport(folder: MigrationFolder, state: DatabaseState, pattern: string): StatusReport {
  const full = state.tenants.filter((t) => t.prefix === undefined);
  const tenantPosition = new Map(tenantVersions(folder).map((v, i) => [v, i]));
  const prefixesPast = countPrefixesPast(state.tenants);
  const migrations: MigrationStatus[] = folder.migrations.map((m) => {
    if (m.scope === 'global') {
      const row = state.public.applied.get(m.version);
      return {
        version: m.version,
        name: m.name,
        scope: m.scope,
        applied: Boolean(row && !row.dirty),
        appliedAt: row?.appliedAt.toISOString(),
        ...(row?.dirty ? { dirty: true } : {}),
      };
    }
    // Schemas read as a prefix hold the version when their prefix reaches past it; the others, row by row.
    const position = tenantPosition.get(m.version)!;
    const rows = full.map((t) => t.applied.get(m.version)).filter((r) => r !== undefined);
    const done = rows.filter((r) => !r.dirty);
    const count = done.length + prefixesPast(position);
    const latest = state.latestApplied
      ? state.latestApplied.get(m.version)?.getTime()
      : done.map((r) => r.appliedAt.getTime()).sort((a, b) => b - a)[0];
    return {
      version: m.version,
      name: m.name,
      scope: m.scope,
      applied: count === state.tenants.length,
      appliedAt: latest === undefined || count === 0 ? undefined : new Date(latest).toISOString(),
      tenantsApplied: count,
      tenantsTotal: state.tenants.length,
      ...(rows.some((r) => r.dirty) ? { dirty: true } : {}),
    };
  });
  const known = new Set(folder.migrations.map((m) => m.version));
  const orphans = new Map<string, { name: string; scope: Scope }>();
  for (const s of [state.public, ...full]) {
    for (const row of s.applied.values()) {
      if (!known.has(row.version))
        orphans.set(row.version, { name: row.name, scope: s.schema === 'public' ? 'global' : 'tenant' });
    }
  }
  for (const [version, o] of orphans)
    migrations.push({ version, name: o.name, scope: o.scope, applied: true, missingFile: true });
  migrations.sort((a, b) => (a.version < b.version ? -1 : 1));
  const contracts = contractProgress(folder, state);
  return {
    migrations,
    tenants: tenantsSummary(folder, state, pattern),
    ...invalidIndexes(state),
    ...(contracts.length ? { contracts } : {}),
  };
}

/** The tenants table (tenants/report.ts), measured against the folder's tenant migrations. */
export function tenantStatuses(folder: MigrationFolder, state: DatabaseState): TenantStatus[] {
  const known = new Set(folder.migrations.map((m) => m.version));
  const versions = tenantVersions(folder);
  // A prefix schema's line follows from its length: the same line tenants/report.ts computes from its rows.
  return state.tenants.map((t) =>
    t.prefix === undefined
      ? statusesOf(versions, [t], known)[0]!
      : {
          schema: t.schema,
          version: t.prefix ? versions[t.prefix - 1]! : null,
          dirty: false,
          behind: versions.length - t.prefix,
          ...(t.invalidIndexes.length ? { invalidIndexes: t.invalidIndexes.map((i) => i.index) } : {}),
        },
  );
}

/** A tenant's line with the failure of its last recorded run, when that still holds (runs.ts). */
export function withFailure(
  t: TenantStatus,
  f: { version: string; direction: 'up' | 'down'; error: string; at: string } | undefined,
): TenantStatus {
  return f ? { ...t, failed: { version: f.version, direction: f.direction, error: f.error, at: f.at } } : t;
}

export function tenantVersions(folder: MigrationFolder): string[] {
  return folder.migrations.filter((m) => m.scope === 'tenant').map((m) => m.version);
}

/** For schemas read as a prefix: how many hold the tenant version at `position` (their prefix is longer). */
function countPrefixesPast(tenants: SchemaState[]): (position: number) => number {
  const byLength = new Map<number, number>();
  for (const t of tenants) if (t.prefix !== undefined) byLength.set(t.prefix, (byLength.get(t.prefix) ?? 0) + 1);
  return (position) => {
    let n = 0;
    for (const [length, count] of byLength) if (length > position) n += count;
    return n;
  };
}

function tenantsSummary(folder: MigrationFolder, state: DatabaseState, pattern: string): TenantsSummary {
  return summaryOf(tenantStatuses(folder, state), pattern);
}

/** The latest version applied anywhere; dirty if any schema is. */
export function versionReport(folder: MigrationFolder, state: DatabaseState, pattern: string): VersionReport {
  const tenantList = tenantVersions(folder);
  const versions = [state.public, ...state.tenants]
    .map((s) => (s.prefix === undefined ? latestVersion(s) : s.prefix ? tenantList[s.prefix - 1]! : null))
    .filter((v): v is string => v !== null)
    .sort();
  const dirty = Boolean(state.public.dirtyAt) || state.tenants.some((t) => t.dirtyAt);
  const unknown = unknownVersions(folder, [state.public, ...state.tenants]);
  const tenants = tenantsSummary(folder, state, pattern);
  return {
    version: versions.at(-1) ?? null,
    dirty,
    tenants,
    ...invalidIndexes(state),
    ...(unknown.length ? { unknownVersions: unknown } : {}),
  };
}

/** Versions recorded in these schemas that the folder lacks, sorted: the database is ahead of this release. */
export function unknownVersions(folder: MigrationFolder, schemas: SchemaState[]): string[] {
  const known = new Set(folder.migrations.map((m) => m.version));
  const found = new Set<string>();
  // A schema read as a prefix holds only folder versions.
  for (const s of schemas)
    if (s.prefix === undefined) for (const v of s.applied.keys()) if (!known.has(v)) found.add(v);
  return [...found].sort();
}

/** The field appears only when there are some, as `dirty` does on a migration: the usual documents keep their shape. */
function invalidIndexes(state: DatabaseState): { invalidIndexes?: string[] } {
  const list = [state.public, ...state.tenants].flatMap((s) => s.invalidIndexes.map((i) => `${i.schema}.${i.index}`));
  return list.length ? { invalidIndexes: list } : {};
}
