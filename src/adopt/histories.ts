// Reading another tool's history tables, the way that tool reads them, for every schema at once:
// one catalog query finds which schemas have one (and its columns), then the tables are read in
// batches of one UNION ALL query each, so 10,000 tenant histories are some twenty round trips
// rather than 20,000. Each reader turns its table's rows into what the tool counts as applied, or a
// problem that names the table and the row.
import pg from 'pg';
import { UsageError } from '../errors';
import type { Tool } from '../import/types';
import type { Queryable } from '../db/queryable';

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

type Row = Record<string, string | null>;
type Read = Omit<History, 'schema' | 'table'>;

interface Reader {
  /** Where the tool keeps the history of `schema`'s migrations: [schema, table] candidates. */
  tables(schema: string): Array<[string, string]>;
  /** Why a table with these columns is not this tool's history, if it is not. */
  wrongLayout?(columns: Set<string>): string | undefined;
  /** The columns to read (as text), each `expression AS name`; rows come back in `order`. */
  select: string;
  order: string;
  read(rows: Row[], table: string, problems: string[]): Read | undefined;
}

const golangMigrate: Reader = {
  tables: (s) => [[s, 'schema_migrations']],
  wrongLayout: (columns) =>
    columns.has('dirty')
      ? undefined
      : "it has no dirty column: that is dbmate's layout, not golang-migrate's; run `migrate-tool adopt dbmate`",
  select: 'version::text AS version, dirty::text AS dirty',
  order: 'version',
  read(rows, table, problems) {
    if (rows.length > 1)
      return void problems.push(`${table} has ${rows.length} rows; golang-migrate keeps exactly one`);
    const row = rows[0];
    if (!row) return { ids: [], summary: 'empty (nothing applied)' };
    if (row.dirty === 'true')
      return void problems.push(
        `${table} is dirty at version ${row.version}: a golang-migrate migration failed half way; repair it and run \`migrate force ${row.version}\` (or the version before it) with golang-migrate first`,
      );
    return { ids: [row.version!], upTo: row.version!, summary: `version ${row.version}` };
  },
};

const dbmate: Reader = {
  tables: (s) => [[s, 'schema_migrations']],
  wrongLayout: (columns) =>
    columns.has('dirty')
      ? "it has a dirty column: that is golang-migrate's layout, not dbmate's; run `migrate-tool adopt golang-migrate`"
      : undefined,
  select: 'version::text AS version',
  order: 'version',
  read: (rows) => ({ ids: rows.map((x) => x.version!), summary: count(rows.length) }),
};

