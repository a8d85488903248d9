// A fleet target's JSON documents merged into its entry: disjoint keys only; a collision is a bug.
import { describe, expect, it } from 'vitest';
import { mergeDocuments } from '../../src/cli/fleet-documents';

describe("a target's documents", () => {
  it('are merged in order when their keys do not collide; none is an empty entry', () => {
    expect(mergeDocuments([])).toEqual({});
    expect(mergeDocuments([{ applied: [1], failed: [] }, { spares: { ready: 2 } }])).toEqual({
      applied: [1],
      failed: [],
      spares: { ready: 2 },
    });
    expect(Object.keys(mergeDocuments([{ b: 1 }, { a: 2 }]))).toEqual(['b', 'a']);
  });

  it('that give the same key are refused, naming the key, even with the same value', () => {
    expect(() => mergeDocuments([{ steps: [{ schemas: ['a'] }] }, { steps: [] }])).toThrow(
      'two JSON documents of one target both give "steps"',
    );
    expect(() => mergeDocuments([{ dryRun: true }, { dryRun: true }])).toThrow('"dryRun"');
  });

  it('that are not objects are refused', () => {
    expect(() => mergeDocuments([['x']])).toThrow('is not an object');
    expect(() => mergeDocuments([null])).toThrow('is not an object');
  });
});
