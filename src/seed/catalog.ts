// Read-only checks of the seed sets against the database, before the seed writes anything:
// every table, column and referenced column must exist, in public and in every tenant schema.
import { UsageError } from '../errors';
import { operation, remedy } from '../remedy';
import { qualified, type DataSet, type TableRef } from './data-set';
import type { SeedSet } from './files';
import type { Queryable } from '../db/queryable';

/** Column name -> SQL type (`format_type`), per `schema.table`. */
export type Catalog = Map<string, Map<string, string>>;

/** The schemas a set writes to. */
export function schemasOf(set: SeedSet, tenants: string[]): string[] {
  if (set.tenant) return tenants;
  return set.kind === 'data' ? [set.table.schema ?? 'public'] : ['public'];
}

/** The schema a reference's table lives in, seen from a set applied in `schema`. */
export function referencedSchema(t: TableRef, set: DataSet, schema: string): string {
  return t.schema ?? (set.tenant ? schema : 'public');
}

export async function readCatalog(db: Queryable, sets: SeedSet[], tenants: string[]): Promise<Catalog> {
  const wanted = new Set<string>();
  for (const set of sets) {
    if (set.kind !== 'data') continue;
    for (const schema of schemasOf(set, tenants)) {
      wanted.add(JSON.stringify([schema, set.table.name]));
      for (const r of set.references)
        wanted.add(JSON.stringify([referencedSchema(r.table, set, schema), r.table.name]));
    }
  }
  const pairs = [...wanted].map((w) => JSON.parse(w) as [string, string]);
  const r = await db.query<{ schema: string; table: string; column: string; type: string }>(
    `SELECT n.nspname AS schema, c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type
       FROM unnest($1::text[], $2::text[]) AS w(schema, name)
       JOIN pg_namespace n ON n.nspname = w.schema
       JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = w.name AND c.relkind IN ('r', 'p')
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped`,
    [pairs.map((p) => p[0]), pairs.map((p) => p[1])],
  );
  const catalog: Catalog = new Map();
  for (const row of r.rows) {
    const key = `${row.schema}.${row.table}`;
    if (!catalog.has(key)) catalog.set(key, new Map());
    catalog.get(key)!.set(row.column, row.type);
  }
  return catalog;
}

/** Every mismatch between the sets and the database, each named once with the schemas it concerns. */
export function checkCatalog(sets: SeedSet[], tenants: string[], catalog: Catalog): void {
  const problems: string[] = [];
  for (const set of sets) {
    if (set.kind !== 'data') continue;
    const found = new Map<string, string[]>();
    for (const schema of schemasOf(set, tenants)) {
      for (const p of problemsIn(set, schema, catalog)) found.set(p, [...(found.get(p) ?? []), schema]);
    }
    for (const [p, schemas] of found)
      problems.push(`${set.file}: ${p}${set.tenant ? ` (in ${describeSchemas(schemas)})` : ''}`);
  }
  if (problems.length) {
    throw new UsageError(
      `Seed files do not match the database, nothing was changed: ${problems.join('; ')}`,
      remedy`run ${operation('migrate')} if migrations are missing, otherwise fix the files named`,
      'SEED_SCHEMA_MISMATCH',
    );
  }
}

function problemsIn(set: DataSet, schema: string, catalog: Catalog): string[] {
  const table = qualified(set.table, schema);
  const columns = catalog.get(table);
  const where = set.tenant ? `table ${set.table.name}` : `table ${table}`;
  if (!columns) return [`${where} does not exist`];
  const out: string[] = [];
  const refs = new Map(set.references.map((r) => [r.field, r]));
  const used = new Set<string>();
  for (const row of set.rows) for (const f of Object.keys(row)) used.add(refs.get(f)?.column ?? f);
  for (const r of set.references) used.add(r.column);
  for (const c of used) if (!columns.has(c)) out.push(`${where} has no column "${c}"`);
  for (const r of set.references) {
    const target = `${referencedSchema(r.table, set, schema)}.${r.table.name}`;
    const targetColumns = catalog.get(target);
    const shown = set.tenant && !r.table.schema ? r.table.name : target;
    if (!targetColumns) out.push(`reference "${r.field}": table ${shown} does not exist`);
    else
      for (const c of [...r.by, r.select])
        if (!targetColumns.has(c)) out.push(`reference "${r.field}": table ${shown} has no column "${c}"`);
  }
  return out;
}

function describeSchemas(schemas: string[]): string {
  const shown = schemas.slice(0, 3).join(', ');
  return `${schemas.length} tenant schema${schemas.length === 1 ? '' : 's'}: ${shown}${schemas.length > 3 ? ', ...' : ''}`;
}
