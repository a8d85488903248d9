// The pieces of diff that are pure functions, and the two adapters around Prisma's engine
// (the wasm loader and the "char" pool), each against the real thing.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from '../support/fixtures';
import { createCharAsTextPool, charAsText, TEXT_OID } from '../../src/diff/char-as-text-pool';
import { readModels, retarget, withoutConnectionUrls, type SchemaFile } from '../../src/diff/prisma-schema';
import { exclusionsFor, selectModels } from '../../src/diff/scope';
import { splitClauses, summarize } from '../../src/diff/summary';
import { unqualify } from '../../src/diff/unqualify';
import { ENGINE_PACKAGE_ENTRY, ENGINE_WASM, locate, loadPrismaSchema, loadSchemaEngine } from '../../src/diff/wasm';
import { SAMPLE_SCHEMA } from './support';

const sample = async (): Promise<SchemaFile> => ({
  path: SAMPLE_SCHEMA,
  content: await readFile(SAMPLE_SCHEMA, 'utf8'),
});

describe('unqualify', () => {
  test('removes the tenant schema where it qualifies a name, and nowhere else', () => {
    const sql = `-- "tenant"."x" in a comment\nALTER TABLE "tenant"."employees" ADD CONSTRAINT "f" FOREIGN KEY ("c") REFERENCES "public"."companies"("id");\nCOMMENT ON TABLE "tenant"."x" IS '"tenant"."y"';\nSELECT "tenant"`;
    expect(unqualify(sql, 'tenant')).toBe(
      `-- "tenant"."x" in a comment\nALTER TABLE "employees" ADD CONSTRAINT "f" FOREIGN KEY ("c") REFERENCES "public"."companies"("id");\nCOMMENT ON TABLE "x" IS '"tenant"."y"';\nSELECT "tenant"`,
    );
  });

  test('works for a real tenant schema name and leaves a similar one alone', () => {
    expect(unqualify('DROP TABLE "company_a"."t"; DROP TABLE "company_ab"."t";', 'company_a')).toBe(
      'DROP TABLE "t"; DROP TABLE "company_ab"."t";',
    );
  });
});

describe('summary in words', () => {
  test('names tables, columns with their types, indexes, and marks data loss', () => {
    const script = [
      '-- CreateTable\nCREATE TABLE "invoices" (\n    "id" SERIAL NOT NULL,\n    CONSTRAINT "invoices_pkey" PRIMARY KEY ("id")\n);',
      '-- AlterTable\nALTER TABLE "employees" ADD COLUMN     "bio" TEXT,\nADD COLUMN     "age" INTEGER NOT NULL DEFAULT 0,\nDROP COLUMN "legacy_id",\nALTER COLUMN "name" SET DATA TYPE VARCHAR(10);',
      '-- CreateIndex\nCREATE INDEX "employees_name_idx" ON "employees"("name");',
      '-- DropTable\nDROP TABLE "old";',
      "-- CreateEnum\nCREATE TYPE \"Status\" AS ENUM ('a', 'b');",
    ].join('\n\n');
    expect(summarize(script)).toEqual([
      { text: 'Created table: invoices', dataLoss: false },
      { text: 'Added column: bio (TEXT) in employees', dataLoss: false },
      { text: 'Added column: age (INTEGER, required, with a default) in employees', dataLoss: false },
      { text: 'Dropped column: legacy_id in employees (data loss)', dataLoss: true },
      {
        text: 'Changed column type: name in employees to VARCHAR(10) (existing values are converted; data loss if they do not fit)',
        dataLoss: true,
      },
      { text: 'Created index: employees_name_idx on employees (name)', dataLoss: false },
      { text: 'Dropped table: old', dataLoss: true },
      { text: 'Created enum: Status (a, b)', dataLoss: false },
    ]);
  });

  test('splits ALTER TABLE clauses only at top-level commas', () => {
    expect(splitClauses(`ADD COLUMN "a" DECIMAL(10,2), ADD COLUMN "b" TEXT DEFAULT 'x,y'`)).toEqual([
      `ADD COLUMN "a" DECIMAL(10,2)`,
      `ADD COLUMN "b" TEXT DEFAULT 'x,y'`,
    ]);
  });
});

