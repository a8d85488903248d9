// The planner as a pure function: files and a recorded state in, steps out. No server: the states
// are built here as the state readers build them, so each rule of planUp/planDown is pinned alone.
import { describe, expect, test } from 'vitest';
import type { Migration, MigrationFolder } from '../../src/migrations/files';
import { planDown, planUp } from '../../src/migrations/plan';
import type { DatabaseState, SchemaState } from '../../src/migrations/state';
import { schemaState as schema } from '../support/states';
import { OperationError, UsageError } from '../../src/errors';

function migration(
  version: string,
  name: string,
  scope: 'global' | 'tenant',
  opts: { text?: string; down?: boolean } = {},
): Migration {
  const dir = scope === 'tenant' ? 'tenant/' : '';
  const text = opts.text ?? `CREATE TABLE ${name} (id int);`;
  const sql = (kind: string, body: string) => ({
    file: `${dir}${version}_${name}.${kind}.sql`,
    text: body,
    checksum: `sum:${body}`,
    noTransaction: false,
    statements: [],
  });
  return {
    version,
    name,
    scope,
    up: sql('up', text),
    ...(opts.down === false ? {} : { down: sql('down', `DROP TABLE ${name};`) }),
  };
}

const G1 = migration('20250101000000', 'users', 'global');
const T1 = migration('20250102000000', 'orders', 'tenant');
const G2 = migration('20250103000000', 'audit', 'global');
const T2 = migration('20250104000000', 'items', 'tenant');
const folderOf = (...migrations: Migration[]): MigrationFolder => ({
  dir: 'migrations',
  migrations,
  checksums: new Map(),
});
const FOLDER = folderOf(G1, T1, G2, T2);

const stateOf = (pub: SchemaState, ...tenants: SchemaState[]): DatabaseState => ({ public: pub, tenants });
const summary = (steps: { migration: Migration; schemas: string[]; recordOnly?: string }[]) =>
  steps.map((s) => `${s.migration.version} ${s.schemas.join(',')}${s.recordOnly ? ' (record only)' : ''}`);

