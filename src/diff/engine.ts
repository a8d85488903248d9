// Prisma's schema engine (WebAssembly) on a database: one engine per scope, because the scope's
// schema is the adapter's default schema and the engine writes objects of the default schema
// unqualified. So tenant scripts come out unqualified, and references from a tenant table to a
// public one come out as "public"."companies", which is right under any tenant's search_path.
import { dirname } from 'node:path';
import { pgConfig } from '../db/connect';
import type { Connection } from '../config/connection';
import { OperationError } from '../errors';
import { createCharAsTextPool } from './char-as-text-pool';
import type { SchemaFile } from './prisma-schema';
import { loadSchemaEngine } from './wasm';

type Engine = Awaited<ReturnType<Awaited<ReturnType<typeof loadSchemaEngine>>['SchemaEngine']['new']>>;

/** What the engine writes when there is nothing to do. */
const EMPTY_SCRIPT = '-- This is an empty migration.';

export type Direction = 'up' | 'down';

export interface Exclusions {
  /** `schema.table` names the diff must leave alone. */
  tables: string[];
  /** `schema.enum` names the diff must leave alone. */
  enums: string[];
}

/** One schema engine bound to a database through the pg driver adapter. */
export class SchemaDiffer {
  private constructor(
    private readonly engine: Engine,
    private readonly file: SchemaFile,
    private readonly databaseIsEmpty: boolean,
  ) {}

  /**
   * `defaultSchema` is the schema whose objects the scripts write unqualified. With
   * `databaseIsEmpty`, the "database" side is an empty one (no tenant schema to compare with).
   */
  static async open(
    pool: PoolLike,
    file: SchemaFile,
    defaultSchema: string,
    databaseIsEmpty = false,
  ): Promise<SchemaDiffer> {
    const [{ SchemaEngine }, { PrismaPg }, { bindMigrationAwareSqlAdapterFactory }] = await Promise.all([
      loadSchemaEngine(),
      import('@prisma/adapter-pg'),
      import('@prisma/driver-adapter-utils'),
    ]);
    const adapter = bindMigrationAwareSqlAdapterFactory(new PrismaPg(pool as never, { schema: defaultSchema }));
    const engine = await SchemaEngine.new({ datamodels: [[file.path, file.content]] }, () => {}, adapter);
    return new SchemaDiffer(engine, file, databaseIsEmpty);
  }

  /** up: database → schema.prisma; down: the reverse. Returns the SQL script ('' when equal). */
  async diff(direction: Direction, exclude: Exclusions): Promise<string> {
    const files = [{ path: this.file.path, content: this.file.content }];
    const database = this.databaseIsEmpty
      ? { tag: 'empty' as const }
      : { tag: 'schemaDatasource' as const, files, configDir: dirname(this.file.path) };
    const datamodel = { tag: 'schemaDatamodel' as const, files };
    try {
      const result = await this.engine.diff({
        from: direction === 'up' ? database : datamodel,
        to: direction === 'up' ? datamodel : database,
        script: true,
        exitCode: null,
        filters: { externalTables: exclude.tables, externalEnums: exclude.enums },
      });
      const script = result.stdout ?? '';
      return script.trim() === EMPTY_SCRIPT ? '' : script;
    } catch (error) {
      throw new OperationError(
        `Prisma's schema engine failed: ${messageOf(error)}`,
        'DIFF_ENGINE',
        'check that the server is reachable and that schema.prisma is valid',
      );
    }
  }

  close(): void {
    this.engine.free();
  }
}

export type PoolLike = Awaited<ReturnType<typeof createCharAsTextPool>>;

export function openPool(connection: Connection): Promise<PoolLike> {
  return createCharAsTextPool({ ...pgConfig(connection), max: 2 });
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error && 'message' in error) return String((error as { message: unknown }).message);
  return String(error);
}
