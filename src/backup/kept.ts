// What a restore keeps: the schemas in the database that the archive does not hold (tenants created
// after the backup). pg_restore --clean drops only what the archive holds, so their tables and rows
// stay; but two things of theirs are in objects the archive recreates, and are read here first so
// that the restore's own transaction puts them back (script-restore.ts's `before` and `after`):
// - their rows in the state table, which the archive's copy of that table replaces: without them
//   the next `up` would run every migration again over tables that exist;
// - foreign keys from tables the archive does not hold to tables it recreates (a tenant's
//   `REFERENCES public.roles`): PostgreSQL refuses to drop a key that another table's foreign key
//   uses, which would fail the whole restore. They are dropped first and added again after, so
//   they are checked against the restored rows.
import { notReserved } from '../config/reserved';
import { resolveConnection, withSession, type ConnectionInput } from '../db/borrowed';
import { withSnapshot } from '../db/transaction';
import { countsAfterRestore, readKeptRows, writeBackSql } from '../migrations/state';
import type { ArchiveInfo } from './archive';
import type { Queryable } from '../db/queryable';

export interface Kept {
  /** Schemas in the database that the archive does not hold (this tool's own aside), sorted. */
  schemas: string[];
  /** Their rows in the state table, written back after the restore. */
  rows: number;
  /** Foreign keys into tables the archive recreates, from tables it does not hold, as `schema.table.constraint`. */
  foreignKeys: string[];
}

export interface KeptPlan extends Kept {
  /** SQL for the restore's transaction, before the archive's script and after it; empty when nothing needs it. */
  before: string;
  after: string;
}

/**
 * Reads what the restore must keep, in one read-only snapshot, with an empty search_path so that
 * every name (and each foreign key's definition) comes out qualified: the archive's script empties
 * search_path too, and `after` runs behind it.
 */
export async function readKept(db: Queryable, archive: ArchiveInfo): Promise<KeptPlan> {
  return withSnapshot(db, () => readInSnapshot(db, archive), { setup: `SET LOCAL search_path = ''` });
}

async function readInSnapshot(db: Queryable, archive: ArchiveInfo): Promise<KeptPlan> {
  const all = await db.query<{ name: string }>(
    `SELECT nspname AS name FROM pg_catalog.pg_namespace WHERE ${notReserved('nspname')} ORDER BY 1`,
  );
  const schemas = all.rows.map((r) => r.name).filter((s) => !archive.schemas.has(s));
  const state = await readKeptRows(db, schemas);
  const keys = await crossingKeys(db, archive);
  const before = keys.map((k) => `ALTER TABLE ${k.tbl} DROP CONSTRAINT ${k.name};\n`).join('');
  const after = [
    ...(state.length ? writeBackSql(state, await countsAfterRestore(db, archive.relations)) : []),
    ...keys.map((k) => `ALTER TABLE ${k.tbl} ADD CONSTRAINT ${k.name} ${k.def};\n`),
  ];
  return {
    schemas,
    rows: state.reduce((n, s) => n + s.rows, 0),
    foreignKeys: keys.map((k) => k.label),
    before,
    after: after.join(''),
  };
}

interface CrossingKey {
  tbl: string;
  name: string;
  def: string;
  label: string;
}

/** Foreign keys of tables the archive does not hold that reference a table it holds (and so recreates). */
async function crossingKeys(db: Queryable, archive: ArchiveInfo): Promise<CrossingKey[]> {
  // A partition's copy of its parent's key goes with the parent's (conparentid).
  const r = await db.query<CrossingKey & { schema: string; table: string; ref: string }>(
    `SELECT c.conrelid::regclass::text AS tbl, pg_catalog.quote_ident(c.conname) AS name, pg_catalog.pg_get_constraintdef(c.oid) AS def,
            tn.nspname AS schema, t.relname AS table, rn.nspname || '.' || r.relname AS ref, c.conname AS label
       FROM pg_catalog.pg_constraint c
       JOIN pg_catalog.pg_class t ON t.oid = c.conrelid JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
       JOIN pg_catalog.pg_class r ON r.oid = c.confrelid JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace
      WHERE c.contype = 'f' AND c.conparentid = 0 AND tn.nspname NOT LIKE 'pg\\_%' AND tn.nspname <> 'information_schema'
      ORDER BY 4, 5, 7`,
  );
  return r.rows
    .filter((k) => archive.relations.has(k.ref) && !archive.relations.has(`${k.schema}.${k.table}`))
    .map((k) => ({ tbl: k.tbl, name: k.name, def: k.def, label: `${k.schema}.${k.table}.${k.label}` }));
}

/** What a restore of `archive` would keep, read without the run lock and without changing anything (a dry run). */
export async function keptByRestore(options: {
  connection: ConnectionInput;
  archive: ArchiveInfo;
  connectTimeoutMs?: number;
  waitMs?: number;
  signal?: AbortSignal;
}): Promise<Kept> {
  const {
    before: _b,
    after: _a,
    ...kept
  } = await withSession(resolveConnection(options.connection), options, (client) => readKept(client, options.archive));
  return kept;
}
