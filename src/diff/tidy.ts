// What the engine writes, made fit for the folder's two scopes:
// - a global script never touches the tenant schema (the engine sometimes writes a tenant enum
//   there, `CREATE TYPE "tenant".…`, although it was declared external to the global diff);
// - a tenant script names tenant objects unqualified (it runs under each tenant's search_path),
//   creates no schema (the application makes tenant schemas) and no extension (extensions are
//   per database: the global script creates them), and names extension objects qualified;
// - a down script undoes its up: it creates an extension only where the up dropped it, and drops
//   those the up created (the engine writes neither of these by itself).
import type { Scope } from '../migrations/files';
import { createdExtensions, qualifyExtensionObjects, type ExtensionObjects } from './extensions';
import { scriptOf, statementsOf, type ScriptStatement } from './script';
import { unqualify } from './unqualify';

export interface TidyContext {
  scope: Scope;
  /** The schema that stands for every tenant in this comparison. */
  tenantSchema: string;
  extensions: ExtensionObjects;
}

export function tidyUp(script: string, ctx: TidyContext): string {
  return scriptOf(tidyStatements(script, ctx));
}

/** `up` is the tidied up script of the same scope. */
export function tidyDown(script: string, up: string, ctx: TidyContext): string {
  const dropped = new Set(droppedExtensions(up));
  const kept = tidyStatements(script, ctx).filter(
    (s) => !isExtension(s, 'CREATE') || createdExtensions(s.sql).some((e) => dropped.has(e)),
  );
  const undo = createdExtensions(up).map((e) => ({
    comments: '-- DropExtension',
    sql: `DROP EXTENSION IF EXISTS "${e}"`,
  }));
  return scriptOf([...kept, ...undo.reverse()]);
}

function tidyStatements(script: string, ctx: TidyContext): ScriptStatement[] {
  const all = statementsOf(script);
  if (ctx.scope === 'global') {
    // unqualify() changes a statement exactly when it names something in the tenant schema.
    return all.filter((s) => unqualify(s.sql, ctx.tenantSchema) === s.sql);
  }
  return all
    .filter((s) => !/^CREATE SCHEMA\b/i.test(s.sql) && !/^(CREATE|ALTER|DROP) EXTENSION\b/i.test(s.sql))
    .map((s) => ({
      comments: s.comments,
      sql: qualifyExtensionObjects(unqualify(s.sql, ctx.tenantSchema), ctx.extensions),
    }));
}

function isExtension(s: ScriptStatement, verb: string): boolean {
  return new RegExp(`^${verb} EXTENSION\\b`, 'i').test(s.sql);
}

function droppedExtensions(sql: string): string[] {
  return [...sql.matchAll(/^\s*DROP EXTENSION\s+(?:IF EXISTS\s+)?"?([\w-]+)"?/gim)].map((m) => m[1]!);
}
