// The Prisma schema as `diff` uses it: read, validated with Prisma's own parser (its message,
// file and line, on failure), and reduced to what splitting and filtering need: each model's
// table and database schema.
import { readFile } from 'node:fs/promises';
import { UsageError } from '../errors';
import { loadPrismaSchema } from './wasm';

/** The database schema that stands for every tenant in schema.prisma: `@@schema("tenant")`. */
export const TENANT_SCHEMA = 'tenant';

export interface SchemaFile {
  path: string;
  content: string;
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
}

export async function readSchema(path: string): Promise<SchemaFile> {
  try {
    return withoutConnectionUrls({ path, content: await readFile(path, 'utf8') });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new UsageError(`Prisma schema ${path} does not exist`, 'set PRISMA_SCHEMA to your schema.prisma', 'NO_PRISMA_SCHEMA');
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
  return { models, enums };
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
  const err = new UsageError(`Prisma schema ${path} is not valid:\n${message.trimEnd()}`, 'fix the schema as Prisma says, then run diff again', 'PRISMA_SCHEMA');
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
  const content = file.content.replace(/(\bdatasource\s+\w+\s*\{)([^}]*)(\})/, (_all, open: string, body: string, close: string) =>
    open + body.replace(/^[ \t]*(url|directUrl|shadowDatabaseUrl)[ \t]*=.*$/gm, '') + close,
  );
  return { path: file.path, content };
}
