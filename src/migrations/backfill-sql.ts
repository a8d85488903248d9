// A `-- migrate:backfill` file: one `UPDATE table SET ... WHERE predicate`, read with PostgreSQL's own
// parser (libpg-query), and the SQL that runs it in batches by primary key (backfill.ts). The
// predicate must be false for updated rows, or the batches would never run out of rows: where that
// is visible (the WHERE names no column the SET writes), the file is refused.
import type * as Pg from 'libpg-query';
import { loadPgParser, PARSER_BESIDE, ParserUnavailable } from '../util/pg-parser';
import pg from 'pg';
import type { Node } from './lock-modes';

export interface BackfillUpdate {
  /** The table as written after UPDATE (with ONLY and its alias, if any): reused verbatim so the predicate's names resolve. */
  target: string;
  /** The table's schema (when qualified) and name, to find its primary key. */
  schema?: string;
  table: string;
  /** The text between SET and WHERE. */
  set: string;
  /** The text after WHERE. */
  predicate: string;
}

const HOW =
  'a backfill file holds one UPDATE table SET ... WHERE predicate, the predicate false for rows already updated';

/** The file's UPDATE, or why it cannot run in batches (one line, with what to do). */
export async function parseBackfill(sql: string): Promise<BackfillUpdate | string> {
  const lib = await loadPgParser().catch((error: unknown) => {
    if (error instanceof ParserUnavailable) return `is a backfill, which needs ${error.message}; ${PARSER_BESIDE}`;
    throw error;
  });
  if (typeof lib === 'string') return lib;
  let stmts: Node[];
  try {
    stmts = (lib.parseSync(sql) as unknown as Node).stmts ?? [];
  } catch (error) {
    return `does not parse (${(error as Error).message}); ${HOW}`;
  }
  if (stmts.length !== 1) return `holds ${stmts.length} statements; ${HOW}: put the others in migrations of their own`;
  const u = stmts[0]!.stmt?.UpdateStmt as Node | undefined;
  if (!u) return `is not an UPDATE; ${HOW}, or remove -- migrate:backfill`;
  if (u.withClause || u.fromClause || u.returningList)
    return `has WITH, FROM or RETURNING, which cannot be split in batches; ${HOW}`;
  if (!u.whereClause || u.whereClause.CurrentOfExpr)
    return `has no WHERE; ${HOW} (e.g. WHERE c IS NULL for SET c = ...)`;
  const written = new Set((u.targetList as Node[]).map((t) => t.ResTarget?.name as string));
  if (!columnsOf(u.whereClause).some((c) => written.has(c)))
    return `its WHERE names none of the columns its SET writes, so updated rows would match again; make the predicate false for updated rows (e.g. SET c = ... WHERE c IS NULL)`;
  const cut = topLevelCuts(lib, sql);
  if (!cut) return `could not be read; ${HOW}`;
  return {
    target: sql.slice(cut.afterUpdate, cut.set).trim(),
    ...(u.relation.schemaname ? { schema: u.relation.schemaname as string } : {}),
    table: u.relation.relname as string,
    set: sql.slice(cut.set + 3, cut.where).trim(),
    predicate: sql
      .slice(cut.where + 5)
      .trim()
      .replace(/;\s*$/, ''),
  };
}

/** Every column name a predicate refers to (the last field of each ColumnRef). */
function columnsOf(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const n of node) columnsOf(n, out);
  else if (node && typeof node === 'object') {
    const ref = (node as Node).ColumnRef;
    if (ref) {
      const last = (ref.fields as Node[]).at(-1)?.String?.sval as string | undefined;
      if (last) out.push(last);
    }
    for (const v of Object.values(node)) columnsOf(v, out);
  }
  return out;
}

/** Offsets of the statement's UPDATE end and of its own SET and WHERE keywords (outside parentheses). */
function topLevelCuts(lib: typeof Pg, sql: string): { afterUpdate: number; set: number; where: number } | undefined {
  let depth = 0;
  let afterUpdate: number | undefined;
  let set: number | undefined;
  for (const t of lib.scanSync(sql).tokens) {
    const word = t.text.toUpperCase();
    if (word === '(') depth++;
    else if (word === ')') depth--;
    else if (depth > 0) continue;
    else if (word === 'UPDATE' && afterUpdate === undefined) afterUpdate = t.end;
    else if (word === 'SET' && set === undefined) set = t.start;
    else if (word === 'WHERE' && set !== undefined)
      return afterUpdate === undefined ? undefined : { afterUpdate, set, where: t.start };
  }
  return undefined;
}

export interface KeyColumn {
  name: string;
  /** format_type of the column: what a kept key (text) is cast back to. */
  type: string;
}

/**
 * One batch: the next `limit` matching rows after the kept key ($1, the key's columns as text, or
 * NULL at the start), locked in key order, updated; returns how many were updated and the batch's
 * last key as text[] (NULL: no row was left). `skipLocked`: rows the application holds are passed
 * over (a later pass takes them) instead of waited for.
 */
export function batchSql(u: BackfillUpdate, key: KeyColumn[], limit: number, skipLocked: boolean): string {
  const cols = key.map((k) => pg.escapeIdentifier(k.name));
  const row = `(${cols.join(', ')})`;
  const kept = `(${key.map((k, i) => `($1::text[])[${i + 1}]::${k.type}`).join(', ')})`;
  const desc = cols.map((c) => `${c} DESC`).join(', ');
  return `WITH picked AS (
  SELECT ${cols.join(', ')} FROM ${u.target}
   WHERE (${u.predicate}) AND ($1::text[] IS NULL OR ${row} > ${kept})
   ORDER BY ${cols.join(', ')} LIMIT ${Math.floor(limit)} FOR UPDATE${skipLocked ? ' SKIP LOCKED' : ''}
), done AS (
  UPDATE ${u.target} SET ${u.set} WHERE ${row} IN (SELECT ${cols.join(', ')} FROM picked) RETURNING 1
)
SELECT (SELECT count(*) FROM done)::bigint AS updated,
       (SELECT ARRAY[${cols.map((c) => `${c}::text`).join(', ')}] FROM picked ORDER BY ${desc} LIMIT 1) AS last`;
}

/** Whether any row still matches: the backfill is recorded as applied only when none does. */
export function remainingSql(u: BackfillUpdate): string {
  return `SELECT EXISTS (SELECT 1 FROM ${u.target} WHERE (${u.predicate})) AS left`;
}

/** The matching rows, counted. */
export function countSql(u: BackfillUpdate): string {
  return `SELECT count(*) AS n FROM ${u.target} WHERE (${u.predicate})`;
}

/** The planner's estimate of the matching rows: no scan of the table. */
export function estimateSql(u: BackfillUpdate): string {
  return `EXPLAIN (FORMAT JSON) SELECT 1 FROM ${u.target} WHERE (${u.predicate})`;
}

/** The table's primary key columns in key order, with their types; none when it has no primary key. */
export const PRIMARY_KEY_SQL = `SELECT a.attname AS name, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type
  FROM pg_catalog.pg_index i
  JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) ON true
  JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
 WHERE i.indrelid = $1::regclass AND i.indisprimary
 ORDER BY k.n`;
