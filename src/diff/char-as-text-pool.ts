// A pg.Pool for the schema engine's driver adapter. The engine's introspection selects catalog
// columns of Postgres's internal one-byte type "char" (OID 18), which @prisma/adapter-pg cannot
// decode ("Column type 'char' could not be deserialized"); reported as text (OID 25) they decode.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import bundledPg from 'pg';

export const CHAR_OID = 18;
export const TEXT_OID = 25;

interface Fields {
  fields?: Array<{ dataTypeID: number }>;
}

/** Rewrites "char" columns of a result (or of each result of a multi-statement query) to text. */
export function charAsText<T>(result: T): T {
  for (const r of Array.isArray(result) ? result : [result]) {
    for (const f of (r as Fields | undefined)?.fields ?? []) if (f.dataTypeID === CHAR_OID) f.dataTypeID = TEXT_OID;
  }
  return result;
}

/**
 * The adapter accepts only a Pool of its own copy of `pg` (it checks `instanceof`). Where the
 * adapter is loaded from node_modules, that copy is not the one bundled into the CLI.
 */
async function adapterPg(): Promise<typeof bundledPg> {
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve('@prisma/adapter-pg');
  } catch {
    return bundledPg; // the adapter is bundled too, beside this very copy
  }
  const path = createRequire(entry).resolve('pg');
  return ((await import(pathToFileURL(path).href)) as { default: typeof bundledPg }).default;
}

/** A pool whose every query, on the pool or on a checked-out client, reports "char" as text. */
export async function createCharAsTextPool(config: bundledPg.PoolConfig): Promise<bundledPg.Pool> {
  const pg = await adapterPg();
  class CharAsTextClient extends pg.Client {
    // pg's query() has many overloads; the wrapper handles its two result styles, promise and callback.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the override must match every overload's return type
    override query(...args: unknown[]): any {
      const last = args.at(-1);
      if (typeof last === 'function') {
        const callback = last as (error: Error | null, result: unknown) => void;
        return (super.query as (...a: unknown[]) => unknown)(
          ...args.slice(0, -1),
          (error: Error | null, result: unknown) => callback(error, error ? result : charAsText(result)),
        );
      }
      const result = (super.query as (...a: unknown[]) => unknown)(...args) as Promise<unknown> | undefined;
      return typeof result?.then === 'function' ? result.then(charAsText) : result;
    }
  }
  return new pg.Pool({ ...config, Client: CharAsTextClient });
}
