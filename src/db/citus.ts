// Citus 12+ schema-based sharding. With `citus.enable_schema_based_sharding = on`, every CREATE SCHEMA
// makes a distributed schema, placed on a worker; the tool's own state schema created that way
// becomes one too, and a query joining its table with pg_namespace is then refused ("relation
// pg_namespace is not distributed"). So on a Citus coordinator the state schema is created with
// the setting off for that one transaction, and stays a local schema on the coordinator. Citus also
// forwards some DDL to the workers by the text of the query it came in (onCitus: the migrations
// then send each statement as a query of its own). On plain PostgreSQL nothing here changes what is
// sent, apart from one catalog lookup per connection.
import { OperationError } from '../errors';
import type { Queryable } from './queryable';

export interface CitusInfo {
  /** citus_version(), e.g. "Citus 13.2.0 on x86_64-pc-linux-gnu, ...". */
  version: string;
  /** Is `schema` a distributed schema (pg_dist_schema, Citus 12+)? */
  distributed: boolean;
}

const HAS_CITUS = `SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') AS citus`;

/** Per connection: does its database have the citus extension? Asked once, then remembered. */
const known = new WeakMap<Queryable, Promise<boolean>>();

/**
 * Whether `db`'s database has the citus extension. Citus forwards some DDL (CREATE and DROP INDEX,
 * ADD CONSTRAINT, RENAME, ...) to the workers by the text of the query it came in, and a worker
 * refuses a text of several commands ("cannot insert multiple commands into a prepared
 * statement"): where this is true, what runs a migration's statements sends each as its own query.
 */
export function onCitus(db: Queryable): Promise<boolean> {
  let answer = known.get(db);
  if (!answer) {
    answer = db.query<{ citus: boolean }>(HAS_CITUS).then((r) => r.rows[0]!.citus);
    answer.catch(() => known.delete(db)); // a failed look-up (a lost connection) is asked again next time
    known.set(db, answer);
  }
  return answer;
}

/** Citus's details when the extension is installed in this database, undefined on plain PostgreSQL. */
export async function citusInfo(db: Queryable, schema: string): Promise<CitusInfo | undefined> {
  // citus_version() exists only with the extension, so it is called only when the catalog says so.
  const r = await db.query<{ citus: boolean; dist: boolean }>(
    `${HAS_CITUS}, to_regclass('pg_catalog.pg_dist_schema') IS NOT NULL AS dist`,
  );
  known.set(db, Promise.resolve(Boolean(r.rows[0]?.citus)));
  if (!r.rows[0]?.citus) return undefined;
  const version = (await db.query<{ v: string }>('SELECT citus_version() AS v')).rows[0]!.v;
  const distributed = r.rows[0].dist
    ? (
        await db.query<{ d: boolean }>(
          `SELECT EXISTS (SELECT 1 FROM pg_dist_schema WHERE schemaid = to_regnamespace($1)) AS d`,
          [schema],
        )
      ).rows[0]!.d
    : false;
  return { version, distributed };
}

/**
 * DDL that creates `schema` (in one implicit transaction) as a local schema even where schema-based
 * sharding is on: SET LOCAL lasts until that transaction ends, so nothing else the session runs
 * (tenant schemas an application creates, say) is affected.
 */
export function localSchemaDdl(ddl: string): string {
  return `SET LOCAL citus.enable_schema_based_sharding TO off;\n${ddl}`;
}

/** The state schema is a distributed schema (made by an earlier run with sharding on): say how to make it local. */
export function distributedStateError(schema: string, info: CitusInfo): OperationError {
  return new OperationError(
    `The state schema ${schema} is a Citus distributed schema (${info.version.split(' on ')[0]}), so its table cannot be joined with the catalog; nothing was run`,
    'CITUS_STATE_DISTRIBUTED',
    `make it a local schema on the coordinator: SELECT citus_schema_undistribute('${schema}'); then run again`,
  );
}

/** Refuses, before anything reads the state, a state schema that Citus distributed. */
export async function refuseDistributedState(db: Queryable, schema: string): Promise<CitusInfo | undefined> {
  const info = await citusInfo(db, schema);
  if (info?.distributed) throw distributedStateError(schema, info);
  return info;
}

/**
 * What a pg_dump of a Citus coordinator holds: every table's definition and rows (a distributed
 * table's rows read from the workers through the coordinator), but none of Citus's metadata (which
 * schemas are distributed, colocation, placements, reference tables). pg_restore would create each
 * schema as the session's schema-based sharding says, the state schema distributed too, and a
 * reference table as a local one. So `backup` says so, and `restore` refuses a Citus database.
 */
export const CITUS_DUMP =
  "a pg_dump of a Citus coordinator holds the tables' definitions and rows, but not Citus's metadata (distributed schemas, colocation, reference tables), so restore refuses a Citus database";

/** How to back up and restore a Citus cluster instead. */
export const CITUS_BACKUP_ADVICE =
  "back up every node of the cluster with the server's own tools (pg_basebackup and WAL archiving), with a point across nodes made by SELECT citus_create_restore_point('name'), and restore the nodes to that point";
