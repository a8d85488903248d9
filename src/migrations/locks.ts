// The lock model: what each statement of a migration locks, read with PostgreSQL's own parser
// (libpg-query). One model serves the blocker check before a statement, `plan`, and `lint`.
// Its rows come from PostgreSQL 15's documentation, "Explicit Locking" (13.3.1) and each command's
// page; test/migrations/locks.test.ts checks them against pg_locks on a real server. What it
// cannot know is in docs/design.md, "The lock model".
import { loadPgParser } from '../util/pg-parser';
import { LOCK_MODES, rangeVar, rel, type LockMode, type Node, type TableLock } from './lock-modes';
import { alterTable, type ColumnTypeLookup, type VolatilityLookup } from './locks-alter';

export {
  LOCK_MODES,
  conflictingModes,
  blocksReads,
  blocksWrites,
  needsBlockerCheck,
  type LockMode,
  type TableLock,
} from './lock-modes';
export type { ColumnTypeLookup, VolatilityLookup } from './locks-alter';
export { catalogColumnTypes, catalogFunctionVolatility, resolveIndexTables } from './locks-catalog';

export interface LockOptions {
  /** The current type of a column: lets ALTER COLUMN TYPE tell a binary-coercible change (no rewrite) from a rewrite. */
  columnType?: ColumnTypeLookup;
  /** A function's volatility: a default calling a function the catalog calls immutable or stable is no rewrite. */
  functionVolatility?: VolatilityLookup;
}

export interface StatementLocks {
  locks: TableLock[];
  /** Tables the statement creates (CREATE TABLE, CREATE TABLE AS): new and empty, so no later statement of the file waits on them. */
  creates: { schema?: string; table: string }[];
  /** Set when the statement runs code the model cannot read (a DO block, CALL): it may lock anything. */
  unknown?: string;
}

/** The tables one statement locks, with the mode. A statement the parser refuses locks nothing known. */
export async function statementLocks(sql: string, options: LockOptions = {}): Promise<TableLock[]> {
  return (await describeLocks(sql, options)).locks;
}

/** statementLocks, and whether the statement hides what it locks (DO, CALL). */
export async function describeLocks(sql: string, options: LockOptions = {}): Promise<StatementLocks> {
  const pg = await loadPgParser();
  let stmts: Node[];
  try {
    stmts = (pg.parseSync(sql) as unknown as Node).stmts ?? [];
  } catch {
    return { locks: [], creates: [] };
  }
  const locks: TableLock[] = [];
  const creates: StatementLocks['creates'] = [];
  let unknown: string | undefined;
  for (const s of stmts) {
    const [kind] = Object.keys(s.stmt ?? {});
    const hidden = kind ? hides(kind, s.stmt[kind]) : undefined;
    if (hidden) unknown ??= hidden;
    else if (kind) locks.push(...(await locksOf(kind, s.stmt[kind], options)));
    const made =
      kind === 'CreateStmt' ? s.stmt[kind].relation : kind === 'CreateTableAsStmt' ? s.stmt[kind].into?.rel : undefined;
    if (made?.relname) creates.push({ ...(made.schemaname ? { schema: made.schemaname } : {}), table: made.relname });
  }
  return unknown ? { locks, creates, unknown } : { locks, creates };
}

/** Why the statement's tables cannot be read from it: code it runs, or every table of a schema or database. */
function hides(kind: string, n: Node): string | undefined {
  if (kind === 'DoStmt') return 'a DO block runs code the lock model cannot read';
  if (kind === 'CallStmt') return 'CALL runs code the lock model cannot read';
  if (kind === 'VacuumStmt' && !(n.rels ?? []).length)
    return `${n.is_vacuumcmd ? 'VACUUM' : 'ANALYZE'} without a table works on every table of the database`;
  if (kind === 'ClusterStmt' && !n.relation) return 'CLUSTER without a table rewrites every table clustered before';
  if (kind === 'ReindexStmt' && !n.relation)
    return 'REINDEX SCHEMA, DATABASE or SYSTEM rebuilds the indexes of every table in it';
  return undefined;
}

