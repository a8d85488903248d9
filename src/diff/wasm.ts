// Loads Prisma's two WebAssembly modules: the schema engine (diffs) and the schema parser
// (validation, model list). Each .wasm is looked for beside the running bundle first, where a
// single-file build ships it, then inside its npm package.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileFunction } from 'node:vm';

export type SchemaEngineModule = typeof import('@prisma/schema-engine-wasm/schema_engine_bg');
export type PrismaSchemaModule = typeof import('@prisma/prisma-schema-wasm');

const resolveFrom = createRequire(import.meta.url);

export const ENGINE_PACKAGE_ENTRY = '@prisma/schema-engine-wasm/schema_engine_bg';
export const PARSER_PACKAGE_ENTRY = '@prisma/prisma-schema-wasm';
export const ENGINE_WASM = 'schema_engine_bg.wasm';
export const PARSER_JS = 'prisma_schema_build.js';

/** `file` beside the running bundle (or module) if it is there, else in the package of `entry`. */
export function locate(file: string, entry: string, besideDir = dirname(fileURLToPath(import.meta.url))): string {
  const beside = join(besideDir, file);
  if (existsSync(beside)) return beside;
  return join(dirname(resolveFrom.resolve(entry)), file);
}

// Node has WebAssembly; this project's type libraries (ES2023, no DOM) do not declare it.
const webAssembly = (
  globalThis as unknown as {
    WebAssembly: {
      instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: Record<string, unknown> } }>;
    };
  }
).WebAssembly;

let engine: Promise<SchemaEngineModule> | undefined;
let parser: PrismaSchemaModule | undefined;

/**
 * The package is a bundler-style wasm-bindgen build that Node cannot import as it is: its JS glue
 * is imported, and the .wasm instantiated against it by hand.
 */
export function loadSchemaEngine(): Promise<SchemaEngineModule> {
  engine ??= (async () => {
    const glue = await import('@prisma/schema-engine-wasm/schema_engine_bg');
    const bytes = await readFile(locate(ENGINE_WASM, ENGINE_PACKAGE_ENTRY));
    const { instance } = await webAssembly.instantiate(bytes, { './schema_engine_bg.js': glue });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return glue;
  })();
  engine.catch(() => (engine = undefined));
  return engine;
}

/**
 * The parser's glue is CommonJS that reads its .wasm from its own `__dirname` when it loads. It
 * is compiled here with `__dirname` set to wherever glue and .wasm were found, which also works
 * beside a bundle whose folder is `"type": "module"`.
 */
export async function loadPrismaSchema(): Promise<PrismaSchemaModule> {
  if (parser) return parser;
  const file = locate(PARSER_JS, PARSER_PACKAGE_ENTRY);
  const module = { exports: {} as PrismaSchemaModule };
  const wrapper = compileFunction(
    await readFile(file, 'utf8'),
    ['exports', 'require', 'module', '__filename', '__dirname'],
    { filename: file },
  );
  wrapper(module.exports, createRequire(file), module, file, dirname(file));
  parser = module.exports;
  return parser;
}