describe('planUp', () => {
  test('on an empty database every migration is pending: globals in public, tenant files in every tenant, one timeline', () => {
    const plan = planUp(FOLDER, stateOf(schema('public'), schema('company_a'), schema('company_b')));
    expect(summary(plan.steps)).toEqual([
      `${G1.version} public`,
      `${T1.version} company_a,company_b`,
      `${G2.version} public`,
      `${T2.version} company_a,company_b`,
    ]);
    expect(plan.refused).toEqual([]);
    expect(plan.steps.map((s) => s.previous)).toEqual(['0', G1.version, T1.version, G2.version]);
  });

  test('what a schema has applied is not planned again, and --steps keeps the next N', () => {
    const state = stateOf(schema('public', [G1, G2]), schema('company_a', [T1]), schema('company_b', [T1, T2]));
    expect(summary(planUp(FOLDER, state).steps)).toEqual([`${T2.version} company_a`]);
    const behind = stateOf(schema('public'), schema('company_a'));
    expect(summary(planUp(FOLDER, behind, { steps: 2 }).steps)).toEqual([
      `${G1.version} public`,
      `${T1.version} company_a`,
    ]);
  });

  test('a dirty public refuses the whole run; a dirty tenant is refused alone and the others go on', () => {
    const dirtyPublic = stateOf(schema('public', [G1], { dirtyAt: T1.version }), schema('company_a'));
    expect(() => planUp(FOLDER, dirtyPublic)).toThrow(OperationError);
    const dirtyTenant = stateOf(
      schema('public', [G1, G2]),
      schema('company_a', [], { dirtyAt: T1.version }),
      schema('company_b'),
    );
    const plan = planUp(FOLDER, dirtyTenant);
    expect(summary(plan.steps)).toEqual([`${T1.version} company_b`, `${T2.version} company_b`]);
    expect(plan.refused.map((r) => [r.schema, r.version])).toEqual([['company_a', T1.version]]);
    expect(plan.refused[0]!.error).toMatch(/dirty at version/);
  });

  test('a tenant-only run leaves public alone, even dirty', () => {
    const state = stateOf(schema('public', [], { dirtyAt: G1.version }), schema('company_a'));
    expect(summary(planUp(FOLDER, state, { tenantOnly: true, tenant: 'company_a' }).steps)).toEqual([
      `${T1.version} company_a`,
      `${T2.version} company_a`,
    ]);
  });

  test('a schema the caller refuses is reported only where something is pending', () => {
    const state = stateOf(schema('public', [G1, G2]), schema('company_a'), schema('company_b', [T1, T2]));
    const refuse = [
      { schema: 'company_a', reason: 'drifted' },
      { schema: 'company_b', reason: 'drifted' },
    ];
    const plan = planUp(FOLDER, state, { refuse });
    expect(plan.steps).toEqual([]);
    expect(plan.refused).toEqual([{ schema: 'company_a', version: T1.version, error: 'drifted' }]);
  });

  test('--tenant limits tenant work to one schema, which must exist', () => {
    const state = stateOf(schema('public', [G1, G2]), schema('company_a'), schema('company_b'));
    expect(summary(planUp(FOLDER, state, { tenant: 'company_b' }).steps)).toEqual([
      `${T1.version} company_b`,
      `${T2.version} company_b`,
    ]);
    expect(() => planUp(FOLDER, state, { tenant: 'company_zz' })).toThrow(UsageError);
  });

  test('an applied file edited since it ran refuses the run, naming the file', () => {
    const state = stateOf(schema('public', [G1]), schema('company_a'));
    const edited = folderOf(migration(G1.version, G1.name, 'global', { text: 'CREATE TABLE users (id bigint);' }), T1);
    expect(() => planUp(edited, state)).toThrow(
      /Applied migration changed since it ran: 20250101000000_users\.up\.sql \(applied in public\)/,
    );
  });

  test('a baseline builds a new tenant and records what it replaces; an existing tenant runs what it lacks', () => {
    const base = migration('20250105000000', 'baseline', 'tenant', {
      text: `-- migrate:baseline replaces ${T1.version}..${T2.version}\nCREATE TABLE orders (id int);`,
    });
    const folder = folderOf(G1, T1, G2, T2, base);
    const state = stateOf(schema('public', [G1, G2]), schema('company_old', [T1]), schema('company_new'));
    expect(summary(planUp(folder, state).steps)).toEqual([
      `${T2.version} company_old`,
      `${base.version} company_new`,
      `${T1.version} company_new (record only)`,
      `${T2.version} company_new (record only)`,
      `${base.version} company_old (record only)`,
    ]);
  });
});

describe('planDown', () => {
  test('rolls back the most recent applied version, in the schemas that have it; --steps goes further back', () => {
    const state = stateOf(schema('public', [G1, G2]), schema('company_a', [T1, T2]), schema('company_b', [T1]));
    expect(summary(planDown(FOLDER, state).steps)).toEqual([`${T2.version} company_a`]);
    expect(summary(planDown(FOLDER, state, { steps: 3 }).steps)).toEqual([
      `${T2.version} company_a`,
      `${G2.version} public`,
      `${T1.version} company_a,company_b`,
    ]);
  });

  test('a dirty schema in scope refuses; a version without files or without a down file refuses, naming it', () => {
    expect(() =>
      planDown(FOLDER, stateOf(schema('public', [G1]), schema('company_a', [T1], { dirtyAt: T2.version }))),
    ).toThrow(/dirty/);
    const unknown = migration('20250109000000', 'gone', 'global');
    expect(() => planDown(FOLDER, stateOf(schema('public', [G1, unknown])))).toThrow(/20250109000000/);
    const noDown = folderOf(migration(G1.version, G1.name, 'global', { down: false }));
    expect(() => planDown(noDown, stateOf(schema('public', [G1])))).toThrow(
      /20250101000000_users\.down\.sql does not exist/,
    );
  });

  test('--tenant rolls back that tenant only, never public', () => {
    const state = stateOf(schema('public', [G1, G2]), schema('company_a', [T1]), schema('company_b', [T1, T2]));
    expect(summary(planDown(FOLDER, state, { tenant: 'company_a' }).steps)).toEqual([`${T1.version} company_a`]);
  });
});
