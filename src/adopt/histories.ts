// Reading another tool's history table, in one schema, the way that tool reads it. Each reader
// returns what the tool counts as applied, or a problem that names the table and the row.
import pg from 'pg';
import type { Tool } from '../import/types';

type Queryable = Pick<pg.ClientBase, 'query'>;

export interface History {
  /** The schema whose migrations it records (public or a tenant schema). */
  schema: string;
  /** The table, qualified, for messages. */
  table: string;
  /** Identifiers the tool records per applied migration. */
  ids: string[];
  /** Everything up to this version is applied (golang-migrate's one row, Atlas's baseline). */
  upTo?: string;
  /** How the history reads, for the report: `version 3`, `5 rows`. */
  summary: string;
}

interface Reader {
  /** Where the tool keeps the history of `schema`'s migrations: [schema, table] candidates. */
  tables(schema: string): Array<[string, string]>;
  read(db: Queryable, t: { sql: string; name: string }, columns: Set<string>, problems: string[]): Promise<Omit<History, 'schema' | 'table'> | undefined>;
}

const golangMigrate: Reader = {
  tables: (s) => [[s, 'schema_migrations']],
  async read(db, t, columns, problems) {
    if (!columns.has('dirty'))
      return void problems.push(`${t.name} has no dirty column: that is dbmate's layout, not golang-migrate's; run \`migrate-tool adopt dbmate\``);
    const r = await db.query<{ version: string; dirty: boolean }>(`SELECT version::text AS version, dirty FROM ${t.sql}`);
    if (r.rows.length > 1) return void problems.push(`${t.name} has ${r.rows.length} rows; golang-migrate keeps exactly one`);
    const row = r.rows[0];
    if (!row) return { ids: [], summary: 'empty (nothing applied)' };
    if (row.dirty)
      return void problems.push(
        `${t.name} is dirty at version ${row.version}: a golang-migrate migration failed half way; repair it and run \`migrate force ${row.version}\` (or the version before it) with golang-migrate first`,
      );
    return { ids: [row.version], upTo: row.version, summary: `version ${row.version}` };
  },
};

const dbmate: Reader = {
  tables: (s) => [[s, 'schema_migrations']],
  async read(db, t, columns, problems) {
    if (columns.has('dirty'))
      return void problems.push(`${t.name} has a dirty column: that is golang-migrate's layout, not dbmate's; run \`migrate-tool adopt golang-migrate\``);
    const r = await db.query<{ version: string }>(`SELECT version FROM ${t.sql} ORDER BY version`);
    return { ids: r.rows.map((x) => x.version), summary: rows(r.rows.length) };
  },
};

const prisma: Reader = {
  tables: (s) => [[s, '_prisma_migrations']],
  async read(db, t, _columns, problems) {
    // A rolled-back row does not count (Prisma applies the migration again, in a new row).
    const r = await db.query<{ migration_name: string; finished_at: Date | null }>(
      `SELECT migration_name, finished_at FROM ${t.sql} WHERE rolled_back_at IS NULL ORDER BY started_at, migration_name`,
    );
    const failed = r.rows.filter((x) => x.finished_at === null);
    if (failed.length)
      return void problems.push(
        `${t.name}: ${failed.map((x) => x.migration_name).join(', ')} did not finish (failed or still running); resolve it with \`prisma migrate resolve\` first`,
      );
    return { ids: r.rows.map((x) => x.migration_name), summary: rows(r.rows.length) };
  },
};

const atlas: Reader = {
  tables: (s) =>
    s === 'public'
      ? [
          ['atlas_schema_revisions', 'atlas_schema_revisions'],
          ['public', 'atlas_schema_revisions'],
        ]
      : [[s, 'atlas_schema_revisions']],
  async read(db, t, _columns, problems) {
    // Rows whose version starts with '.' are Atlas's own bookkeeping (the revisions identifier).
    const r = await db.query<{ version: string; type: string; applied: string; total: string; error: string | null }>(
      `SELECT version, type::text AS type, applied::text AS applied, total::text AS total, error FROM ${t.sql} WHERE version NOT LIKE '.%' ORDER BY version`,
    );
    const bad = r.rows.filter((x) => (x.error ?? '') !== '' || Number(x.applied) < Number(x.total));
    if (bad.length) {
      return void problems.push(
        `${t.name}: ${bad.map((x) => `${x.version} (${x.error ? `error: ${x.error.split('\n')[0]}` : `${x.applied} of ${x.total} statements`})`).join(', ')} did not complete; fix it with \`atlas migrate apply\` or \`atlas schema revisions\` first`,
      );
    }
    // Type is a bit set: 1 baseline (everything up to it counts as applied), 2 executed, 4 resolved.
    const baseline = r.rows.filter((x) => (Number(x.type) & 1) !== 0).at(-1)?.version;
    return { ids: r.rows.map((x) => x.version), upTo: baseline, summary: `${rows(r.rows.length)}${baseline ? `, baseline ${baseline}` : ''}` };
  },
};

const nodePgMigrate: Reader = {
  tables: (s) => [[s, 'pgmigrations']],
  async read(db, t) {
    const r = await db.query<{ name: string }>(`SELECT name FROM ${t.sql} ORDER BY run_on, id`);
    return { ids: r.rows.map((x) => x.name), summary: rows(r.rows.length) };
  },
};

const READERS: Record<Tool, Reader> = { 'golang-migrate': golangMigrate, dbmate, prisma, atlas, 'node-pg-migrate': nodePgMigrate };

/** The tool's history of `schema`, or undefined when it has none there. */
export async function readHistory(db: Queryable, tool: Tool, schema: string, problems: string[]): Promise<History | undefined> {
  for (const [ns, name] of READERS[tool].tables(schema)) {
    const t = { sql: `${pg.escapeIdentifier(ns)}.${pg.escapeIdentifier(name)}`, name: `${ns}.${name}` };
    const cols = await db.query<{ attname: string }>(`SELECT attname FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped`, [
      t.sql,
    ]);
    if (cols.rows.length === 0) continue;
    const read = await READERS[tool].read(db, t, new Set(cols.rows.map((c) => c.attname)), problems);
    return read && { schema, table: `${ns}.${name}`, ...read };
  }
  return undefined;
}

export function historyTables(tool: Tool, tenantPattern: string): string {
  const where = [...READERS[tool].tables('public'), ...READERS[tool].tables(tenantPattern)].map(([s, t]) => `${s}.${t}`);
  return where.join(', ');
}

function rows(n: number): string {
  return `${n} row${n === 1 ? '' : 's'}`;
}
