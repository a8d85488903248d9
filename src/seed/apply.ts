// Applies one seed set, in every schema it concerns, inside the seed's transaction, and counts
// what it did. A failure names the file, the row (or line) and the schema.
import pg from 'pg';
import { OperationError } from '../errors';
import { operation, remedy } from '../remedy';
import type { Statement } from '../migrations/sql-split';
import type { Catalog } from './catalog';
import { describeKey, qualified, type DataSet } from './data-set';
import type { SqlSet } from './files';
import { prepareRows, RowFailure, upsertRows } from './upsert';
import type { Queryable } from '../db/queryable';

export interface SeedChange {
  action: 'insert' | 'update';
  schema: string;
  /** 1-based row of the file. */
  row: number;
  key: Record<string, unknown>;
  /** For an update: the columns that differed. */
  columns?: string[];
}

export interface SetResult {
  file: string;
  name: string;
  kind: 'data' | 'sql';
  scope: 'global' | 'tenant';
  /** `public.roles`; for a tenant set the table name alone. */
  table?: string;
  schemas: number;
  inserted: number;
  updated: number;
  unchanged: number;
  /** SQL sets: statements run (per schema) and rows they reported. */
  statements?: number;
  rowsAffected?: number;
  changes: SeedChange[];
}

const WRITES = ['INSERT', 'UPDATE', 'DELETE', 'MERGE'];

export async function applyDataSet(
  db: Queryable,
  set: DataSet,
  schemas: string[],
  catalog: Catalog,
): Promise<SetResult> {
  const result = emptyResult(set, schemas);
  result.table = set.tenant ? set.table.name : qualified(set.table, 'public');
  for (const schema of schemas) {
    try {
      const rows = await prepareRows(db, set, schema);
      const changes = await upsertRows(
        db,
        set.table.schema ?? schema,
        set,
        rows,
        catalog.get(qualified(set.table, schema))!,
      );
      for (const c of changes) {
        const row = set.rows[c.index]!;
        result.changes.push({
          action: c.action,
          schema,
          row: c.index + 1,
          key: Object.fromEntries(set.key.map((f) => [f, row[f]])),
          ...(c.columns ? { columns: c.columns } : {}),
        });
      }
      const inserted = changes.filter((c) => c.action === 'insert').length;
      result.inserted += inserted;
      result.updated += changes.length - inserted;
      result.unchanged += set.rows.length - changes.length;
    } catch (error) {
      if (!(error instanceof RowFailure)) throw error;
      const row =
        error.index === undefined ? '' : ` row ${error.index + 1} (${describeKey(set, set.rows[error.index]!)})`;
      const where = set.tenant || schema !== 'public' ? ` in schema ${schema}` : '';
      throw new OperationError(
        `Seeding failed at ${set.file}${row}${where}: ${error.message}; nothing was changed`,
        'SEED_FAILED',
        remedy`fix that row, then run ${operation('seed')} again`,
        { cause: error },
      );
    }
  }
  return result;
}

export async function applySqlSet(
  db: Queryable,
  set: SqlSet,
  schemas: string[],
  searchPath: string,
): Promise<SetResult> {
  const result = emptyResult(set, schemas);
  result.statements = set.statements.length;
  result.rowsAffected = 0;
  for (const schema of schemas) {
    await db.query(`SELECT set_config('search_path', $1, true)`, [
      set.tenant ? pg.escapeIdentifier(schema) : searchPath,
    ]);
    for (const st of set.statements) {
      try {
        const r = await db.query(st.text);
        if (WRITES.includes(r.command)) result.rowsAffected += r.rowCount ?? 0;
      } catch (error) {
        if (!(error as { code?: string }).code) throw error;
        const where = set.tenant ? ` in schema ${schema}` : '';
        throw new OperationError(
          `Seeding failed at ${set.file}:${lineOf(st, error)}${where}: ${(error as Error).message}; nothing was changed`,
          'SEED_FAILED',
          remedy`fix that statement, then run ${operation('seed')} again`,
          { cause: error },
        );
      }
    }
  }
  await db.query(`SELECT set_config('search_path', $1, true)`, [searchPath]);
  return result;
}

function emptyResult(set: DataSet | SqlSet, schemas: string[]): SetResult {
  return {
    file: set.file,
    name: set.name,
    kind: set.kind,
    scope: set.tenant ? 'tenant' : 'global',
    schemas: schemas.length,
    inserted: 0,
    updated: 0,
    unchanged: 0,
    changes: [],
  };
}

/** The file line of the error: the statement's line plus the lines before the error's position. */
function lineOf(st: Statement, error: unknown): number {
  const position = Number((error as { position?: string }).position);
  return position ? st.line + st.text.slice(0, position - 1).split('\n').length - 1 : st.line;
}
