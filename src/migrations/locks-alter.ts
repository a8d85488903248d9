// ALTER TABLE in the lock model: each subcommand's lock mode (PostgreSQL's ALTER TABLE page, and
// AlterTableGetLockLevel in its source), whether it rewrites or scans the table; the statement
// takes the strongest mode of its subcommands.
import { LOCK_MODES, rel, stronger, type LockMode, type Node, type TableLock } from './lock-modes';
import {
  functionCalls,
  isSerial,
  keepsValues,
  typeOfNode,
  typeOfText,
  volatileCall,
  type Volatility,
} from './locks-types';

/** The current type of a column (format_type's text), when the caller can read the catalog. */
export type ColumnTypeLookup = (
  table: { schema?: string; table: string },
  column: string,
) => string | undefined | Promise<string | undefined>;
/** A function's volatility (pg_proc.provolatile; the most volatile of its overloads), when the caller can read the catalog. */
export type VolatilityLookup = (name: string[]) => Volatility | undefined | Promise<Volatility | undefined>;

export interface CatalogLookups {
  columnType?: ColumnTypeLookup;
  functionVolatility?: VolatilityLookup;
}

const LIGHT: Record<string, LockMode> = {
  AT_SetStatistics: 'ShareUpdateExclusiveLock',
  AT_SetOptions: 'ShareUpdateExclusiveLock',
  AT_ResetOptions: 'ShareUpdateExclusiveLock',
  AT_ValidateConstraint: 'ShareUpdateExclusiveLock',
  AT_ClusterOn: 'ShareUpdateExclusiveLock',
  AT_DropCluster: 'ShareUpdateExclusiveLock',
  AT_AttachPartition: 'ShareUpdateExclusiveLock',
  AT_DetachPartitionFinalize: 'ShareUpdateExclusiveLock',
  AT_EnableTrig: 'ShareRowExclusiveLock',
  AT_EnableAlwaysTrig: 'ShareRowExclusiveLock',
  AT_EnableReplicaTrig: 'ShareRowExclusiveLock',
  AT_DisableTrig: 'ShareRowExclusiveLock',
  AT_EnableTrigAll: 'ShareRowExclusiveLock',
  AT_DisableTrigAll: 'ShareRowExclusiveLock',
  AT_EnableTrigUser: 'ShareRowExclusiveLock',
  AT_DisableTrigUser: 'ShareRowExclusiveLock',
};

/** Subcommands that copy the whole table into a new file. */
const COPIES: Record<string, string> = {
  AT_SetTableSpace: 'SET TABLESPACE',
  AT_SetLogged: 'SET LOGGED',
  AT_SetUnLogged: 'SET UNLOGGED',
  AT_SetAccessMethod: 'SET ACCESS METHOD',
};

// Storage parameters that ALTER TABLE ... SET (...) changes under ShareUpdateExclusiveLock (reloptions.c).
const LIGHT_OPTIONS =
  /^(fillfactor|autovacuum_.*|toast_tuple_target|parallel_workers|vacuum_index_cleanup|vacuum_truncate|log_autovacuum_min_duration)$/;

interface Effect {
  lock: LockMode;
  rewrite?: boolean;
  scan?: boolean;
  what: string;
  /** Other tables the subcommand locks (a foreign key's referenced table, a partition). */
  others?: TableLock[];
}

export async function alterTable(n: Node, lookups: CatalogLookups = {}): Promise<TableLock[]> {
  const effects: Effect[] = [];
  for (const { AlterTableCmd: c } of (n.cmds ?? []) as Node[])
    if (c) effects.push(await subcommand(c, n.relation, lookups));
  if (effects.length === 0) return [];
  const lock = effects.map((e) => e.lock).reduce(stronger, LOCK_MODES[0]);
  const rewrite = effects.some((e) => e.rewrite);
  const scan = !rewrite && effects.some((e) => e.scan);
  return [
    ...rel(n.relation, lock, effects.map((e) => e.what).join(', '), { rewrite, scan }),
    ...effects.flatMap((e) => e.others ?? []),
  ];
}

