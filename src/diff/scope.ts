// Which tables and enums each scope's diff may touch. The engine sees public and the tenant
// schema at once; everything outside the scope (and, with -models, outside the chosen models)
// is declared "external" to it, so it neither creates nor drops it.
import { UsageError } from '../errors';
import type { Scope } from '../migrations/files';
import type { Exclusions } from './engine';
import { TENANT_SCHEMA, type ModelInfo, type PrismaModels } from './prisma-schema';
import type { Queryable } from '../db/queryable';

export interface DatabaseObjects {
  /** `schema.table` */
  tables: string[];
  /** `schema.enum` */
  enums: string[];
}

export async function databaseObjects(db: Queryable, schemas: string[]): Promise<DatabaseObjects> {
  const tables = await db.query<{ name: string }>(
    `SELECT n.nspname || '.' || c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1`,
    [schemas],
  );
  const enums = await db.query<{ name: string }>(
    `SELECT n.nspname || '.' || t.typname AS name FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = ANY($1) AND t.typtype = 'e' ORDER BY 1`,
    [schemas],
  );
  return { tables: tables.rows.map((r) => r.name), enums: enums.rows.map((r) => r.name) };
}

/** The models named by `-models=` (Prisma model names); unknown names are a usage error listing the known ones. */
export function selectModels(models: ModelInfo[], names: string[] | undefined): ModelInfo[] | undefined {
  if (!names) return undefined;
  const unknown = names.filter((n) => !models.some((m) => m.name === n));
  if (unknown.length) {
    throw new UsageError(
      `Unknown model${unknown.length > 1 ? 's' : ''} in -models: ${unknown.join(', ')}`,
      `known models: ${models.map((m) => m.name).join(', ')}`,
      'UNKNOWN_MODEL',
    );
  }
  return models.filter((m) => names.includes(m.name));
}

export interface ScopeContext {
  prisma: PrismaModels;
  database: DatabaseObjects;
  /** The real schema that stands for `tenant` in this comparison. */
  tenantSchema: string;
  selected?: ModelInfo[];
}

export function exclusionsFor(scope: Scope, ctx: ScopeContext): Exclusions {
  const real = (schema: string) => (schema === TENANT_SCHEMA ? ctx.tenantSchema : schema);
  const inScope = (qualified: string) =>
    (qualified.slice(0, qualified.indexOf('.')) === ctx.tenantSchema) === (scope === 'tenant');

  const modelTables = ctx.prisma.models.map((m) => `${real(m.schema)}.${m.table}`);
  const chosenTables = ctx.selected && new Set(ctx.selected.map((m) => `${real(m.schema)}.${m.table}`));
  const tables = unique([...ctx.database.tables, ...modelTables]).filter(
    (t) => !inScope(t) || (chosenTables && !chosenTables.has(t)),
  );

  const modelEnums = ctx.prisma.enums.map((e) => `${real(e.schema)}.${e.name}`);
  const enumSchema = new Map(ctx.prisma.enums.map((e) => [e.name, real(e.schema)]));
  const chosenEnums =
    ctx.selected && new Set(ctx.selected.flatMap((m) => m.enums.map((e) => `${enumSchema.get(e) ?? 'public'}.${e}`)));
  const enums = unique([...ctx.database.enums, ...modelEnums]).filter(
    (e) => !inScope(e) || (chosenEnums && !chosenEnums.has(e)),
  );
  return { tables, enums };
}

function unique(values: string[]): string[] {
  return [...new Set(values)].sort();
}
