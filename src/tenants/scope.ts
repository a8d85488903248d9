// `--tenant`: limiting work to one tenant schema, which must exist and match the pattern.
import { UsageError } from '../errors';

export function tenantsInScope<T extends { schema: string }>(tenants: T[], tenant?: string): T[] {
  if (!tenant) return tenants;
  const found = tenants.find((t) => t.schema === tenant);
  if (!found) {
    throw new UsageError(`Tenant schema "${tenant}" does not exist or does not match the tenant pattern`, 'run `migrate-tool tenants` to list them');
  }
  return [found];
}
