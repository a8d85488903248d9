// Tenant discovery: the schemas matching the pattern, never a system schema or the tool's own.
import { describe, expect, test } from '../support/fixtures';
import { listTenantSchemas } from '../../src/tenants/discovery';
import { createTenants } from '../support/migrations';

describe('listTenantSchemas', () => {
  test('lists matching schemas in name order, and never public, information_schema, pg_* or migrate_tool', async ({
    db,
  }) => {
    await createTenants(db, 'company_b', 'company_a', 'other', 'migrate_tool');
    expect(await listTenantSchemas(db, 'company_%')).toEqual(['company_a', 'company_b']);
    const all = await listTenantSchemas(db, '%');
    expect(all).toEqual(['company_a', 'company_b', 'other']);
  });
});