describe('Prisma schema', () => {
  test("lists the sample's models with table and schema", async () => {
    const { models } = await readModels(await sample());
    expect(models.find((m) => m.name === 'Employee')).toEqual({
      name: 'Employee',
      table: 'employees',
      schema: 'tenant',
      enums: [],
    });
    expect(models.find((m) => m.name === 'PolicyRule')).toMatchObject({ table: 'policy_rules', schema: 'public' });
  });

  test('retarget points tenant models at a real tenant schema without moving lines', async () => {
    const file = await sample();
    const moved = retarget(file, 'company_abc');
    expect(moved.content.split('\n')).toHaveLength(file.content.split('\n').length);
    expect(moved.content).toContain('schemas  = ["public", "company_abc"]');
    expect(moved.content).not.toContain('@@schema("tenant")');
    const { models } = await readModels(moved);
    expect(models.filter((m) => m.schema === 'company_abc').map((m) => m.name)).toEqual([
      'Branch',
      'Employee',
      'Service',
      'Appointment',
    ]);
  });
});

test("a Prisma 6 schema's datasource url is ignored, lines kept", async () => {
  const file = await sample();
  const old = {
    path: file.path,
    content: file.content.replace(
      'provider = "postgresql"',
      'provider = "postgresql"\n  url      = env("DATABASE_URL")\n  directUrl = env("DIRECT_URL")',
    ),
  };
  await expect(readModels(old)).rejects.toThrow(/datasource property `url` is no longer supported/);
  const cleaned = withoutConnectionUrls(old);
  expect(cleaned.content.split('\n')).toHaveLength(old.content.split('\n').length);
  expect((await readModels(cleaned)).models).toHaveLength(9);
  expect(withoutConnectionUrls(file).content).toBe(file.content);
});

describe('scopes and -models', () => {
  test('each scope leaves the other scope, and unchosen models, to be external', async () => {
    const prisma = await readModels(await sample());
    const database = { tables: ['public.legacy', 'tenant.employees'], enums: [] };
    const base = { prisma, database, tenantSchema: 'tenant' };
    const global = exclusionsFor('global', base);
    expect(global.tables).toContain('tenant.employees');
    expect(global.tables).not.toContain('public.legacy'); // a table the schema dropped: the global diff drops it
    expect(global.tables).not.toContain('public.companies');
    const tenant = exclusionsFor('tenant', { ...base, selected: selectModels(prisma.models, ['Employee']) });
    expect(tenant.tables).toContain('public.companies');
    expect(tenant.tables).toContain('tenant.branches');
    expect(tenant.tables).not.toContain('tenant.employees');
  });

  test('selectModels refuses unknown names, listing the known ones', async () => {
    const { models } = await readModels(await sample());
    expect(() => selectModels(models, ['Employe'])).toThrow(/Unknown model in -models: Employe/);
    expect(selectModels(models, undefined)).toBeUndefined();
  });
});

describe('wasm loader', () => {
  test('finds a .wasm beside the bundle first, then in its package', async ({ dir }) => {
    expect(locate(ENGINE_WASM, ENGINE_PACKAGE_ENTRY, dir)).toMatch(
      /node_modules\/@prisma\/schema-engine-wasm\/schema_engine_bg\.wasm$/,
    );
    await writeFile(join(dir, ENGINE_WASM), '');
    expect(locate(ENGINE_WASM, ENGINE_PACKAGE_ENTRY, dir)).toBe(join(dir, ENGINE_WASM));
  });

  test('loads both engines', async () => {
    const engine = await loadSchemaEngine();
    expect(engine.version()).toMatch(/^[0-9a-f]{40}$/);
    const parser = await loadPrismaSchema();
    expect(typeof parser.get_dmmf).toBe('function');
  });
});

describe('"char" as text', () => {
  test('the pool reports "char" columns as text, on pool queries and on checked-out clients', async ({ db }) => {
    const pool = await createCharAsTextPool({ connectionString: db.url, max: 1 });
    try {
      const viaPool = await pool.query(`SELECT relkind FROM pg_class LIMIT 1`);
      expect(viaPool.fields[0]!.dataTypeID).toBe(TEXT_OID);
      const client = await pool.connect();
      try {
        const viaClient = await client.query(`SELECT 'r'::"char" AS k, 1 AS n`);
        expect(viaClient.fields.map((f) => f.dataTypeID)).toEqual([TEXT_OID, 23]);
      } finally {
        client.release();
      }
    } finally {
      await pool.end();
    }
  });

  test('charAsText handles multi-statement results', () => {
    const results = [{ fields: [{ dataTypeID: 18 }] }, { fields: [{ dataTypeID: 23 }] }];
    expect(charAsText(results)).toEqual([{ fields: [{ dataTypeID: 25 }] }, { fields: [{ dataTypeID: 23 }] }]);
  });
});