const prisma: Reader = {
  tables: (s) => [[s, '_prisma_migrations']],
  // A rolled-back row does not count (Prisma applies the migration again, in a new row).
  select:
    'migration_name::text AS migration_name, finished_at::text AS finished_at, started_at AS started_at, rolled_back_at::text AS rolled_back_at',
  order: 'started_at, migration_name',
  read(all, table, problems) {
    const rows = all.filter((x) => x.rolled_back_at === null);
    const failed = rows.filter((x) => x.finished_at === null);
    if (failed.length)
      return void problems.push(
        `${table}: ${failed.map((x) => x.migration_name).join(', ')} did not finish (failed or still running); resolve it with \`prisma migrate resolve\` first`,
      );
    return { ids: rows.map((x) => x.migration_name!), summary: count(rows.length) };
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
  select:
    'version::text AS version, type::text AS type, applied::text AS applied, total::text AS total, error::text AS error',
  order: 'version',
  read(all, table, problems) {
    // Rows whose version starts with '.' are Atlas's own bookkeeping (the revisions identifier).
    const rows = all.filter((x) => !x.version!.startsWith('.'));
    const bad = rows.filter((x) => (x.error ?? '') !== '' || Number(x.applied) < Number(x.total));
    if (bad.length) {
      return void problems.push(
        `${table}: ${bad.map((x) => `${x.version} (${x.error ? `error: ${x.error.split('\n')[0]}` : `${x.applied} of ${x.total} statements`})`).join(', ')} did not complete; fix it with \`atlas migrate apply\` or \`atlas schema revisions\` first`,
      );
    }
    // Type is a bit set: 1 baseline (everything up to it counts as applied), 2 executed, 4 resolved.
    const baseline = rows.filter((x) => (Number(x.type) & 1) !== 0).at(-1)?.version ?? undefined;
    return {
      ids: rows.map((x) => x.version!),
      upTo: baseline,
      summary: `${count(rows.length)}${baseline ? `, baseline ${baseline}` : ''}`,
    };
  },
};

const nodePgMigrate: Reader = {
  tables: (s) => [[s, 'pgmigrations']],
  select: 'name::text AS name, run_on AS run_on, id AS id',
  order: 'run_on, id',
  read: (rows) => ({ ids: rows.map((x) => x.name!), summary: count(rows.length) }),
};

const READERS: Record<Tool, Reader> = {
  'golang-migrate': golangMigrate,
  dbmate,
  prisma,
  atlas,
  'node-pg-migrate': nodePgMigrate,
};

/**
 * Tables per UNION ALL query: some 50 KB of SQL, planned in milliseconds. Each table read takes a
 * lock until the query ends, and the server's lock table is shared (64 per connection by default):
 * 500 leaves room for everyone else.
 */
const BATCH = 500;

/**
 * Where the project keeps its history, when not where the tool keeps it by default (dbmate's
 * `--migrations-table`, golang-migrate's `x-migrations-table`, node-pg-migrate's
 * `--migrations-schema`/`--migrations-table`): `SCHEMA.TABLE` is public's (the global) history,
 * a bare `TABLE` that name in public and in every tenant schema.
 */
export type HistoryPlaces = {
  public?: [string, string];
  table?: string;
  /** The first schema of the search_path given at import: where the tool created its table unqualified. */
  first?: string;
};

export function historyPlaces(given: string | undefined): HistoryPlaces {
  if (given === undefined) return {};
  if (!/^[^.\s]+(\.[^.\s]+)?$/.test(given))
    throw new UsageError(
      `History table "${given}" is not SCHEMA.TABLE or TABLE`,
      'give the schema and table the other tool keeps its history in, e.g. app.schema_migrations',
      'BAD_HISTORY_TABLE',
    );
  const dot = given.indexOf('.');
  return dot === -1 ? { table: given } : { public: [given.slice(0, dot), given.slice(dot + 1)] };
}

function tablesOf(reader: Reader, schema: string, places: HistoryPlaces): Array<[string, string]> {
  if (schema === 'public' && places.public) return [places.public];
  const usual: Array<[string, string]> = places.table ? [[schema, places.table]] : reader.tables(schema);
  if (schema !== 'public' || !places.first || places.first === 'public') return usual;
  return [...usual.map(([, table]): [string, string] => [places.first!, table]), ...usual];
}

/** The tool's history of each schema that has one, read in bulk. */
export async function readHistories(
  db: Queryable,
  tool: Tool,
  schemas: string[],
  problems: string[],
  places: HistoryPlaces = {},
): Promise<Map<string, History>> {
  const reader = READERS[tool];
  const candidates = schemas.map((schema) => ({ schema, tables: tablesOf(reader, schema, places) }));
  const flat = candidates.flatMap((c) => c.tables);
  const found = await db.query<{ ns: string; rel: string; columns: string[] }>(
    `SELECT n.nspname AS ns, c.relname AS rel, array_agg(a.attname::text) AS columns
       FROM unnest($1::text[], $2::text[]) AS w(ns, rel)
       JOIN pg_namespace n ON n.nspname = w.ns JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = w.rel
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE c.relkind IN ('r', 'p', 'v', 'f') GROUP BY 1, 2`,
    [flat.map(([ns]) => ns), flat.map(([, rel]) => rel)],
  );
  const columns = new Map(found.rows.map((r) => [`${r.ns}\u0000${r.rel}`, new Set(r.columns)]));
  const tables: Array<{ schema: string; name: string; sql: string }> = [];
  for (const c of candidates) {
    const hit = c.tables.find(([ns, rel]) => columns.has(`${ns}\u0000${rel}`));
    if (!hit) continue;
    const name = `${hit[0]}.${hit[1]}`;
    const wrong = reader.wrongLayout?.(columns.get(`${hit[0]}\u0000${hit[1]}`)!);
    if (wrong) problems.push(`${name}: ${wrong}`);
    else tables.push({ schema: c.schema, name, sql: `${pg.escapeIdentifier(hit[0])}.${pg.escapeIdentifier(hit[1])}` });
  }
  const rows = new Map<number, Row[]>(tables.map((_, i) => [i, []]));
  for (let from = 0; from < tables.length; from += BATCH) {
    const branches = tables
      .slice(from, from + BATCH)
      .map((t, k) => `(SELECT ${from + k} AS t, ${reader.select} FROM ${t.sql})`)
      .join(' UNION ALL ');
    const r = await db.query<Row & { t: number }>(`SELECT * FROM (${branches}) h ORDER BY t, ${reader.order}`);
    for (const row of r.rows) rows.get(row.t)!.push(row);
  }
  const out = new Map<string, History>();
  for (const [i, t] of tables.entries()) {
    const read = reader.read(rows.get(i)!, t.name, problems);
    if (read) out.set(t.schema, { schema: t.schema, table: t.name, ...read });
  }
  return out;
}

export function historyTables(tool: Tool, tenantPattern: string, places: HistoryPlaces = {}): string {
  const where = [...tablesOf(READERS[tool], 'public', places), ...tablesOf(READERS[tool], tenantPattern, places)].map(
    ([s, t]) => `${s}.${t}`,
  );
  return where.join(', ');
}

function count(n: number): string {
  return `${n} row${n === 1 ? '' : 's'}`;
}