async function subcommand(c: Node, table: Node, lookups: CatalogLookups): Promise<Effect> {
  switch (c.subtype) {
    case 'AT_AddColumn':
      return addColumn(c.def?.ColumnDef ?? {}, lookups.functionVolatility);
    case 'AT_AddConstraint':
      return addConstraint(c.def?.Constraint ?? {});
    case 'AT_AlterColumnType':
      return alterType(c, table, lookups.columnType);
    case 'AT_SetNotNull':
      return { lock: 'AccessExclusiveLock', scan: true, what: `SET NOT NULL on ${c.name} (scans the table)` };
    case 'AT_ValidateConstraint':
      return { lock: 'ShareUpdateExclusiveLock', scan: true, what: `VALIDATE CONSTRAINT ${c.name} (scans the table)` };
    case 'AT_AttachPartition': {
      const part = c.def?.PartitionCmd?.name;
      const others = rel(
        part,
        'AccessExclusiveLock',
        'ATTACH PARTITION: scanned unless a valid CHECK constraint implies the bound',
        { scan: true },
      );
      return { lock: 'ShareUpdateExclusiveLock', what: `ATTACH PARTITION ${part?.relname}`, others };
    }
    case 'AT_DetachPartition': {
      const concurrent = Boolean(c.def?.PartitionCmd?.concurrent);
      const lock: LockMode = concurrent ? 'ShareUpdateExclusiveLock' : 'AccessExclusiveLock';
      const what = `DETACH PARTITION${concurrent ? ' CONCURRENTLY' : ''}`;
      return {
        lock,
        what: `${what} ${c.def?.PartitionCmd?.name?.relname}`,
        others: rel(c.def?.PartitionCmd?.name, lock, what),
      };
    }
    case 'AT_SetRelOptions':
    case 'AT_ResetRelOptions': {
      const options: Node[] = c.def?.List?.items ?? [];
      const light = options.every((o: Node) => LIGHT_OPTIONS.test(o.DefElem?.defname ?? ''));
      return {
        lock: light ? 'ShareUpdateExclusiveLock' : 'AccessExclusiveLock',
        what: c.subtype === 'AT_SetRelOptions' ? 'SET (storage parameters)' : 'RESET (storage parameters)',
      };
    }
  }
  if (COPIES[c.subtype])
    return { lock: 'AccessExclusiveLock', rewrite: true, what: `${COPIES[c.subtype]} (copies the table)` };
  return { lock: LIGHT[c.subtype] ?? 'AccessExclusiveLock', what: words(c) };
}

/** A subcommand the model has no more to say about than its lock, named as in SQL. */
function words(c: Node): string {
  const name = String(c.subtype).replace(/^AT_/, '');
  const spaced = name.replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase();
  return c.name ? `${spaced} ${c.name}` : spaced;
}

async function addColumn(col: Node, functionVolatility?: VolatilityLookup): Promise<Effect> {
  const name = `ADD COLUMN ${col.colname}`;
  const cons: Node[] = (col.constraints ?? []).map((x: Node) => x.Constraint ?? {});
  const has = (t: string) => cons.find((x) => x.contype === t);
  const others = cons
    .filter((x) => x.contype === 'CONSTR_FOREIGN')
    .flatMap((x) => rel(x.pktable, 'ShareRowExclusiveLock', `referenced by the new column ${col.colname}`));
  const lock: LockMode = 'AccessExclusiveLock';
  if (isSerial(col.typeName))
    return {
      lock,
      rewrite: true,
      what: `${name} ${typeOfNode(col.typeName).base} (nextval() default: rewrites the table)`,
      others,
    };
  if (has('CONSTR_IDENTITY'))
    return { lock, rewrite: true, what: `${name} as an identity column (rewrites the table)`, others };
  if (has('CONSTR_GENERATED'))
    return { lock, rewrite: true, what: `${name} GENERATED ... STORED (rewrites the table)`, others };
  const expr = has('CONSTR_DEFAULT')?.raw_expr;
  const known = new Map<string, Volatility>();
  for (const names of functionVolatility ? functionCalls(expr) : []) {
    const v = await functionVolatility!(names);
    if (v) known.set(names.join('.'), v);
  }
  const volatile = volatileCall(expr, known);
  if (volatile)
    return { lock, rewrite: true, what: `${name} with a volatile default (${volatile}: rewrites the table)`, others };
  const index = cons.find((x) => x.contype === 'CONSTR_PRIMARY' || x.contype === 'CONSTR_UNIQUE');
  if (index)
    return {
      lock,
      scan: true,
      what: `${name} ${index.contype === 'CONSTR_PRIMARY' ? 'PRIMARY KEY' : 'UNIQUE'} (builds an index)`,
      others,
    };
  if (has('CONSTR_CHECK'))
    return { lock, scan: true, what: `${name} with a CHECK constraint (checked against every row)`, others };
  // A new column without a default is NULL in every row: its foreign key has nothing to check.
  if (others.length > 0 && has('CONSTR_DEFAULT'))
    return { lock, scan: true, what: `${name} REFERENCES with a default (checked against every row)`, others };
  if (has('CONSTR_NOTNULL') && !has('CONSTR_DEFAULT'))
    return { lock, scan: true, what: `${name} NOT NULL without a default (fails on a table with rows)`, others };
  return {
    lock,
    what: has('CONSTR_DEFAULT') ? `${name} with a constant default (kept in the catalog, no rewrite)` : name,
    others,
  };
}

