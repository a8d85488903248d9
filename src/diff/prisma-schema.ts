// The Prisma schema as `diff` uses it: read, validated with Prisma's own parser (its message,
// file and line, on failure), and reduced to what splitting and filtering need: each model's
// table and database schema.
import { readFile } from 'node:fs/promises';
import { UsageError } from '../errors';
import { option, remedy } from '../remedy';
import { loadPrismaSchema, type PrismaSchemaModule } from './wasm';

/** The database schema that stands for every tenant in schema.prisma: `@@schema("tenant")`. */
export const TENANT_SCHEMA = 'tenant';

export interface SchemaFile {
  path: string;
  content: string;
  /** What the operator should know about how it was read (preview features left out). */
  warnings?: string[];
}

export interface ModelInfo {
  /** The Prisma model name (`Employee`). */
  name: string;
  /** The table (`employees`, from `@@map`). */
  table: string;
  /** The database schema (`public` or `tenant`). */
  schema: string;
  /** Enums its fields use, by database name. */
  enums: string[];
}

export interface EnumInfo {
  name: string;
  schema: string;
}

export interface PrismaModels {
  models: ModelInfo[];
  enums: EnumInfo[];
  /** The datasource's `schemas = [...]`; empty when it has none (everything is in public). */
  schemas: string[];
  /** What the operator should know about the schema as read (preview features left out). */
  warnings: string[];
}

export async function readSchema(path: string): Promise<SchemaFile> {
  try {
    const file = withoutConnectionUrls({ path, content: await readFile(path, 'utf8') });
    return acceptPreviewFeatures(file, await loadPrismaSchema());
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new UsageError(
      `Prisma schema ${path} does not exist`,
      remedy`set ${option('prismaSchema')} to your schema.prisma`,
      'NO_PRISMA_SCHEMA',
    );
  }
}

interface DmmfModel {
  name: string;
  dbName: string | null;
  schema: string | null;
  fields: Array<{ kind: string; type: string }>;
}
interface DmmfEnum {
  name: string;
  dbName?: string | null;
  schema?: string | null;
}

/** Validates the schema and lists its models; a broken schema is a UsageError carrying Prisma's message. */
export async function readModels(file: SchemaFile): Promise<PrismaModels> {
  const prisma = await loadPrismaSchema();
  const params = JSON.stringify({ prismaSchema: [[file.path, file.content]], noColor: true });
  let dmmf: { datamodel: { models: DmmfModel[]; enums: DmmfEnum[] } };
  try {
    prisma.validate(params);
    dmmf = JSON.parse(prisma.get_dmmf(params));
  } catch (error) {
    throw schemaError(error, file.path);
  }
  const enums = dmmf.datamodel.enums.map((e) => ({ name: e.dbName ?? e.name, schema: e.schema ?? 'public' }));
  const enumNames = new Map(dmmf.datamodel.enums.map((e) => [e.name, e.dbName ?? e.name]));
  const models = dmmf.datamodel.models.map((m) => ({
    name: m.name,
    table: m.dbName ?? m.name,
    schema: m.schema ?? 'public',
    enums: m.fields.filter((f) => f.kind === 'enum').map((f) => enumNames.get(f.type) ?? f.type),
  }));
  return { models, enums, schemas: datasourceSchemas(prisma, file), warnings: file.warnings ?? [] };
}

/**
 * Preview features that Prisma 7 no longer knows (a Prisma 6 schema's `metrics`, ...) change
 * nothing in the database: they are left out, with a warning, instead of failing the schema.
 */
export function acceptPreviewFeatures(file: SchemaFile, prisma: PrismaSchemaModule): SchemaFile {
  // Prisma may report them one at a time: drop and ask again until it knows every one left.
  let accepted = file;
  const dropped: string[] = [];
  for (;;) {
    const next = withoutUnknownPreviewFeatures(accepted, configErrors(prisma, accepted));
    if (!next.dropped.length) break;
    accepted = next.file;
    dropped.push(...next.dropped);
  }
  if (!dropped.length) return file;
  const s = dropped.length > 1 ? 's' : '';
  return {
    ...accepted,
    warnings: [
      `warning: ${file.path} names preview feature${s} ${dropped.join(', ')} that Prisma 7 no longer knows; ignored (they do not change the database)`,
    ],
  };
}

