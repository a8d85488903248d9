// The lock model: what each statement of a migration locks, read with PostgreSQL's own parser
// (libpg-query). One model serves the blocker check before a statement, `plan`, and `lint`.
// Its source is PostgreSQL's documentation, "Explicit Locking" (13.3.1) and each command's page;
// test/migrations/locks.test.ts checks its rows against pg_locks on a real server.
import type * as Pg from 'libpg-query';

export const LOCK_MODES = [
  'AccessShareLock',
  'RowShareLock',
  'RowExclusiveLock',
  'ShareUpdateExclusiveLock',
  'ShareLock',
  'ShareRowExclusiveLock',
  'ExclusiveLock',
  'AccessExclusiveLock',
] as const;
export type LockMode = (typeof LOCK_MODES)[number];

/** One table a statement locks. */
export interface TableLock {
  /** The schema named in the statement, or undefined: the search_path decides. */
  schema?: string;
  table: string;
  lock: LockMode;
  /** The table is rewritten under the lock (time grows with its size). */
  rewrite: boolean;
  /** The table is read in full under the lock (time grows with its size), without a rewrite. */
  scan: boolean;
}

// Which modes conflict with which: PostgreSQL's "Conflicting Lock Modes" table, by index in LOCK_MODES.
const CONFLICTS: readonly (readonly number[])[] = [
  [7],
  [6, 7],
  [4, 5, 6, 7],
  [3, 4, 5, 6, 7],
  [2, 3, 5, 6, 7],
  [2, 3, 4, 5, 6, 7],
  [1, 2, 3, 4, 5, 6, 7],
  [0, 1, 2, 3, 4, 5, 6, 7],
];

export function conflictingModes(mode: LockMode): LockMode[] {
  return CONFLICTS[LOCK_MODES.indexOf(mode)]!.map((i) => LOCK_MODES[i]!);
}
/** The mode stops the application's SELECTs (they take AccessShareLock). */
export const blocksReads = (mode: LockMode) => conflictingModes(mode).includes('AccessShareLock');
/** The mode stops the application's INSERT/UPDATE/DELETE (they take RowExclusiveLock). */
export const blocksWrites = (mode: LockMode) => conflictingModes(mode).includes('RowExclusiveLock');
/** Stronger than what the application's own writes take: the blocker check looks before these. */
export const needsBlockerCheck = (mode: LockMode) => LOCK_MODES.indexOf(mode) > LOCK_MODES.indexOf('RowExclusiveLock');

type Node = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- libpg-query's trees are untyped JSON
let parser: typeof Pg | undefined;

async function load(): Promise<typeof Pg> {
  if (!parser) {
    const mod = await import('libpg-query');
    await mod.loadModule();
    parser = mod;
  }
  return parser;
}

/** The tables one statement locks, with the mode. A statement the parser refuses locks nothing known. */
export async function statementLocks(sql: string): Promise<TableLock[]> {
  const pg = await load();
  let stmts: Node[];
  try {
    stmts = (pg.parseSync(sql) as unknown as Node).stmts ?? [];
  } catch {
    return [];
  }
  return stmts.flatMap((s: Node) => locksOf(s.stmt ?? {}));
}

const rel = (r: Node | undefined, lock: LockMode, rewrite = false, scan = false): TableLock[] =>
  r?.relname ? [{ ...(r.schemaname ? { schema: r.schemaname } : {}), table: r.relname, lock, rewrite, scan }] : [];

