// The contract gate as a pure function: which contract files wait for `up --contract`, which it
// runs, and when it refuses. States are built here as the state readers build them.
import { describe, expect, test } from 'vitest';
import { contractGate } from '../../src/migrations/contract';
import type { Migration, MigrationFolder } from '../../src/migrations/files';
import { planUp } from '../../src/migrations/plan';
import type { DatabaseState, SchemaState } from '../../src/migrations/state';
import { schemaState as schema } from '../support/states';
import { splitSql } from '../../src/migrations/sql-split';

function migration(version: string, name: string, contract = false): Migration {
  const text = `${contract ? '-- migrate:contract\n' : ''}SELECT 1;`;
  const up = {
    file: `tenant/${version}_${name}.up.sql`,
    text,
    checksum: `sum:${text}`,
    noTransaction: false,
    contract,
    statements: [],
  };
  return { version, name, scope: 'tenant', up };
}

const T1 = migration('20250101000000', 'employees');
const E1 = migration('20250102000000', 'add_full_name');
const C1 = migration('20250102000100', 'drop_name', true);
const C2 = migration('20250102000200', 'drop_trigger', true);
const E2 = migration('20250103000000', 'add_phone');
const C3 = migration('20250103000100', 'drop_old_phone', true);
const folder: MigrationFolder = { dir: 'migrations', migrations: [T1, E1, C1, C2, E2, C3], checksums: new Map() };

const stateOf = (...tenants: SchemaState[]): DatabaseState => ({ public: schema('public', []), tenants });
const versions = (state: DatabaseState, contract = false) =>
  planUp(folder, state, { contract }).steps.map((s) => s.migration.name);

describe('the contract gate', () => {
  test('up stops before the first contract file not run yet; every contract file from there on waits', () => {
    const state = stateOf(schema('company_a', [T1]), schema('company_b', [T1]));
    expect(versions(state)).toEqual(['add_full_name']);
    expect(contractGate(folder, state, false).waiting.map((w) => w.name)).toEqual([
      'drop_name',
      'drop_trigger',
      'drop_old_phone',
    ]);
  });

  test('up --contract runs consecutive contract files and the expand after them, then stops before a contract that follows that expand', () => {
    const state = stateOf(schema('company_a', [T1, E1]), schema('company_b', [T1, E1]));
    expect(versions(state, true)).toEqual(['drop_name', 'drop_trigger', 'add_phone']);
    expect(contractGate(folder, state, true)).toEqual({
      stopAt: C3.version,
      waiting: [expect.objectContaining({ name: 'drop_old_phone' })],
    });
  });

  test('up --contract refuses, naming every lagging schema, when one lacks a version before the first contract file', () => {
    const state = stateOf(schema('company_a', [T1, E1]), schema('company_b', [T1]), schema('company_c', []));
    expect(() => planUp(folder, state, { contract: true })).toThrow(
      'Contract file tenant/20250102000100_drop_name.up.sql not run: 2 schemas lack a version before it (company_b, company_c); nothing was run',
    );
  });

  test('a contract file run in one schema no longer waits: a schema created later gets the whole chain', () => {
    const state = stateOf(schema('company_a', [T1, E1, C1, C2]), schema('company_new', []));
    expect(planUp(folder, state).steps.map((s) => `${s.migration.name} ${s.schemas.join(',')}`)).toEqual([
      'employees company_new',
      'add_full_name company_new',
      'drop_name company_new',
      'drop_trigger company_new',
      'add_phone company_a,company_new',
    ]);
  });

  test('the marker is read in the leading comments only; after SQL it is reported with its line; in a string or a body it is no marker', () => {
    const read = (text: string) => splitSql(text).contractMarkers;
    expect(read('-- why\n  -- migrate:contract\nDROP TABLE t;')).toEqual({ leading: [2], late: [] });
    expect(read('/* a header */\n--migrate:contract\r\nDROP TABLE t;')).toEqual({ leading: [2], late: [] });
    expect(read('DROP TABLE t;\n-- migrate:contract\n')).toEqual({ leading: [], late: [2] });
    expect(read('-- migrate:contracts\nDROP TABLE t;')).toEqual({ leading: [], late: [] });
    // Lines of a function body, a string or a block comment are not comment lines of the file.
    const body = 'CREATE FUNCTION f() RETURNS int AS $$\n-- migrate:contract\nSELECT 1 $$ LANGUAGE sql;';
    expect(read(body)).toEqual({ leading: [], late: [] });
    expect(read("SELECT '\n-- migrate:contract\n';")).toEqual({ leading: [], late: [] });
    expect(read('/*\n-- migrate:contract\n*/ DROP TABLE t;')).toEqual({ leading: [], late: [] });
  });
});
