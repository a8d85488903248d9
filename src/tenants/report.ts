// The tenants table and the tenants line of status/version: per tenant schema, its latest version,
// whether it is dirty, and how many of the tenant versions it still lacks. Generic over what the
// versions are: a tenant's history is any map of applied versions (migrations' SchemaState is one).

/** What a report needs to know of one tenant schema's history. */
export interface TenantHistory {
  schema: string;
  applied: ReadonlyMap<string, { dirty: boolean }>;
  /** The version left unfinished, if any. */
  dirtyAt?: string;
  invalidIndexes: ReadonlyArray<{ index: string }>;
}

export interface TenantStatus {
  schema: string;
  version: string | null;
  dirty: boolean;
  behind: number;
  /** Names of indexes in this schema whose build did not finish; only when there are some. */
  invalidIndexes?: string[];
  /** Versions recorded in this schema that the folder does not have (a newer release applied them); only when there are some. */
  unknownVersions?: string[];
  /** The last recorded run failed this schema at `version`, and the schema is still as that left it; only then. */
  failed?: { version: string; direction: 'up' | 'down'; error: string; at: string };
}

export interface TenantsSummary {
  pattern: string;
  count: number;
  behind: string[];
  dirty: string[];
}

/**
 * `versions`: every version a tenant schema should have, in any order; `known`: every version the
 * folder has, so that versions recorded by a newer release can be named.
 */
export function tenantStatuses(
  versions: string[],
  tenants: TenantHistory[],
  known: ReadonlySet<string> = new Set(versions),
): TenantStatus[] {
  return tenants.map((t) => {
    const unknown = [...t.applied.keys()].filter((v) => !known.has(v)).sort();
    return {
      schema: t.schema,
      version: latestVersion(t),
      dirty: Boolean(t.dirtyAt),
      behind: versions.filter((v) => !t.applied.has(v) || t.applied.get(v)!.dirty).length,
      ...(t.invalidIndexes.length ? { invalidIndexes: t.invalidIndexes.map((i) => i.index) } : {}),
      ...(unknown.length ? { unknownVersions: unknown } : {}),
    };
  });
}

export function tenantsSummary(statuses: TenantStatus[], pattern: string): TenantsSummary {
  return {
    pattern,
    count: statuses.length,
    behind: statuses.filter((t) => t.behind > 0).map((t) => t.schema),
    dirty: statuses.filter((t) => t.dirty).map((t) => t.schema),
  };
}

/** The highest version applied in a schema (versions are fixed-width, so text order is time order). */
export function latestVersion(s: Pick<TenantHistory, 'applied'>): string | null {
  let max: string | null = null;
  for (const v of s.applied.keys()) if (max === null || v > max) max = v;
  return max;
}
