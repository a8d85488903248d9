// Grouping of failures for the text summary (the end-to-end runs are in failures.test.ts).
import { describe, expect, it } from 'vitest';
import { groupFailures } from '../../src/cli/render-failures';

describe('groupFailures', () => {
  it('groups messages that differ only by the schema they name, and keeps each schema name whole', () => {
    const dirty = (schema: string) => ({
      schema,
      version: '20250101000300',
      error: `Schema ${schema} is dirty; fix: force --tenant ${schema}`,
    });
    const groups = groupFailures([dirty('company_10'), dirty('company_1'), dirty('company_2')]);
    expect(groups).toEqual([
      expect.objectContaining({
        error: 'Schema <schema> is dirty; fix: force --tenant <schema>',
        schemas: ['company_1', 'company_10', 'company_2'],
      }),
    ]);
  });

  it('puts the schema name back in a group of one, and orders groups by version, then size', () => {
    const groups = groupFailures([
      { schema: 'company_b', version: '2', error: 'x' },
      { schema: 'company_c', version: '1', error: 'relation "company_c.t" is odd' },
      { schema: 'company_a', version: '2', error: 'y' },
      { schema: 'company_d', version: '2', error: 'x' },
    ]);
    expect(groups.map((g) => [g.version, g.error, g.schemas])).toEqual([
      ['1', 'relation "company_c.t" is odd', ['company_c']],
      ['2', 'x', ['company_b', 'company_d']],
      ['2', 'y', ['company_a']],
    ]);
  });

  it('keeps DETAIL out of the key: rows that differ per schema still group, each DETAIL kept', () => {
    const groups = groupFailures([
      { schema: 's1', version: '1', error: 'dup', detail: 'Key (id)=(1) already exists.' },
      { schema: 's2', version: '1', error: 'dup', detail: 'Key (id)=(7) already exists.' },
    ]);
    expect(groups).toHaveLength(1);
    expect(groups[0]!.details).toEqual(['Key (id)=(1) already exists.', 'Key (id)=(7) already exists.']);
  });
});
