// A few words for what differs in a schema, for the one-line summary:
// `company_x (extra index foo_idx)`, `company_y (column employees.email changed and 1 more)`.
import type { Difference } from '../db/catalog-differences';

export function shortSummary(diffs: Difference[]): string {
  const first = diffs.find((d) => d.key.startsWith('table ')) ?? diffs[0];
  if (!first) return 'no difference';
  const more = diffs.length - 1;
  return `${phrase(first)}${more > 0 ? ` and ${more} more` : ''}`;
}

function phrase(d: Difference): string {
  const space = d.key.indexOf(' ');
  const kind = d.key.slice(0, space);
  const name = d.key.slice(space + 1);
  // An index or constraint is named by itself (its name is unique in the schema), not by its table.
  const short = ['index', 'constraint', 'trigger'].includes(kind) ? name.slice(name.indexOf('.') + 1) : name;
  if (d.expected === undefined) return `extra ${kind} ${short}`;
  if (d.actual === undefined) return `missing ${kind} ${short}`;
  if (kind === 'index' && d.actual.endsWith('(INVALID)') && !d.expected.endsWith('(INVALID)'))
    return `invalid index ${short}`;
  if (kind === 'constraint' && d.actual.endsWith('(not validated)')) return `constraint ${short} not validated`;
  return `${kind} ${short} changed`;
}
