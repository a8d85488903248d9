// What a baseline holds: pg_dump's plain-SQL output of the scratch database that the history built,
// one scope at a time, made runnable as a migration. pg_dump rather than Prisma's engine, because
// the engine knows tables, enums, indexes and foreign keys only, and a history also builds check
// constraints, views, functions, triggers, grants and the rows it inserted (pg_dump keeps them all).
import { OperationError } from '../errors';
import type { Connection } from '../config/connection';
import { withClient } from '../db/connect';
import { checkDumpVersion, runTool, serverVersion, tail, toolEnv, toolVersion } from '../backup/tools';
import { splitStatements } from '../migrations/sql-split';
import { STATE_SCHEMA } from '../migrations/state';
import { settleBoth } from '../util/settle';

/**
 * The schema the tenant migrations are built in. pg_dump qualifies every name, also inside string
 * literals (`nextval('x.seq'::regclass)`); a name no migration could contain can be removed
 * wherever it appears, which leaves the tenant script unqualified.
 */
export const BASELINE_TENANT_SCHEMA = 'migrate_tool_baseline_tenant';

/** The schema's name followed by a dot, as pg_dump writes it (quoted only where an option asks for it). */
const TENANT_PREFIX = new RegExp(`"?${BASELINE_TENANT_SCHEMA}"?\\.`, 'g');

export type DumpScope = 'global' | 'tenant';

/** The scope's objects and rows as one migration body; '' when the scope has none. */
export async function dumpScope(scratch: Connection, scope: DumpScope, signal?: AbortSignal): Promise<string> {
  const tools = { env: toolEnv(scratch), signal };
  const [dump, server] = await settleBoth(toolVersion('pg_dump', tools), withClient(scratch, {}, serverVersion));
  checkDumpVersion(dump, server);
  const only =
    scope === 'tenant'
      ? ['--schema', BASELINE_TENANT_SCHEMA]
      : ['--exclude-schema', BASELINE_TENANT_SCHEMA, '--exclude-schema', STATE_SCHEMA];
  // --inserts: rows as INSERT statements, which run like any other statement (COPY ... FROM stdin would not).
  const r = await runTool('pg_dump', ['--no-owner', '--inserts', ...only], tools);
  if (r.code !== 0)
    throw new OperationError(
      `pg_dump of the scratch database failed: ${tail(r.stderr)}`,
      'BASELINE_DUMP',
      'check the pg_dump on PATH and the server',
    );
  return migrationBody(r.stdout, scope);
}

/**
 * pg_dump's script without what only a restore needs: its psql commands, its session settings
 * (the runner sets search_path itself, and a SET would outlive the migration's transaction), and
 * the tenant schema's own creation and name. Function bodies are not checked when created, as in
 * a restore, because a function may be dumped before the tables it reads.
 */
export function migrationBody(dump: string, scope: DumpScope): string {
  const script = dump.replace(/^\\(?:un)?restrict\b.*$/gm, '');
  const kept = splitStatements(script)
    .map((s) => s.text.trim())
    .filter((s) => !/^SET\s/i.test(s) && !/^SELECT pg_catalog\.set_config\(/i.test(s))
    .filter((s) => !(scope === 'tenant' && /^CREATE SCHEMA\s/i.test(s)))
    .filter((s) => s !== `COMMENT ON SCHEMA public IS 'standard public schema'`);
  if (kept.length === 0) return '';
  const body = kept.map((s) => `${s};`).join('\n\n');
  const sql = scope === 'tenant' ? body.replace(TENANT_PREFIX, '') : body;
  return `SET LOCAL check_function_bodies = false;\n\n${sql}\n`;
}
