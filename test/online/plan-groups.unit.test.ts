// plan's text for a fleet of tenants: schemas of similar size are one line, the largest named.
import { describe, expect, it } from 'vitest';
import { groups } from '../../src/cli/render-plan';

const schema = (name: string, bytes: number) => ({
  schema: name,
  bytes,
  rows: bytes / 100,
  estimateMs: Math.round(bytes / 1e5),
});

describe("plan's groups", () => {
  it('10,000 small tenants are one group, 20 mid-sized ones another, the large one apart', () => {
    const small = Array.from({ length: 10_000 }, (_, i) => schema(`company_${i}`, 10_000 + (i % 90) * 10_000));
    const mid = Array.from({ length: 20 }, (_, i) => schema(`mid_${i}`, 3_000_000 + i * 100_000));
    const found = groups([...small, schema('company_acme', 50_000_000), ...mid]);
    expect(found.map((g) => [g[0]!.schema, g.length])).toEqual([
      ['company_acme', 1],
      ['mid_19', 20],
      ['company_1079', 10_000], // the first by name of the largest (900 kB),
    ]);
  });
  it('sizes more than a factor of 2 apart above 1 MB are separate groups', () => {
    const found = groups([schema('a', 40e6), schema('b', 25e6), schema('c', 15e6), schema('d', 8e6)]);
    expect(found.map((g) => g.map((s) => s.schema))).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
  });
});
