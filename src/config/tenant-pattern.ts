// TENANT_SCHEMA_PATTERN is a SQL LIKE pattern, and tenant migrations run as DDL in every schema it
// matches: a pattern as broad as `%` would run them in public, in PostgreSQL's own catalogs and in
// this tool's state schema. It is checked here, before any connection, against those names.
import { STATE_SCHEMA } from './reserved';

/**
 * Schemas that a tenant pattern must never match. `pg_toast_temp_N` and `pg_temp_N` exist once per
 * backend slot, so a few representative numbers stand for all of them; any `pg_` name is reserved.
 */
const PROTECTED_SCHEMAS = [
  'public',
  'information_schema',
  STATE_SCHEMA,
  'pg_catalog',
  'pg_toast',
  'pg_temp',
  'pg_temp_1',
  'pg_temp_3',
  'pg_temp_12',
  'pg_temp_123',
  'pg_toast_temp_1',
  'pg_toast_temp_3',
  'pg_toast_temp_12',
  'pg_toast_temp_123',
];

/** Does `name` match the LIKE pattern? `%` any run, `_` one character, `\` escapes the next one. */
export function likeMatches(pattern: string, name: string): boolean {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) source += escapeRegExp(pattern[++i]!);
    else if (c === '%') source += '[\\s\\S]*';
    else if (c === '_') source += '[\\s\\S]';
    else source += escapeRegExp(c);
  }
  return new RegExp(`^${source}$`).test(name);
}

function escapeRegExp(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** The protected schemas the pattern would match, in the order above; empty when it is safe. */
export function protectedSchemasMatched(pattern: string): string[] {
  return PROTECTED_SCHEMAS.filter((name) => likeMatches(pattern, name));
}

/** A configuration problem naming what the pattern would hit and what to set, or undefined. */
export function tenantPatternProblem(pattern: string): string | undefined {
  const hit = protectedSchemasMatched(pattern);
  if (hit.length === 0) return undefined;
  const more = hit.length > 1 ? ` (and ${hit.slice(1, 3).join(', ')}${hit.length > 3 ? ', ...' : ''})` : '';
  return (
    `TENANT_SCHEMA_PATTERN "${pattern}" matches the schema ${hit[0]}${more}, where tenant migrations must never run: ` +
    'set it to a pattern that only tenant schemas match (e.g. company_%)'
  );
}
