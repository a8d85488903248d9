// Comparing two snapshots, and saying what differs the way a reviewer reads it: a table left
// behind is one line, not one per column, and schemas that differ alike are named together.
import type { Snapshot } from './catalog';

export interface Difference {
  schema: string;
  key: string;
  /** Undefined: the object is missing on that side. */
  expected?: string;
  actual?: string;
}

/** What differs between `expected` and `actual`, sorted by schema and object. */
export function compareSnapshots(expected: Snapshot, actual: Snapshot): Difference[] {
  const out: Difference[] = [];
  for (const schema of new Set([...expected.keys(), ...actual.keys()])) {
    const e = expected.get(schema) ?? new Map<string, string>();
    const a = actual.get(schema) ?? new Map<string, string>();
    for (const key of new Set([...e.keys(), ...a.keys()])) {
      if (e.get(key) !== a.get(key)) out.push({ schema, key, expected: e.get(key), actual: a.get(key) });
    }
  }
  return out.sort((x, y) => x.schema.localeCompare(y.schema) || x.key.localeCompare(y.key));
}

/**
 * Lines such as `company_a, company_b: + table services (should not be there; 4 columns, 1
 * constraint, 1 index)`: `+` there but should not be, `-` missing, `~` changed.
 */
export function describeDifferences(differences: Difference[]): string[] {
  // Schemas with the same lines (every tenant schema, usually) are reported once, together.
  const byLines = new Map<string, string[]>();
  for (const schema of new Set(differences.map((d) => d.schema))) {
    const key = differenceLines(differences.filter((d) => d.schema === schema)).join('\n');
    byLines.set(key, [...(byLines.get(key) ?? []), schema]);
  }
  return [...byLines].flatMap(([lines, schemas]) => lines.split('\n').map((l) => `${schemas.join(', ')}: ${l}`));
}

/** The lines of one schema's differences (a table there or missing is one line, with what it holds). */
export function differenceLines(diffs: Difference[]): string[] {
  const wholeTables = new Map(
    diffs
      .filter((d) => d.key.startsWith('table ') && (d.expected === undefined || d.actual === undefined))
      .map((d) => [d.key.slice(6), d]),
  );
  const parts = new Map<string, Map<string, number>>();
  const lines: string[] = [];
  for (const d of diffs) {
    const [kind, name] = [d.key.slice(0, d.key.indexOf(' ')), d.key.slice(d.key.indexOf(' ') + 1)];
    const table = name.slice(0, name.indexOf('.'));
    if (kind !== 'table' && wholeTables.has(table) && ['column', 'constraint', 'index', 'trigger'].includes(kind)) {
      const counts = parts.get(table) ?? new Map<string, number>();
      counts.set(kind, (counts.get(kind) ?? 0) + 1);
      parts.set(table, counts);
      continue;
    }
    lines.push(kind === 'table' && wholeTables.has(name) ? `\u0000${name}` : describe(d));
  }
  return lines.map((l) =>
    l.startsWith('\u0000') ? describeTable(wholeTables.get(l.slice(1))!, parts.get(l.slice(1))) : l,
  );
}

function describeTable(d: Difference, counts: Map<string, number> | undefined): string {
  const contents = [...(counts ?? [])]
    .map(([kind, n]) => `${n} ${kind === 'index' && n > 1 ? 'indexes' : `${kind}${n > 1 ? 's' : ''}`}`)
    .join(', ');
  const what = d.expected === undefined ? 'should not be there' : 'missing';
  return `${d.expected === undefined ? '+' : '-'} ${d.key} (${what}${contents ? `; ${contents}` : ''})`;
}

function describe(d: Difference): string {
  if (d.expected === undefined) return `+ ${d.key}${d.actual ? `: ${d.actual}` : ''} (should not be there)`;
  if (d.actual === undefined) return `- ${d.key}${d.expected ? `: ${d.expected}` : ''} (missing)`;
  return `~ ${d.key}: expected ${d.expected || '(plain)'}, found ${d.actual || '(plain)'}`;
}
