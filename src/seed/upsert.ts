// The SQL of one data set in one schema: references resolved by key, then one statement per
// group of rows that inserts what is absent, updates what differs and reports both. Identifiers
// are quoted, values travel as one JSON parameter.
import pg from 'pg';
import { withSavepoint } from '../db/transaction';
import type { DataSet, Reference } from './data-set';
import { referencedSchema } from './catalog';
import type { Queryable } from '../db/queryable';

const q = (name: string) => pg.escapeIdentifier(name);
const table = (schema: string, name: string) => `${q(schema)}.${q(name)}`;

export interface Prepared {
  /** 0-based index in the file's rows. */
  index: number;
  /** Column -> value, references replaced by the referenced row's value (as text). */
  values: Record<string, unknown>;
}

export interface RowChange {
  action: 'insert' | 'update';
  index: number;
  columns?: string[];
}

/** A row the database refused or could not resolve, with the index it has in the file. */
export class RowFailure extends Error {
  constructor(
    message: string,
    readonly index: number | undefined,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Replaces each reference field by its column, looked up in the referenced table. */
export async function prepareRows(db: Queryable, set: DataSet, schema: string): Promise<Prepared[]> {
  const prepared: Prepared[] = set.rows.map((row, index) => ({ index, values: { ...row } }));
  for (const ref of set.references) {
    for (const p of prepared) {
      if (p.values[ref.field] !== null) continue;
      delete p.values[ref.field]; // an optional reference left empty
      p.values[ref.column] = null;
    }
    const users = prepared.filter((p) => p.values[ref.field] !== undefined);
    if (users.length === 0) continue;
    const found = await lookUp(
      db,
      ref,
      referencedSchema(ref.table, set, schema),
      users.map((p) => p.values[ref.field]),
    );
    for (const p of users) {
      const value = p.values[ref.field];
      const hit = found.get(lookupKey(ref, value));
      const shown = `${ref.field} ${JSON.stringify(value)}`;
      if (hit === undefined)
        throw new RowFailure(`${shown} not found in ${ref.table.name} (by ${ref.by.join(', ')})`, p.index);
      if (hit === AMBIGUOUS)
        throw new RowFailure(
          `${shown} matches several rows of ${ref.table.name}; "by" must name a unique key`,
          p.index,
        );
      delete p.values[ref.field];
      p.values[ref.column] = hit;
    }
  }
  return prepared;
}

const AMBIGUOUS = Symbol('ambiguous');

async function lookUp(
  db: Queryable,
  ref: Reference,
  schema: string,
  values: unknown[],
): Promise<Map<string, string | null | typeof AMBIGUOUS>> {
  const distinct = [...new Map(values.map((v) => [lookupKey(ref, v), v])).values()];
  const asRecords = distinct.map((v) => (ref.by.length === 1 ? { [ref.by[0]!]: v } : v));
  const target = table(schema, ref.table.name);
  const match = ref.by.map((c) => `t.${q(c)} = k.${q(c)}`).join(' AND ');
  const r = await db.query<{ n: number; v: string | null }>(
    `SELECT k.ordinality::int AS n, t.${q(ref.select)}::text AS v
       FROM jsonb_populate_recordset(NULL::${target}, $1::jsonb) WITH ORDINALITY AS k
       JOIN ${target} t ON ${match}`,
    [JSON.stringify(asRecords)],
  );
  const out = new Map<string, string | null | typeof AMBIGUOUS>();
  for (const row of r.rows) {
    const key = lookupKey(ref, distinct[row.n - 1]);
    out.set(key, out.has(key) ? AMBIGUOUS : row.v);
  }
  return out;
}

function lookupKey(ref: Reference, v: unknown): string {
  if (ref.by.length === 1) return JSON.stringify(v);
  const o = v as Record<string, unknown>;
  return JSON.stringify(ref.by.map((b) => o[b]));
}

/** The statement for rows that all give the same columns; `$1` is the rows as a JSON array. */
export function upsertSql(
  schema: string,
  tableName: string,
  columns: string[],
  keyColumns: string[],
  types: Map<string, string>,
): string {
  const t = table(schema, tableName);
  // json has no equality operator; compare it as jsonb.
  const cmp = (c: string, side: string) => (types.get(c) === 'json' ? `${side}.${q(c)}::jsonb` : `${side}.${q(c)}`);
  const match = keyColumns.map((c) => `${cmp(c, 't')} = ${cmp(c, 'i')}`).join(' AND ');
  const others = columns.filter((c) => !keyColumns.includes(c));
  const differs = (c: string) => `${cmp(c, 't')} IS DISTINCT FROM ${cmp(c, 'i')}`;
  const changed = others.length
    ? `SELECT i.ordinality AS n, array_remove(ARRAY[${others.map((c) => `CASE WHEN ${differs(c)} THEN ${pg.escapeLiteral(c)} END`).join(', ')}], NULL) AS columns
         FROM input i JOIN ${t} t ON ${match}
        WHERE ${others.map(differs).join(' OR ')}`
    : 'SELECT NULL::bigint AS n, NULL::text[] AS columns WHERE false';
  const update = others.length
    ? `, upd AS (
        UPDATE ${t} t SET ${others.map((c) => `${q(c)} = i.${q(c)}`).join(', ')}
          FROM input i
         WHERE ${match} AND i.ordinality IN (SELECT n FROM changed)
        RETURNING 1)`
    : '';
  return `WITH input AS (SELECT * FROM jsonb_populate_recordset(NULL::${t}, $1::jsonb) WITH ORDINALITY AS i),
    missing AS (SELECT i.ordinality AS n FROM input i WHERE NOT EXISTS (SELECT 1 FROM ${t} t WHERE ${match})),
    changed AS (${changed}),
    ins AS (
      INSERT INTO ${t} (${columns.map(q).join(', ')})
      SELECT ${columns.map((c) => `i.${q(c)}`).join(', ')} FROM input i WHERE i.ordinality IN (SELECT n FROM missing) ORDER BY i.ordinality
      RETURNING 1)${update}
    SELECT 'insert' AS action, n::int AS n, NULL::text[] AS columns FROM missing
    UNION ALL SELECT 'update', n::int, columns FROM changed`;
}

/** Applies prepared rows, grouped by the columns they give (an absent column keeps its default or value). */
export async function upsertRows(
  db: Queryable,
  schema: string,
  set: DataSet,
  rows: Prepared[],
  types: Map<string, string>,
): Promise<RowChange[]> {
  const refColumns = new Map(set.references.map((r) => [r.field, r.column]));
  const keyColumns = set.key.map((f) => refColumns.get(f) ?? f);
  const groups = new Map<string, Prepared[]>();
  for (const p of rows) {
    const cols = JSON.stringify(Object.keys(p.values).sort());
    groups.set(cols, [...(groups.get(cols) ?? []), p]);
  }
  const changes: RowChange[] = [];
  for (const [cols, group] of groups) {
    const sql = upsertSql(schema, set.table.name, JSON.parse(cols) as string[], keyColumns, types);
    const result = await runGuarded(db, sql, group);
    for (const r of result)
      changes.push({
        action: r.action,
        index: group[r.n - 1]!.index,
        ...(r.action === 'update' ? { columns: r.columns ?? [] } : {}),
      });
  }
  return changes.sort((a, b) => a.index - b.index);
}

type ChangeRow = { action: 'insert' | 'update'; n: number; columns: string[] | null };

/**
 * Runs the statement for the whole group; if the database refuses it, replays the rows one by
 * one (inside the same transaction, which is rolled back anyway) to name the row at fault.
 */
async function runGuarded(db: Queryable, sql: string, group: Prepared[]): Promise<ChangeRow[]> {
  try {
    const r = await withSavepoint(db, 'seed_group', () =>
      db.query<ChangeRow>(sql, [JSON.stringify(group.map((p) => p.values))]),
    );
    return r.rows;
  } catch (error) {
    if (!(error as { code?: string }).code) throw error; // the connection, not the data
    for (const p of group) {
      try {
        await db.query(sql, [JSON.stringify([p.values])]);
      } catch (rowError) {
        throw new RowFailure((rowError as Error).message, p.index, { cause: rowError });
      }
    }
    throw new RowFailure((error as Error).message, undefined, { cause: error });
  }
}