async function locksOf(kind: string, n: Node, options: LockOptions): Promise<TableLock[]> {
  switch (kind) {
    case 'AlterTableStmt':
      return n.objtype === 'OBJECT_TABLE' ? alterTable(n, options) : [];
    case 'IndexStmt': {
      const what = `CREATE ${n.unique ? 'UNIQUE ' : ''}INDEX${n.concurrent ? ' CONCURRENTLY' : ''} (builds the index from the table)`;
      return rel(n.relation, n.concurrent ? 'ShareUpdateExclusiveLock' : 'ShareLock', what, { scan: true });
    }
    case 'ReindexStmt':
      return reindex(n);
    case 'DropStmt':
      return drop(n);
    case 'TruncateStmt':
      return (n.relations ?? []).flatMap((r: Node) =>
        rel(r.RangeVar, 'AccessExclusiveLock', 'TRUNCATE (a new empty file: instant)'),
      );
    case 'RenameStmt':
      return rename(n);
    case 'ClusterStmt':
      return rel(n.relation, 'AccessExclusiveLock', 'CLUSTER (rewrites the table in index order)', { rewrite: true });
    case 'VacuumStmt':
      return vacuum(n);
    case 'RefreshMatViewStmt':
      return n.concurrent
        ? rel(
            n.relation,
            'ExclusiveLock',
            'REFRESH MATERIALIZED VIEW CONCURRENTLY (reads blocked never, writes while it runs)',
            { scan: true },
          )
        : rel(n.relation, 'AccessExclusiveLock', 'REFRESH MATERIALIZED VIEW (rebuilds it)', { rewrite: true });
    case 'LockStmt':
      return (n.relations ?? []).flatMap((r: Node) =>
        rel(r.RangeVar, LOCK_MODES[(n.mode ?? 8) - 1] ?? 'AccessExclusiveLock', 'LOCK TABLE'),
      );
    case 'CreateTrigStmt':
      return rel(n.relation, 'ShareRowExclusiveLock', `CREATE TRIGGER ${n.trigname}`);
    case 'CreatePolicyStmt':
      return rel(n.table, 'AccessExclusiveLock', `CREATE POLICY ${n.policy_name}`);
    case 'CommentStmt':
      return comment(n);
    case 'CreateStmt':
      return createTable(n);
    case 'InsertStmt':
    case 'UpdateStmt':
    case 'DeleteStmt':
      return dml(kind, n);
    case 'CreateTableAsStmt':
      // Without a WHERE, the new table is filled from every row of what it reads.
      return reads(
        n.query,
        'AccessShareLock',
        `read by CREATE ${n.objtype === 'OBJECT_MATVIEW' ? 'MATERIALIZED VIEW' : 'TABLE'} AS`,
      ).map((l) => ({
        ...l,
        scan: !n.query?.SelectStmt?.whereClause,
      }));
    case 'SelectStmt':
      return reads(
        n,
        n.lockingClause ? 'RowShareLock' : 'AccessShareLock',
        n.lockingClause ? 'SELECT ... FOR UPDATE/SHARE' : 'SELECT',
      );
    default:
      // GRANT, CREATE FUNCTION, CREATE TYPE, ...: no lock on any table's data.
      return [];
  }
}

function reindex(n: Node): TableLock[] {
  const concurrent = (n.params ?? []).some((p: Node) => p.DefElem?.defname === 'concurrently');
  const lock: LockMode = concurrent ? 'ShareUpdateExclusiveLock' : 'ShareLock';
  const what = `REINDEX${concurrent ? ' CONCURRENTLY' : ''} (rebuilds from the table)`;
  if (n.kind === 'REINDEX_OBJECT_TABLE') return rel(n.relation, lock, what, { scan: true });
  if (n.kind === 'REINDEX_OBJECT_INDEX') return rel(n.relation, lock, what, { scan: true, index: true });
  return [];
}

function drop(n: Node): TableLock[] {
  const names = (n.objects ?? []).map((o: Node) => o.List?.items ?? []);
  switch (n.removeType) {
    case 'OBJECT_TABLE':
    case 'OBJECT_MATVIEW':
    case 'OBJECT_VIEW':
      return names.flatMap((x: Node[]) =>
        rel(
          rangeVar(x),
          'AccessExclusiveLock',
          `DROP ${n.removeType.slice(7).replace('MATVIEW', 'MATERIALIZED VIEW')}`,
        ),
      );
    case 'OBJECT_INDEX': {
      const lock: LockMode = n.concurrent ? 'ShareUpdateExclusiveLock' : 'AccessExclusiveLock';
      return names.flatMap((x: Node[]) =>
        rel(rangeVar(x), lock, `DROP INDEX${n.concurrent ? ' CONCURRENTLY' : ''}`, { index: true }),
      );
    }
    case 'OBJECT_TRIGGER':
    case 'OBJECT_POLICY':
    case 'OBJECT_RULE':
      // The last name is the trigger's, policy's or rule's; the ones before it name its table.
      return names.flatMap((x: Node[]) =>
        rel(
          rangeVar(x.slice(0, -1)),
          'AccessExclusiveLock',
          `DROP ${n.removeType.slice(7)} ${x[x.length - 1]?.String?.sval}`,
        ),
      );
    default:
      return [];
  }
}

