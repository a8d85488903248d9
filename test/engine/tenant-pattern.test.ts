// TENANT_SCHEMA_PATTERN must never reach public, PostgreSQL's own schemas or the state schema.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/env';
import { likeMatches, protectedSchemasMatched } from '../../src/config/tenant-pattern';
import pg from 'pg';
import { readState } from '../../src/migrations/state';
import { test } from '../support/fixtures';
import { createTenants } from '../support/migrations';

describe('the LIKE matcher', () => {
  it.each([
    ['company_%', 'company_a', true],
    ['company_%', 'company', false],
    ['company_%', 'companyXa', true], // _ is any one character, as in LIKE
    ['company\\_%', 'companyXa', false], // unless escaped
    ['company\\_%', 'company_a', true],
    ['%', '', true],
    ['c%y', 'company', true],
    ['pg%', 'pg_toast_temp_12', true],
    ['___lic', 'public', true],
    ['100\\%', '100%', true],
    ['100\\%', '1000', false],
    ['a.b', 'axb', false], // regular-expression characters are literal
  ])('%s against %s: %s', (pattern, name, expected) => {
    expect(likeMatches(pattern, name)).toBe(expected);
  });
});

describe('TENANT_SCHEMA_PATTERN', () => {
  it.each([
    ['%', 'public'],
    ['p%', 'public'],
    ['pg%', 'pg_catalog'],
    ['%toast%', 'pg_toast'],
    ['pg\\_temp\\_%', 'pg_temp_1'],
    ['%_schema', 'information_schema'],
    ['migrate%', 'migrate_tool'],
  ])('%s is refused with exit 2, naming %s and what to set', (pattern, schema) => {
    expect(protectedSchemasMatched(pattern)).toContain(schema);
    let error: (Error & { exitCode?: number }) | undefined;
    try {
      loadConfig({ TENANT_SCHEMA_PATTERN: pattern }, { needsDatabase: false });
    } catch (e) {
      error = e as Error & { exitCode: number };
    }
    expect(error?.exitCode).toBe(2);
    expect(error?.message).toContain(
      `TENANT_SCHEMA_PATTERN "${pattern}" matches the schema ${protectedSchemasMatched(pattern)[0]}`,
    );
    expect(error?.message).toContain('e.g. company_%');
  });

  it.each(['company_%', 'tenant\\_%', 'c%', 'acme_%_eu'])('%s is accepted', (pattern) => {
    expect(loadConfig({ TENANT_SCHEMA_PATTERN: pattern }, { needsDatabase: false }).tenantPattern).toBe(pattern);
  });
});

test('tenant discovery never lists system schemas or the state schema, whatever the pattern', async ({ db }) => {
  await createTenants(db, 'company_a');
  await db.query('CREATE SCHEMA migrate_tool');
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const state = await readState(client, '%');
    expect(state.tenants.map((t) => t.schema)).toEqual(['company_a']);
  } finally {
    await client.end();
  }
});
