// The few words that name a schema's drift in the one-line summary.
import { describe, expect, test } from 'vitest';
import { shortSummary } from '../../src/drift/describe';

describe('shortSummary', () => {
  test.for([
    [[{ key: 'index t.foo_idx', actual: 'CREATE INDEX ...' }], 'extra index foo_idx'],
    [[{ key: 'constraint t.t_check', expected: 'CHECK (a > 0)' }], 'missing constraint t_check'],
    [[{ key: 'column t.a', expected: 'text', actual: 'integer' }], 'column t.a changed'],
    [
      [{ key: 'index t.i', expected: 'CREATE INDEX i ON t', actual: 'CREATE INDEX i ON t (INVALID)' }],
      'invalid index i',
    ],
    [
      [{ key: 'constraint t.fk', expected: 'FOREIGN KEY ...', actual: 'FOREIGN KEY ... (not validated)' }],
      'constraint fk not validated',
    ],
    // A table there or missing is named first, whatever else differs: it explains the rest.
    [
      [
        { key: 'column notes.id', actual: 'integer' },
        { key: 'table notes', actual: '' },
        { key: 'index a.b', actual: 'x' },
      ],
      'extra table notes and 2 more',
    ],
  ] as Array<[Array<{ key: string; expected?: string; actual?: string }>, string]>)('%j reads %s', ([diffs, words]) => {
    expect(shortSummary(diffs.map((d) => ({ schema: 's', ...d })))).toBe(words);
  });
});
