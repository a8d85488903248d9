// PostgreSQL's table lock modes and what one statement locks: the vocabulary of the lock model
// (locks.ts re-exports it; the rows live in locks.ts and locks-alter.ts).

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
  /**
   * What the statement does to this table, in words, beginning with the command as SQL spells it
   * (ALTER TABLE: its subcommands, joined by ", "): `ADD COLUMN x with a volatile default (random(): rewrites the table)`.
   * statementLocks always sets it; optional so that a TableLock written by hand (a test's) needs none.
   */
  what?: string;
  /**
   * `table` names an index, not a table: the statement (DROP INDEX, REINDEX INDEX) does not name
   * the table the index belongs to, and `lock` is taken on that table. `resolveIndexTables` looks
   * it up; until then a caller knows only the index.
   */
  index?: boolean;
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
/** The stronger of two modes. */
export const stronger = (a: LockMode, b: LockMode): LockMode =>
  LOCK_MODES.indexOf(a) >= LOCK_MODES.indexOf(b) ? a : b;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- libpg-query's trees are untyped JSON
export type Node = Record<string, any>;

/** A libpg-query RangeVar (or a name list) as a TableLock. */
export function rel(r: Node | undefined, lock: LockMode, what: string, extra: Partial<TableLock> = {}): TableLock[] {
  if (!r?.relname) return [];
  return [
    {
      ...(r.schemaname ? { schema: r.schemaname } : {}),
      table: r.relname,
      lock,
      rewrite: false,
      scan: false,
      what,
      ...extra,
    },
  ];
}

/** A qualified name as the parser gives it in DROP and COMMENT (`[schema, name]` strings) as a RangeVar. */
export function rangeVar(names: Node[]): Node {
  const parts = names.map((n) => n.String?.sval as string);
  return parts.length > 1
    ? { schemaname: parts[parts.length - 2], relname: parts[parts.length - 1] }
    : { relname: parts[0] };
}