function rename(n: Node): TableLock[] {
  const what = `RENAME${n.subname ? ` ${n.subname}` : ''} TO ${n.newname}`;
  switch (n.renameType) {
    case 'OBJECT_INDEX':
      // ALTER INDEX ... RENAME takes ShareUpdateExclusiveLock on the index alone (PostgreSQL 12+), and none on its table.
      return [];
    case 'OBJECT_TABLE':
    case 'OBJECT_COLUMN':
    case 'OBJECT_TABCONSTRAINT':
    case 'OBJECT_TRIGGER':
    case 'OBJECT_POLICY':
    case 'OBJECT_MATVIEW':
    case 'OBJECT_VIEW':
      return rel(
        n.relation,
        'AccessExclusiveLock',
        `${n.renameType.slice(7).replace('TABCONSTRAINT', 'CONSTRAINT')} ${what}`,
      );
    default:
      return [];
  }
}

function vacuum(n: Node): TableLock[] {
  const opts = new Set((n.options ?? []).map((o: Node) => o.DefElem?.defname));
  const full = opts.has('full');
  const word = n.is_vacuumcmd ? `VACUUM${full ? ' FULL' : ''}` : 'ANALYZE';
  return (n.rels ?? []).flatMap((r: Node) =>
    full
      ? rel(r.VacuumRelation?.relation, 'AccessExclusiveLock', `${word} (rewrites the table)`, { rewrite: true })
      : rel(
          r.VacuumRelation?.relation,
          'ShareUpdateExclusiveLock',
          n.is_vacuumcmd ? `${word} (reads the table)` : `${word} (reads a sample)`,
          {
            scan: Boolean(n.is_vacuumcmd),
          },
        ),
  );
}

function comment(n: Node): TableLock[] {
  const items: Node[] = n.object?.List?.items ?? [];
  if (n.objtype === 'OBJECT_TABLE') return rel(rangeVar(items), 'ShareUpdateExclusiveLock', 'COMMENT ON TABLE');
  if (n.objtype === 'OBJECT_COLUMN')
    return rel(rangeVar(items.slice(0, -1)), 'ShareUpdateExclusiveLock', 'COMMENT ON COLUMN');
  return [];
}

function createTable(n: Node): TableLock[] {
  // A new table locks no existing one, except the tables its foreign keys reference and its parent.
  const refs = (n.tableElts ?? []).flatMap((e: Node) => [
    e.Constraint,
    ...(e.ColumnDef?.constraints ?? []).map((c: Node) => c.Constraint),
  ]);
  const keys = refs
    .filter((c: Node | undefined) => c?.contype === 'CONSTR_FOREIGN')
    .flatMap((c: Node) =>
      rel(c.pktable, 'ShareRowExclusiveLock', `referenced by a foreign key of the new table ${n.relation?.relname}`),
    );
  const parents = (n.inhRelations ?? []).flatMap((p: Node) =>
    n.partbound
      ? rel(p.RangeVar, 'AccessExclusiveLock', `CREATE TABLE ${n.relation?.relname} PARTITION OF it`)
      : rel(p.RangeVar, 'ShareUpdateExclusiveLock', `CREATE TABLE ${n.relation?.relname} INHERITS it`),
  );
  return [...parents, ...keys];
}

function dml(kind: string, n: Node): TableLock[] {
  const verb = kind.replace('Stmt', '').toUpperCase();
  const everyRow = kind !== 'InsertStmt' && !n.whereClause;
  const target = rel(n.relation, 'RowExclusiveLock', everyRow ? `${verb} of every row` : verb, { scan: everyRow });
  const key = (l: TableLock) => `${l.schema ?? ''}.${l.table}`;
  const targets = new Set(target.map(key));
  return [
    ...target,
    ...reads({ ...n, relation: undefined }, 'AccessShareLock', `read by ${verb}`).filter((l) => !targets.has(key(l))),
  ];
}

/** Every table a query reads (FROM, JOIN, subqueries), leaving out the names of its WITH queries. */
function reads(n: Node, lock: LockMode, what: string): TableLock[] {
  const ctes = new Set<string>();
  const found = new Map<string, TableLock>();
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) return x.forEach(walk);
    if (x == null || typeof x !== 'object') return;
    const o = x as Node;
    if (o.CommonTableExpr?.ctename) ctes.add(o.CommonTableExpr.ctename);
    if (o.RangeVar) for (const l of rel(o.RangeVar, lock, what)) found.set(`${l.schema ?? ''}.${l.table}`, l);
    Object.values(o).forEach(walk);
  };
  walk(n);
  return [...found.values()].filter((l) => l.schema !== undefined || !ctes.has(l.table));
}