/** The generator/datasource errors (`get_config`), as Prisma's messages. */
function configErrors(prisma: PrismaSchemaModule, file: SchemaFile): string[] {
  const params = JSON.stringify({
    prismaSchema: [[file.path, file.content]],
    datasourceOverrides: {},
    ignoreEnvVarErrors: true,
    env: {},
  });
  try {
    return ((JSON.parse(prisma.get_config(params)) as { errors?: Array<{ message: string }> }).errors ?? []).map(
      (e) => e.message,
    );
  } catch {
    return []; // validate() below reports whatever made the configuration unreadable
  }
}

function datasourceSchemas(prisma: PrismaSchemaModule, file: SchemaFile): string[] {
  const params = JSON.stringify({
    prismaSchema: [[file.path, file.content]],
    datasourceOverrides: {},
    ignoreEnvVarErrors: true,
    env: {},
  });
  const config = JSON.parse(prisma.get_config(params)) as { config: { datasources: Array<{ schemas?: string[] }> } };
  return config.config.datasources[0]?.schemas ?? [];
}

const UNKNOWN_FEATURE = /The preview feature "(\w+)" is not known/g;

/**
 * The schema without the preview features that Prisma's parser says it does not know, taken out
 * of `previewFeatures = [...]` in place, so lines and columns in later messages stay right.
 */
export function withoutUnknownPreviewFeatures(
  file: SchemaFile,
  errors: string[],
): { file: SchemaFile; dropped: string[] } {
  const dropped = [...new Set(errors.flatMap((e) => [...e.matchAll(UNKNOWN_FEATURE)].map((m) => m[1]!)))];
  if (!dropped.length) return { file, dropped };
  const content = file.content.replace(
    /(\bpreviewFeatures\s*=\s*\[)([^\]]*)(\])/g,
    (_all, open: string, list: string, close: string) => {
      const kept = list.split(',').filter((item) => !dropped.includes(item.trim().replace(/^"|"$/g, '')));
      return open + kept.join(',').replace(/^\s+/, '') + close;
    },
  );
  return { file: { path: file.path, content }, dropped };
}

/** Prisma reports errors as JSON `{error_code, message}`; the message already names file and line. */
function schemaError(error: unknown, path: string): UsageError {
  const raw = error instanceof Error ? error.message : String(error);
  let message = raw;
  try {
    message = (JSON.parse(raw) as { message?: string }).message ?? raw;
  } catch {
    // not JSON: keep it as it is
  }
  const err = new UsageError(
    `Prisma schema ${path} is not valid:\n${message.trimEnd()}`,
    'fix the schema as Prisma says, then run diff again',
    'PRISMA_SCHEMA',
  );
  return err;
}

/**
 * The same schema with the tenant schema renamed (`tenant` → `company_abc123`), so that the
 * engine compares tenant models with one real tenant schema. Lines stay where they were.
 */
export function retarget(file: SchemaFile, schema: string): SchemaFile {
  if (schema === TENANT_SCHEMA) return file;
  const quoted = JSON.stringify(schema);
  const content = file.content
    .replace(/(@@schema\(\s*)"tenant"(\s*\))/g, `$1${quoted}$2`)
    .replace(/(\bschemas\s*=\s*\[[^\]]*?)"tenant"/, `$1${quoted}`);
  return { path: file.path, content };
}

/**
 * Schemas written for Prisma 6 name the connection in the datasource (`url = env("DATABASE_URL")`),
 * which Prisma 7's parser refuses. diff connects by itself and never reads them, so those lines
 * are blanked (line numbers in Prisma's messages stay right).
 */
export function withoutConnectionUrls(file: SchemaFile): SchemaFile {
  const content = file.content.replace(
    /(\bdatasource\s+\w+\s*\{)([^}]*)(\})/,
    (_all, open: string, body: string, close: string) =>
      open + body.replace(/^[ \t]*(url|directUrl|shadowDatabaseUrl)[ \t]*=.*$/gm, '') + close,
  );
  return { path: file.path, content };
}
