// The progress line and the closing summary as pure functions of the engine's events and results
// (the runs through a pipe, a terminal and a fleet are in progress.test.ts and fleet/gates.test.ts).
import { describe, expect, it } from 'vitest';
import type { MigrationEvent, RunResult } from '../../src/index';
import { durationMs } from '../../src/fleet/targets';
import { duration } from '../../src/cli/format';
import { RunProgress } from '../../src/cli/progress';
import { Tally } from '../../src/cli/summary';

const start = (version: string, name: string, scope: 'global' | 'tenant' = 'tenant'): MigrationEvent => ({
  type: 'migration:start',
  direction: 'up',
  version,
  name,
  scope,
  schemas: 10,
});

describe('the progress line', () => {
  it('counts, rates and estimates from the events and the clock; a new segment starts afresh', () => {
    let now = 0;
    const p = new RunProgress(() => now);
    p.onEvent(start('20250101000100', 'employees'));
    p.onEvent(start('20250101000200', 'email'));
    expect(p.onEvent({ type: 'progress', done: 0, total: 10 })).toBe('changed');
    expect(p.line()).toBe('tenant schemas: 0/10 in 0.0 s, applying 20250101000100..20250101000200 (2 versions)');
    now = 2000;
    p.onEvent({
      type: 'schema:failed',
      direction: 'up',
      schema: 'company_x',
      version: '20250101000100',
      error: 'boom',
    });
    p.onEvent({ type: 'progress', done: 4, total: 10 });
    expect(p.line()).toBe(
      'tenant schemas: 4/10 in 2.0 s, 1 failed, 2.0 schemas/s, ETA 3.0 s, applying 20250101000100..20250101000200 (2 versions)',
    );
    now = 62_000;
    expect(p.line()).toContain('4/10 in 1 min 02 s, 1 failed, 3.9 schemas/min, ETA 1 min 33 s');
    expect(p.onEvent({ type: 'progress', done: 10, total: 10 })).toBe('ended');
    expect(p.active).toBe(false);

    now = 5000;
    p.onEvent(start('20250101000300', 'audit', 'global'));
    p.onEvent({ type: 'progress', done: 0, total: 1 });
    now = 17_000;
    expect(p.line()).toBe('public: applying 20250101000300 (audit), 12 s so far');
  });
});

describe('the summary', () => {
  const entry = (schema: string, version: string) => ({ schema, version, name: 'm', scope: 'tenant' as const, ms: 1 });
  const result: RunResult = {
    direction: 'up',
    done: [entry('company_a', '1'), entry('company_a', '2'), entry('company_b', '1'), entry('company_d', '1')],
    failed: [{ schema: 'company_b', version: '2', error: 'boom' }],
    skipped: [
      { schema: 'company_b', version: '3', reason: 'version 2 failed in this schema' },
      { schema: 'company_c', version: '1', reason: 'interrupted' },
      { schema: 'company_d', version: '2', reason: 'interrupted' },
    ],
    interrupted: true,
    timing: {
      stages: [],
      schemaMs: new Map([
        ['company_a', 1500.4],
        ['company_b', 20.6],
        ['company_d', 300],
      ]),
    },
  };

  it('counts each schema once: failed, else skipped if anything was left, else migrated', () => {
    const tally = new Tally();
    tally.add(result);
    expect(tally.summary(61_000)).toEqual({
      migrated: 1,
      failed: 1,
      skipped: 2,
      applied: 4,
      ms: 61_000,
      slowest: [
        { schema: 'company_a', ms: 1500 },
        { schema: 'company_d', ms: 300 },
        { schema: 'company_b', ms: 21 },
      ],
    });
    expect(tally.lines(61_000)).toEqual([
      'Summary: 1 schema migrated, 1 failed, 2 skipped; 4 migrations applied; 1 min 01 s in all',
      'Slowest schemas: company_a 1.5 s, company_d 300 ms, company_b 21 ms',
    ]);
  });

  it('over a fleet, names schemas target:schema and keeps the targets apart', () => {
    const tally = new Tally();
    tally.add(result, 'eu-1');
    tally.add(result, 'us-1');
    const s = tally.summary(1000);
    expect([s.migrated, s.failed, s.skipped, s.applied]).toEqual([2, 2, 4, 8]);
    expect(s.slowest.map((t) => t.schema)).toEqual([
      'eu-1:company_a',
      'us-1:company_a',
      'eu-1:company_d',
      'us-1:company_d',
      'eu-1:company_b',
    ]);
  });
});

describe('durations', () => {
  it('reads a soak as a log writes it, and refuses what is not one', () => {
    expect(['500ms', '30s', '10m', '10min', '1h', '90', '0.5', 2].map(durationMs)).toEqual([
      500, 30_000, 600_000, 600_000, 3_600_000, 90_000, 500, 2000,
    ]);
    expect(['soon', '-1', '1d', '', 'ms'].map(durationMs)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(durationMs(-1)).toBeUndefined();
  });

  it('prints a span as a log reads it', () => {
    expect([4200, 9980, 34_000, 59_700, 125_000, 3_720_000].map(duration)).toEqual([
      '4.2 s',
      '10 s',
      '34 s',
      '1 min 00 s',
      '2 min 05 s',
      '1 h 02 min',
    ]);
  });
});