function locksOf(stmt: Node): TableLock[] {
  const [kind] = Object.keys(stmt);
  const n: Node = kind ? stmt[kind] : {};
  switch (kind) {
    case 'AlterTableStmt':
      return alterTable(n);
    case 'IndexStmt':
      return rel(n.relation, n.concurrent ? 'ShareUpdateExclusiveLock' : 'ShareLock', false, true);
    case 'TruncateStmt':
      return (n.relations ?? []).flatMap((r: Node) => rel(r.RangeVar, 'AccessExclusiveLock'));
    case 'RenameStmt':
      return rel(n.relation, 'AccessExclusiveLock');
    case 'ClusterStmt':
      return rel(n.relation, 'AccessExclusiveLock', true);
    case 'VacuumStmt': {
      const full = (n.options ?? []).some((option: Node) => option.DefElem?.defname === 'full');
      return (n.rels ?? []).flatMap((r: Node) => rel(r.VacuumRelation?.relation, full ? 'AccessExclusiveLock' : 'ShareUpdateExclusiveLock', full, !full));
    }
    case 'RefreshMatViewStmt':
      return rel(n.relation, n.concurrent ? 'ExclusiveLock' : 'AccessExclusiveLock', true);
    case 'UpdateStmt':
    case 'DeleteStmt':
    case 'InsertStmt':
      return rel(n.relation, 'RowExclusiveLock');
    case 'CreateStmt':
      // A new table locks only the tables its foreign keys reference.
      return (n.tableElts ?? []).flatMap((e: Node) => [
        ...foreignKeys(e.Constraint),
        ...(e.ColumnDef?.constraints ?? []).flatMap((c: Node) => foreignKeys(c.Constraint)),
      ]);
    default:
      return [];
  }
}

const foreignKeys = (c: Node | undefined): TableLock[] => (c?.contype === 'CONSTR_FOREIGN' ? rel(c.pktable, 'ShareRowExclusiveLock') : []);

// The mode of ALTER TABLE is the strongest its subcommands need (PostgreSQL's ALTER TABLE page).
const ALTER_MODES: Record<string, LockMode> = {
  AT_SetStatistics: 'ShareUpdateExclusiveLock',
  AT_SetOptions: 'ShareUpdateExclusiveLock',
  AT_ResetOptions: 'ShareUpdateExclusiveLock',
  AT_ValidateConstraint: 'ShareUpdateExclusiveLock',
  AT_ClusterOn: 'ShareUpdateExclusiveLock',
  AT_DropCluster: 'ShareUpdateExclusiveLock',
  AT_AttachPartition: 'ShareUpdateExclusiveLock',
  AT_EnableTrig: 'ShareRowExclusiveLock',
  AT_DisableTrig: 'ShareRowExclusiveLock',
  AT_EnableTrigAll: 'ShareRowExclusiveLock',
  AT_DisableTrigAll: 'ShareRowExclusiveLock',
  AT_EnableTrigUser: 'ShareRowExclusiveLock',
  AT_DisableTrigUser: 'ShareRowExclusiveLock',
};

function alterTable(n: Node): TableLock[] {
  let mode = 0;
  let rewrite = false;
  let scan = false;
  const others: TableLock[] = [];
  for (const { AlterTableCmd: c } of (n.cmds ?? []) as Node[]) {
    if (!c) continue;
    const m = ALTER_MODES[c.subtype] ?? (isForeignKey(c) ? 'ShareRowExclusiveLock' : 'AccessExclusiveLock');
    mode = Math.max(mode, LOCK_MODES.indexOf(m));
    if (isForeignKey(c)) others.push(...rel(c.def.Constraint.pktable, 'ShareRowExclusiveLock'));
    if (c.subtype === 'AT_AlterColumnType') rewrite = true;
    if (c.subtype === 'AT_AddColumn' && hasVolatileDefault(c.def?.ColumnDef)) rewrite = true;
    if (c.subtype === 'AT_SetNotNull' || c.subtype === 'AT_ValidateConstraint') scan = true;
    if (c.subtype === 'AT_AddConstraint' && !c.def?.Constraint?.skip_validation && c.def?.Constraint?.contype !== 'CONSTR_DEFAULT') scan = true;
  }
  return [...rel(n.relation, LOCK_MODES[mode]!, rewrite, scan && !rewrite), ...others];
}

const isForeignKey = (c: Node) => c.subtype === 'AT_AddConstraint' && c.def?.Constraint?.contype === 'CONSTR_FOREIGN';

// A default that is a function call may be volatile (random(), clock_timestamp(), gen_random_uuid()):
// the table is rewritten to store a value per row. A constant default is kept in the catalog.
function hasVolatileDefault(col: Node | undefined): boolean {
  return (col?.constraints ?? []).some((c: Node) => c.Constraint?.contype === 'CONSTR_DEFAULT' && c.Constraint.raw_expr?.FuncCall);
}
