// `--tenant`: limiting work to one tenant schema (or a list: a rollout's wave), which must exist
// and match the pattern.
import { UsageError } from '../errors';
import { operation, remedy } from '../remedy';

export function tenantsInScope<T extends { schema: string }>(tenants: T[], tenant?: string | string[]): T[] {
  if (Array.isArray(tenant)) {
    const wanted = new Set(tenant);
    const found = tenants.filter((t) => wanted.has(t.schema));
    if (found.length < wanted.size) {
      const have = new Set(found.map((t) => t.schema));
      tenantsInScope(
        tenants,
        [...wanted].find((s) => !have.has(s)),
      ); // the refusal, for the first one missing
    }
    return found;
  }
  if (!tenant) return tenants;
  const found = tenants.find((t) => t.schema === tenant);
  if (!found) {
    throw new UsageError(
      `Tenant schema "${tenant}" does not exist or does not match the tenant pattern`,
      remedy`run ${operation('tenants')} to list them`,
      'UNKNOWN_TENANT',
    );
  }
  return [found];
}
