// The failures of a run, as text. A thousand tenant schemas that fail the same way are one group,
// printed once with its DETAIL and HINT and the first few schemas, instead of a thousand lines
// that bury the one that failed differently.
import type { FailedEntry } from '../index';
import type { Output } from './output';

export interface FailureGroup {
  version: string;
  /** The error as printed: with the schema's name replaced by `<schema>` when the group has several. */
  error: string;
  hint?: string;
  advice?: string;
  /** Each schema's DETAIL, in schema order (PostgreSQL's DETAIL can name the failing row, which differs). */
  details: string[];
  dirty: boolean;
  /** Sorted. */
  schemas: string[];
}

const SHOWN = 5;
const PLACEHOLDER = '<schema>';

/** Failures in a stable order: by version, then schema. */
export function sortFailures(failed: FailedEntry[]): FailedEntry[] {
  return [...failed].sort((a, b) => compare(a.version, b.version) || compare(a.schema, b.schema));
}

/** Groups failures whose text is the same once each schema's own name is taken out of it. */
export function groupFailures(failed: FailedEntry[]): FailureGroup[] {
  const groups = new Map<string, FailureGroup>();
  for (const f of sortFailures(failed)) {
    const error = withoutSchema(f.error, f.schema);
    const hint = f.hint === undefined ? undefined : withoutSchema(f.hint, f.schema);
    const advice = f.advice === undefined ? undefined : withoutSchema(f.advice, f.schema);
    const key = JSON.stringify([f.version, error, hint, advice, Boolean(f.dirty)]);
    const group = groups.get(key) ?? {
      version: f.version,
      error,
      hint,
      advice,
      details: [],
      dirty: Boolean(f.dirty),
      schemas: [],
    };
    groups.set(key, group);
    group.schemas.push(f.schema);
    if (f.detail !== undefined) group.details.push(withoutSchema(f.detail, f.schema));
  }
  // The single schema's own text reads better than a placeholder.
  const ordered = [...groups.values()].map((g) => (g.schemas.length === 1 ? restoreSchema(g) : g));
  return ordered.sort(
    (a, b) =>
      compare(a.version, b.version) || b.schemas.length - a.schemas.length || compare(a.schemas[0]!, b.schemas[0]!),
  );
}

export function printFailureGroups(failed: FailedEntry[], output: Pick<Output, 'print'>): void {
  for (const g of groupFailures(failed)) {
    const [first] = g.schemas;
    const count = g.schemas.length;
    output.print(
      count === 1
        ? `${first} at ${g.version}: ${g.error}`
        : `same error in ${count.toLocaleString('en-US')} schemas at ${g.version}: ${g.error}`,
    );
    for (const line of detailLines(g)) output.print(`  DETAIL: ${line}`);
    if (g.hint) output.print(`  HINT: ${g.hint}`);
    if (count > 1) {
      const rest = count > SHOWN ? ` (and ${(count - SHOWN).toLocaleString('en-US')} more; --json lists each)` : '';
      output.print(`  first: ${g.schemas.slice(0, SHOWN).join(', ')}${rest}`);
    }
    if (g.dirty) output.print(`  ${dirtyLine(g)}`);
    else if (g.advice) output.print(`  fix: ${g.advice}`);
  }
}

function detailLines(g: FailureGroup): string[] {
  const distinct = [...new Set(g.details)];
  if (distinct.length <= 1) return distinct;
  return [
    `(${g.schemas[0]}) ${distinct[0]}`,
    `(${distinct.length} different DETAILs in these schemas; --json has each schema's)`,
  ];
}

function dirtyLine(g: FailureGroup): string {
  const who = g.schemas.length === 1 ? `${g.schemas[0]} is` : 'each of these schemas is';
  return `${who} now dirty at ${g.version}: up refuses it until it is repaired${g.advice ? `; fix: ${g.advice}` : ''}`;
}

function withoutSchema(text: string, schema: string): string {
  return text.replace(schemaName(schema), PLACEHOLDER);
}

function restoreSchema(g: FailureGroup): FailureGroup {
  const put = (text: string) => text.split(PLACEHOLDER).join(g.schemas[0]!);
  return {
    ...g,
    error: put(g.error),
    hint: g.hint === undefined ? undefined : put(g.hint),
    advice: g.advice === undefined ? undefined : put(g.advice),
    details: g.details.map(put),
  };
}

/** The schema's name as a whole identifier: company_1 must not match inside company_10. */
function schemaName(schema: string): RegExp {
  return new RegExp(`(?<![A-Za-z0-9_$])${schema.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9_$])`, 'g');
}

/** Plain code-point order: the same on every machine, whatever its locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
