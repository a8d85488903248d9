// The executor's choice as a pure function: which strategy a file gets, and how a schema's steps
// are grouped, in a schema in use (the runner) and in a bare schema built whole (new tenant, spare).
import { describe, expect, test } from 'vitest';
import { MAX_SAVEPOINTS } from '../../src/migrations/chain';
import { bareGroups, bareStrategyOf, strategyOf, unitsOf } from '../../src/migrations/executor';
import type { Migration, MigrationSql } from '../../src/migrations/files';
import type { PlanStep } from '../../src/migrations/plan';

type Kind = 'tx' | 'outside' | 'backfill';

function sql(version: string, kind: Kind, dir: string): MigrationSql {
  return {
    file: `tenant/${version}_m.${dir}.sql`,
    text: '',
    checksum: `sum:${version}`,
    noTransaction: kind === 'outside',
    ...(kind === 'backfill' ? { backfill: { target: 't', table: 't', set: 'c = 1', predicate: 'c IS NULL' } } : {}),
    statements: [],
  };
}

let n = 0;
function step(up: Kind, down: Kind = 'tx'): PlanStep {
  const version = String(20250101000000 + ++n);
  const migration: Migration = {
    version,
    name: 'm',
    scope: 'tenant',
    up: sql(version, up, 'up'),
    down: sql(version, down, 'down'),
  };
  return { migration, schemas: ['company_a'], previous: '0' };
}

const shape = (units: PlanStep[][]) => units.map((u) => u.length);

describe('in a schema in use', () => {
  test('each kind of file gets its strategy; a backfill is batched only up, its down is a transaction', () => {
    expect(strategyOf(step('tx').migration, 'up')).toBe('inOneTransaction');
    expect(strategyOf(step('outside').migration, 'up')).toBe('outsideTransaction');
    expect(strategyOf(step('backfill').migration, 'up')).toBe('backfill');
    expect(strategyOf(step('backfill').migration, 'down')).toBe('inOneTransaction');
    expect(strategyOf(step('tx', 'outside').migration, 'down')).toBe('outsideTransaction');
  });

  test('consecutive transactional files share a unit; any file that runs otherwise, in either direction, is alone', () => {
    const steps = [
      step('tx'),
      step('tx'),
      step('outside'),
      step('tx'),
      step('backfill'),
      step('tx', 'outside'),
      step('tx'),
      step('tx'),
    ];
    expect(shape(unitsOf(steps))).toEqual([2, 1, 1, 1, 1, 2]);
  });

  test('a unit holds at most MAX_SAVEPOINTS + 1 files', () => {
    const steps = Array.from({ length: MAX_SAVEPOINTS + 3 }, () => step('tx'));
    expect(shape(unitsOf(steps))).toEqual([MAX_SAVEPOINTS + 1, 2]);
  });
});

describe('in a bare schema', () => {
  test('transactional files and backfills are one transaction without a cap; a no-transaction file is alone', () => {
    const many = Array.from({ length: MAX_SAVEPOINTS + 3 }, () => step('tx'));
    const groups = bareGroups([...many, step('backfill'), step('outside'), step('tx')]);
    expect(groups.map((g) => [g.strategy, g.steps.length])).toEqual([
      ['inOneTransaction', MAX_SAVEPOINTS + 4],
      ['outsideTransaction', 1],
      ['inOneTransaction', 1],
    ]);
    expect(bareStrategyOf(step('backfill').migration)).toBe('inOneTransaction');
  });
});
