// Read-only views of the state: status, version and the tenants table, computed from the
// migration files and one bulk read of the recorded state.
import type { MigrationFolder, Scope } from './files';
import { latestVersion, tenantStatuses as statusesOf, tenantsSummary as summaryOf, type TenantStatus, type TenantsSummary } from '../tenants/report';
import type { DatabaseState, SchemaState } from './state';

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
}

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
    const rows = state.tenants.map((t) => t.applied.get(m.version)).filter((r) => r !== undefined);
    const done = rows.filter((r) => !r.dirty);
    const latest = done.map((r) => r.appliedAt.getTime()).sort((a, b) => b - a)[0];
    return {
      version: m.version,
      name: m.name,
      scope: m.scope,
      applied: done.length === state.tenants.length,
      appliedAt: latest === undefined ? undefined : new Date(latest).toISOString(),
      tenantsApplied: done.length,
      tenantsTotal: state.tenants.length,
      ...(rows.some((r) => r.dirty) ? { dirty: true } : {}),
    };
  });
  const known = new Set(folder.migrations.map((m) => m.version));
  const orphans = new Map<string, { name: string; scope: Scope }>();
  for (const s of [state.public, ...state.tenants]) {
    for (const row of s.applied.values()) {
      if (!known.has(row.version)) orphans.set(row.version, { name: row.name, scope: s.schema === 'public' ? 'global' : 'tenant' });
    }
  }
  for (const [version, o] of orphans) migrations.push({ version, name: o.name, scope: o.scope, applied: true, missingFile: true });
  migrations.sort((a, b) => (a.version < b.version ? -1 : 1));
  return { migrations, tenants: tenantsSummary(folder, state, pattern), ...invalidIndexes(state) };
}

/** The tenants table (tenants/report.ts), measured against the folder's tenant migrations. */
export function tenantStatuses(folder: MigrationFolder, state: DatabaseState): TenantStatus[] {
  const known = new Set(folder.migrations.map((m) => m.version));
  return statusesOf(
    folder.migrations.filter((m) => m.scope === 'tenant').map((m) => m.version),
    state.tenants,
    known,
  );
}

function tenantsSummary(folder: MigrationFolder, state: DatabaseState, pattern: string): TenantsSummary {
  return summaryOf(tenantStatuses(folder, state), pattern);
}

/** The latest version applied anywhere; dirty if any schema is. */
export function versionReport(folder: MigrationFolder, state: DatabaseState, pattern: string): VersionReport {
  const versions = [state.public, ...state.tenants]
    .map(latestVersion)
    .filter((v): v is string => v !== null)
    .sort();
  const dirty = Boolean(state.public.dirtyAt) || state.tenants.some((t) => t.dirtyAt);
  const unknown = unknownVersions(folder, [state.public, ...state.tenants]);
  const tenants = tenantsSummary(folder, state, pattern);
  return { version: versions.at(-1) ?? null, dirty, tenants, ...invalidIndexes(state), ...(unknown.length ? { unknownVersions: unknown } : {}) };
}

/** Versions recorded in these schemas that the folder lacks, sorted: the database is ahead of this release. */
export function unknownVersions(folder: MigrationFolder, schemas: SchemaState[]): string[] {
  const known = new Set(folder.migrations.map((m) => m.version));
  const found = new Set<string>();
  for (const s of schemas) for (const v of s.applied.keys()) if (!known.has(v)) found.add(v);
  return [...found].sort();
}

/** The field appears only when there are some, as `dirty` does on a migration: the usual documents keep their shape. */
function invalidIndexes(state: DatabaseState): { invalidIndexes?: string[] } {
  const list = [state.public, ...state.tenants].flatMap((s) => s.invalidIndexes.map((i) => `${i.schema}.${i.index}`));
  return list.length ? { invalidIndexes: list } : {};
}
