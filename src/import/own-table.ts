// A migration that touches the source tool's own history table (a golang-migrate project that
// alters schema_migrations) ran where that table existed. Imported, it still runs there, but on a
// new database this tool builds, the table does not exist (the history is migrate_tool.migrations)
// and the file fails. Nothing is changed: the report names the file and says so.
import { splitStatements } from '../migrations/sql-split';
import type { SourceSql, Tool } from './types';

const HISTORY_TABLE: Record<Tool, string> = {
  'golang-migrate': 'schema_migrations',
  dbmate: 'schema_migrations',
  prisma: '_prisma_migrations',
  atlas: 'atlas_schema_revisions',
  'node-pg-migrate': 'pgmigrations',
};

/** A note for each statement of `sql` that names the tool's history table. */
export function ownTableNotes(tool: Tool, sql: SourceSql): string[] {
  const table = HISTORY_TABLE[tool];
  const word = new RegExp(`(^|[^A-Za-z0-9_$])"?${table}"?($|[^A-Za-z0-9_$])`, 'i');
  return splitStatements(sql.text)
    .filter((st) => word.test(st.text))
    .map(
      (st) =>
        `${sql.file}:${st.line}: uses ${table}, ${tool}'s own history table: it runs on a database ${tool} built, but on a new database this tool builds that table does not exist and the file fails there; guard the statement (IF to_regclass('${table}') IS NOT NULL in a DO block) or remove it`,
    );
}
