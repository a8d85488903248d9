// Two questions of ALTER TABLE that decide a rewrite and that the statement alone half answers:
// is a column's new type binary-coercible from its old one, and is a new column's default volatile.
import type { Node } from './lock-modes';

// The parser's internal type names, as format_type() prints them (the catalog's spelling).
const TYPE_NAMES: Record<string, string> = {
  varchar: 'character varying',
  bpchar: 'character',
  int2: 'smallint',
  int4: 'integer',
  int8: 'bigint',
  float4: 'real',
  float8: 'double precision',
  bool: 'boolean',
  timestamp: 'timestamp without time zone',
  timestamptz: 'timestamp with time zone',
  time: 'time without time zone',
  timetz: 'time with time zone',
  varbit: 'bit varying',
};

interface ColumnType {
  base: string;
  mods: number[];
  array: boolean;
}

/** A TypeName node as format_type() would print its parts. */
export function typeOfNode(t: Node): ColumnType {
  const names = (t.names ?? []).map((n: Node) => n.String?.sval as string);
  const name = names[names.length - 1] ?? '';
  return {
    base: TYPE_NAMES[name] ?? name,
    mods: (t.typmods ?? []).map((m: Node) => Number(m.A_Const?.ival?.ival ?? 0)),
    array: (t.arrayBounds ?? []).length > 0,
  };
}

/** format_type()'s text (`character varying(20)`, `numeric(10,2)`, `timestamp(3) without time zone`, `text[]`). */
export function typeOfText(text: string): ColumnType {
  const array = text.endsWith('[]');
  const plain = array ? text.slice(0, -2) : text;
  const m = /\((\d+)(?:,(\d+))?\)/.exec(plain);
  return {
    base: plain.replace(/\(\d+(?:,\d+)?\)/, '').trim(),
    mods: m ? [Number(m[1]), ...(m[2] !== undefined ? [Number(m[2])] : [])] : [],
    array,
  };
}

/**
 * Whether changing a column from `from` to `to` keeps every stored value as it is (no rewrite):
 * the binary-coercible changes PostgreSQL's ALTER TABLE page names (a longer or unlimited varchar,
 * varchar to text, more numeric precision at the same scale, cidr to inet), and the same type.
 * timestamp to timestamptz keeps the values only when the session's TimeZone is UTC: not assumed.
 */
export function keepsValues(from: ColumnType, to: ColumnType): boolean {
  if (from.array !== to.array) return false;
  const sameMods = from.mods.join() === to.mods.join();
  if (from.base === to.base && sameMods) return true;
  if (from.array) return false;
  const widens = (a: number[], b: number[]) => b.length === 0 || (a.length > 0 && b[0]! >= a[0]!);
  if (from.base === 'character varying' && to.base === 'text') return true;
  if (from.base === 'character varying' && to.base === 'character varying') return widens(from.mods, to.mods);
  if (from.base === 'text' && to.base === 'character varying') return to.mods.length === 0;
  if (from.base === 'bit varying' && to.base === 'bit varying') return widens(from.mods, to.mods);
  if (from.base === 'numeric' && to.base === 'numeric') {
    return (
      to.mods.length === 0 ||
      (from.mods.length > 0 && to.mods[0]! >= from.mods[0]! && (to.mods[1] ?? 0) === (from.mods[1] ?? 0))
    );
  }
  return from.base === 'cidr' && to.base === 'inet';
}

// Functions a default may call without a rewrite: a non-volatile default is evaluated once and
// kept in the catalog (PostgreSQL 11+). Anything else is guessed volatile by its name.
const NOT_VOLATILE = new Set([
  'now',
  'statement_timestamp',
  'transaction_timestamp',
  'current_setting',
  'lower',
  'upper',
  'length',
  'concat',
  'date_trunc',
  'make_interval',
  'to_timestamp',
  'to_jsonb',
  'to_json',
  'jsonb_build_object',
  'json_build_object',
  'jsonb_build_array',
  'json_build_array',
  'array_fill',
  'abs',
]);
/** Known volatile, named in `what` without "guessed". */
const VOLATILE = new Set([
  'random',
  'clock_timestamp',
  'timeofday',
  'gen_random_uuid',
  'uuid_generate_v1',
  'uuid_generate_v1mc',
  'uuid_generate_v4',
  'nextval',
]);

/** provolatile: immutable, stable or volatile. */
export type Volatility = 'i' | 's' | 'v';

/** Every function a default expression calls, as its name parts (`['public', 'next_code']`). */
export function functionCalls(expr: unknown, found: string[][] = []): string[][] {
  if (Array.isArray(expr)) expr.forEach((e) => functionCalls(e, found));
  else if (expr != null && typeof expr === 'object') {
    const o = expr as Node;
    if (o.FuncCall) found.push((o.FuncCall.funcname ?? []).map((n: Node) => n.String?.sval as string));
    Object.values(o).forEach((v) => functionCalls(v, found));
  }
  return found;
}

/**
 * The first function in a default expression that makes it volatile, as `name()`: by the catalog's
 * word when the caller read it (`known`, keyed by the dotted name), else by the lists above, and a
 * function in neither is guessed volatile.
 */
export function volatileCall(expr: unknown, known: Map<string, Volatility> = new Map()): string | undefined {
  for (const names of functionCalls(expr)) {
    const name = names[names.length - 1] ?? '';
    const catalog = known.get(names.join('.'));
    if (catalog) {
      if (catalog === 'v') return `${names.join('.')}()`;
    } else if (!NOT_VOLATILE.has(name)) return `${names.join('.')}()${VOLATILE.has(name) ? '' : ', guessed volatile'}`;
  }
  return undefined;
}

/** serial, bigserial and smallserial: a column whose default is nextval() of a new sequence. */
export const isSerial = (t: Node | undefined) => /^(small|big)?serial[248]?$/.test(typeOfNode(t ?? {}).base);
