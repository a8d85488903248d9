// Extensions live once per database, in public (global migrations create them there). Tenant
// migrations run with search_path set to the tenant schema alone, where an extension's types,
// functions and operator classes (`citext`, `gin_trgm_ops`, `uuid_generate_v4()`) are not
// found: tenant scripts name them qualified, with the schema they live in.
import { closingQuote, skipOpaque } from './unqualify';
import type { Queryable } from '../db/queryable';

export interface ExtensionObjects {
  /** Lower-case type and operator-class name → its schema. */
  types: Map<string, string>;
  /** Lower-case function name → its schema. */
  functions: Map<string, string>;
}

/**
 * The objects of the installed extensions outside `except` (the tenant schema), leaving out those
 * that pg_catalog also has: pg_catalog is always on the search path, so they resolve anyway.
 */
export async function extensionObjects(db: Queryable, except: string): Promise<ExtensionObjects> {
  const { rows } = await db.query<{ kind: 'type' | 'function'; name: string; schema: string }>(
    `WITH objects AS (
       SELECT 'type' AS kind, t.typname AS name, t.typnamespace AS ns FROM pg_depend d JOIN pg_type t ON d.classid = 'pg_type'::regclass AND t.oid = d.objid WHERE d.deptype = 'e'
       UNION ALL
       SELECT 'type', c.opcname, c.opcnamespace FROM pg_depend d JOIN pg_opclass c ON d.classid = 'pg_opclass'::regclass AND c.oid = d.objid WHERE d.deptype = 'e'
       UNION ALL
       SELECT 'function', p.proname, p.pronamespace FROM pg_depend d JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND p.oid = d.objid WHERE d.deptype = 'e')
     SELECT DISTINCT o.kind, o.name, n.nspname AS schema FROM objects o JOIN pg_namespace n ON n.oid = o.ns
      WHERE n.nspname NOT IN ('pg_catalog', $1)
        AND NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = o.name AND typnamespace = 'pg_catalog'::regnamespace)
        AND NOT EXISTS (SELECT 1 FROM pg_proc WHERE proname = o.name AND pronamespace = 'pg_catalog'::regnamespace)`,
    [except],
  );
  const out: ExtensionObjects = { types: new Map(), functions: new Map() };
  for (const r of rows) (r.kind === 'type' ? out.types : out.functions).set(r.name.toLowerCase(), r.schema);
  return out;
}

/** The extensions a script creates, by name. */
export function createdExtensions(sql: string): string[] {
  return [...sql.matchAll(/^\s*CREATE EXTENSION\s+(?:IF NOT EXISTS\s+)?"?([\w-]+)"?/gim)].map((m) => m[1]!);
}

/**
 * Qualifies unquoted references to extension objects: a type or operator class anywhere, a
 * function only where it is called (`name(`), never inside a string, comment or quoted name, nor
 * a name that is already qualified.
 */
export function qualifyExtensionObjects(sql: string, objects: ExtensionObjects): string {
  if (!objects.types.size && !objects.functions.size) return sql;
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const end = skipOpaque(sql, i);
    if (end > i) {
      out += sql.slice(i, end);
      i = end;
      continue;
    }
    if (sql[i] === '"') {
      const close = closingQuote(sql, i, '"');
      out += sql.slice(i, close);
      i = close;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(sql.slice(i, i + 64))?.[0];
    if (!word) {
      out += sql[i];
      i++;
      continue;
    }
    const after = i + word.length;
    const qualified = sql[i - 1] === '.' || sql[after] === '.';
    const called = /^\s*\(/.test(sql.slice(after, after + 8));
    const schema = qualified
      ? undefined
      : (objects.types.get(word.toLowerCase()) ?? (called ? objects.functions.get(word.toLowerCase()) : undefined));
    out += schema ? `"${schema.replace(/"/g, '""')}".${word}` : word;
    i = after;
  }
  return out;
}
