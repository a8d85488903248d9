// What drift reads from the live database, in one read-only snapshot: the tenant schemas, the
// versions recorded for each (aggregated by the server: one row per schema, not per migration),
// and the digest of each schema's catalog. Three queries, however many tenants there are.
import { catalogHashes, type CatalogScope } from '../db/catalog';
import { withSnapshot } from '../db/transaction';
import { readRecordedVersions } from '../migrations/state';
import { listTenantSchemas } from '../tenants/discovery';
import { tenantsInScope } from '../tenants/scope';
import type { Queryable } from '../db/queryable';

export interface LiveSchema {
  schema: string;
  /** Recorded versions, in order. */
  versions: string[];
  dirty: boolean;
  /** Digest of its normalised catalog (db/catalog.ts). */
  hash: string;
}

/** public (unless a tenant is named) and every tenant schema in scope, each with its record and digest. */
export async function readLive(db: Queryable, tenantPattern: string, tenant?: string): Promise<LiveSchema[]> {
  // One snapshot for the three reads: a migration committing in between cannot split them.
  // JIT compiling this large query costs more than it saves (docs/performance.md, "Figures behind the code"), and
  // the sort of 260,000 catalog rows spills to disk under the default work_mem.
  // search_path: definitions name what it does not reach, so it must be the same here and in the scratch database.
  return withSnapshot(db, () => readInSnapshot(db, tenantPattern, tenant), {
    setup: `SET LOCAL jit = off; SET LOCAL work_mem = '64MB'; SET LOCAL search_path TO public`,
  });
}

async function readInSnapshot(db: Queryable, tenantPattern: string, tenant?: string): Promise<LiveSchema[]> {
  const tenants = tenantsInScope(
    (await listTenantSchemas(db, tenantPattern)).map((schema) => ({ schema })),
    tenant,
  ).map((t) => t.schema);
  const schemas = tenant ? tenants : ['public', ...tenants];
  const scope: CatalogScope = tenant ? { names: schemas } : { pattern: tenantPattern };
  const hashes = await catalogHashes(db, scope, { extensions: false });
  const recorded = await readRecordedVersions(db, schemas);
  return schemas.map((schema) => ({
    schema,
    versions: [],
    dirty: false,
    ...recorded.get(schema),
    hash: hashes.get(schema) ?? '',
  }));
}
