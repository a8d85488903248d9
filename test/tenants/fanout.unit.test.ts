// The tenants room's fan-out: one result set per tenant schema, whatever the work is.
import { describe, expect, test } from 'vitest';
import { chainsBySchema, runPerTenant } from '../../src/tenants/fanout';

const statuses = (r: Array<{ schema: string; results: Array<{ item: string; status: string; reason?: string }> }>) =>
  r.map(
    (t) =>
      `${t.schema}: ${t.results.map((x) => `${x.item} ${x.status}${x.reason ? ` (${x.reason})` : ''}`).join(', ')}`,
  );

describe('runPerTenant', () => {
  test('returns one result set per tenant, in the order given; a failed item ends its own chain only', async () => {
    const chains = [
      { schema: 'a', items: ['1', '2'] },
      { schema: 'b', items: ['1', '2', '3'] },
      { schema: 'c', items: ['1'] },
    ];
    const seen: string[] = [];
    const results = await runPerTenant(chains, {
      concurrency: 2,
      runOne: async (schema, item) => {
        if (schema === 'b' && item === '2') throw new Error('boom');
        seen.push(`${schema}@${item}`);
        return item.length;
      },
    });
    expect(statuses(results)).toEqual([
      'a: 1 Success, 2 Success',
      'b: 1 Success, 2 Error, 3 NotExecuted (earlier-error)',
      'c: 1 Success',
    ]);
    expect((results[1]!.results[1]!.error as Error).message).toBe('boom');
    expect(results[0]!.results[0]!.value).toBe(1);
    expect(seen).not.toContain('b@3');
  });

  test('fail-fast: after the first error no tenant starts anything new, and what never ran says why', async () => {
    const chains = [
      { schema: 'a', items: ['1'] },
      { schema: 'b', items: ['1'] },
      { schema: 'c', items: ['1'] },
    ];
    const results = await runPerTenant(chains, {
      concurrency: 1,
      failFast: true,
      runOne: async (schema) => {
        if (schema === 'a') throw new Error('no');
      },
    });
    expect(statuses(results)).toEqual(['a: 1 Error', 'b: 1 NotExecuted (fail-fast)', 'c: 1 NotExecuted (fail-fast)']);
  });

  test('an aborted signal stops every chain between items', async () => {
    const controller = new AbortController();
    const chains = [
      { schema: 'a', items: ['1', '2'] },
      { schema: 'b', items: ['1'] },
    ];
    const results = await runPerTenant(chains, {
      concurrency: 1,
      signal: controller.signal,
      runOne: async () => controller.abort(),
    });
    expect(statuses(results)).toEqual(['a: 1 Success, 2 NotExecuted (interrupted)', 'b: 1 NotExecuted (interrupted)']);
  });

  test('chainsBySchema gives each schema its steps in step order', () => {
    const steps = [
      { v: '1', schemas: ['a', 'b'] },
      { v: '2', schemas: ['b'] },
      { v: '3', schemas: ['a', 'b'] },
    ];
    expect(chainsBySchema(steps).map((c) => `${c.schema}: ${c.items.map((s) => s.v).join(' ')}`)).toEqual([
      'a: 1 3',
      'b: 1 2 3',
    ]);
  });
});