function addConstraint(k: Node): Effect {
  const name = `ADD CONSTRAINT${k.conname ? ` ${k.conname}` : ''}`;
  const checked = !k.skip_validation;
  switch (k.contype) {
    case 'CONSTR_FOREIGN': {
      const others = rel(
        k.pktable,
        'ShareRowExclusiveLock',
        `referenced by the foreign key${k.conname ? ` ${k.conname}` : ''}`,
        { scan: checked },
      );
      return {
        lock: 'ShareRowExclusiveLock',
        scan: checked,
        what: `${name} FOREIGN KEY${checked ? ' (checks every row)' : ' NOT VALID'}`,
        others,
      };
    }
    case 'CONSTR_CHECK':
      return {
        lock: 'AccessExclusiveLock',
        scan: checked,
        what: `${name} CHECK${checked ? ' (checks every row)' : ' NOT VALID'}`,
      };
    case 'CONSTR_PRIMARY':
    case 'CONSTR_UNIQUE': {
      const kind = k.contype === 'CONSTR_PRIMARY' ? 'PRIMARY KEY' : 'UNIQUE';
      if (k.indexname) return { lock: 'AccessExclusiveLock', what: `${name} ${kind} USING INDEX ${k.indexname}` };
      return { lock: 'AccessExclusiveLock', scan: true, what: `${name} ${kind} (builds an index)` };
    }
    case 'CONSTR_EXCLUSION':
      return { lock: 'AccessExclusiveLock', scan: true, what: `${name} EXCLUDE (builds an index)` };
    default:
      return { lock: 'AccessExclusiveLock', scan: checked, what: name };
  }
}

async function alterType(c: Node, table: Node, columnType?: ColumnTypeLookup): Promise<Effect> {
  const def: Node = c.def?.ColumnDef ?? {};
  const to = typeOfNode(def.typeName ?? {});
  const what = `ALTER COLUMN ${c.name} TYPE ${to.base}${to.mods.length ? `(${to.mods.join(',')})` : ''}${to.array ? '[]' : ''}`;
  const lock: LockMode = 'AccessExclusiveLock';
  if (def.raw_default) return { lock, rewrite: true, what: `${what} USING ... (rewrites the table)` };
  const old = columnType
    ? await columnType({ ...(table.schemaname ? { schema: table.schemaname } : {}), table: table.relname }, c.name)
    : undefined;
  if (old === undefined)
    return {
      lock,
      rewrite: true,
      what: `${what} (rewrites the table unless binary-coercible from the old type, which the statement does not say)`,
    };
  if (keepsValues(typeOfText(old), to)) return { lock, what: `${what} from ${old} (binary-coercible: no rewrite)` };
  return { lock, rewrite: true, what: `${what} from ${old} (rewrites the table)` };
}
