// The operations guide writes tenant changes as global `DO $$ ... FOR s IN SELECT nspname FROM
// pg_namespace WHERE nspname LIKE 'company_%' LOOP EXECUTE format('... %I.employees ...', s); ...`
// blocks. Imported as they are, they touch only the schemas that existed when they ran, and a
// company created later gets nothing. So each such loop becomes the SQL it runs per schema, for a
// tenant file: `%I.` (the loop's schema as a qualifier) is dropped, since a tenant file runs with
// search_path set to its schema. The block is read with PostgreSQL's own parsers (libpg-query:
// the SQL grammar, and PL/pgSQL's for the block's body), not with patterns over its text.
//
// Converted: per schema, only `EXECUTE <string>` where the string is built from literals, the loop
// variable, `quote_ident(...)`, `format(...)` and `||`; `RAISE` (a log line, dropped); and setting
// the search_path to the loop's schema (then later EXECUTEs may name objects unqualified). Anything
// else is refused, naming the line: a history that could not build a new tenant must not be left.
import type * as Pg from 'libpg-query';
import { loadPgParser } from '../util/pg-parser';
import { evaluate, SCHEMA, unqualify, Unconvertible, type Piece } from './loop-strings';

export type Node = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- libpg-query's trees are untyped JSON

let parser: typeof Pg | undefined;

const parse = (sql: string): Node => parser!.parseSync(sql) as unknown as Node;

/** Loads PostgreSQL's parser on first use: only `import` needs it. */
export async function loadParser(): Promise<void> {
  parser ??= await loadPgParser();
}

export type LoopResult =
  /** Not a loop over the tenant schemas: the statement stays as it is. */
  | { kind: 'global' }
  /** The SQL the loop runs in each schema, unqualified; `line` is the block's first line. */
  | { kind: 'tenant'; statements: string[]; dropped: string[] }
  | { kind: 'refused'; line: number; why: string };

/**
 * Reads one statement of a global file. `line` is its first line in the file (for messages);
 * `pattern` the tenant schemas' LIKE pattern: a loop over another pattern is refused.
 */
export function convertLoop(text: string, line: number, pattern: string): LoopResult {
  if (!/^do\b/i.test(text) || !parser) return { kind: 'global' };
  let body: string;
  try {
    const args: Node[] = parse(text).stmts[0]?.stmt?.DoStmt?.args ?? [];
    const language = args.find((a) => a.DefElem?.defname === 'language')?.DefElem.arg.String.sval ?? 'plpgsql';
    const code = args.find((a) => a.DefElem?.defname === 'as')?.DefElem.arg.String.sval;
    if (language !== 'plpgsql' || typeof code !== 'string') return { kind: 'global' };
    body = code;
  } catch {
    return { kind: 'global' }; // the server reports a syntax error with its line, as for any statement
  }
  const bodyLine = line + (text.slice(0, text.indexOf(body)).match(/\n/g)?.length ?? 0);
  let fn: Node;
  try {
    const tag = uniqueTag(body);
    fn = (
      parser.parsePlPgSQLSync(
        `CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS ${tag}${body}${tag}`,
      ) as unknown as Node
    ).plpgsql_funcs[0].PLpgSQL_function;
  } catch {
    return { kind: 'global' };
  }
  const top: Node[] = fn.action?.PLpgSQL_stmt_block?.body ?? [];
  const at = (s: Node) => bodyLine - 1 + (Object.values(s)[0]?.lineno ?? 1);
  const loops = top.filter((s) => s.PLpgSQL_stmt_fors && loopVariable(s.PLpgSQL_stmt_fors, pattern) !== undefined);
  if (loops.length === 0) {
    // Not one of the forms read here, yet about the tenant schemas: never left as a global file unsaid.
    const nested = findNested(top, pattern);
    if (nested)
      return {
        kind: 'refused',
        line: at(nested),
        why: 'the loop over the tenant schemas is inside another statement (a block, an IF)',
      };
    if (body.includes(pattern))
      return {
        kind: 'refused',
        line,
        why: `the block names the tenant pattern '${pattern}' but is not a loop that can be read`,
      };
    return { kind: 'global' };
  }
  try {
    const statements: string[] = [];
    const dropped: string[] = [];
    for (const s of top) {
      if (s.PLpgSQL_stmt_return && Object.keys(s.PLpgSQL_stmt_return).length === 0) continue; // the implicit one at the end
      if (s.PLpgSQL_stmt_raise) {
        dropped.push(`RAISE at line ${at(s)}`);
        continue;
      }
      if (!s.PLpgSQL_stmt_fors) throw new Unconvertible(`${kindOf(s)} outside the loop over the tenant schemas`, at(s));
      const variable = loopVariable(s.PLpgSQL_stmt_fors, pattern);
      if (variable === undefined) throw new Unconvertible('a second loop that is not over the tenant schemas', at(s));
      if (typeof variable === 'object') throw new Unconvertible(variable.why, at(s));
      statements.push(...loopBody(s.PLpgSQL_stmt_fors.body ?? [], variable, at, dropped));
    }
    return { kind: 'tenant', statements, dropped };
  } catch (error) {
    if (!(error instanceof Unconvertible)) throw error;
    return { kind: 'refused', line: error.line ?? line, why: error.message };
  }
}

/**
 * How the loop's variable is written in expressions (`s`, or `r.nspname` for a record), when the
 * loop runs over schemas by name; `{ why }` when it does, but over another pattern or with more
 * conditions; undefined when it is some other loop.
 */
function loopVariable(fors: Node, pattern: string): string | { why: string } | undefined {
  const query: string | undefined = fors.query?.PLpgSQL_expr?.query;
  if (!query) return undefined;
  let select: Node;
  try {
    select = parse(query).stmts[0]?.stmt?.SelectStmt;
  } catch {
    return undefined;
  }
  const from: Node | undefined = select?.fromClause?.length === 1 ? select.fromClause[0].RangeVar : undefined;
  const column = from && { pg_namespace: 'nspname', schemata: 'schema_name' }[from.relname as string];
  if (!column || (from.relname === 'schemata' && from.schemaname !== 'information_schema')) return undefined;
  const like: Node | undefined = select.whereClause?.A_Expr;
  const likeColumn = like?.lexpr?.ColumnRef?.fields?.map((f: Node) => f.String?.sval).at(-1);
  const likePattern = like?.rexpr?.A_Const?.sval?.sval;
  if (like?.kind !== 'AEXPR_LIKE' || likeColumn !== column || typeof likePattern !== 'string')
    return {
      why: `the loop's query (${query.trim()}) is not "SELECT ${column} FROM ${from.relname} WHERE ${column} LIKE '<pattern>'"`,
    };
  if (likePattern !== pattern)
    return {
      why: `the loop runs over schemas LIKE '${likePattern}', not the tenant pattern '${pattern}' (TENANT_SCHEMA_PATTERN)`,
    };
  const target: Node = fors.var ?? {};
  if (target.PLpgSQL_row)
    return target.PLpgSQL_row.fields?.length === 1 ? target.PLpgSQL_row.fields[0].name : undefined;
  if (target.PLpgSQL_rec) return `${target.PLpgSQL_rec.refname}.${column}`;
  return undefined;
}

/** A loop over the tenant schemas anywhere below these statements. */
function findNested(statements: Node[], pattern: string): Node | undefined {
  for (const s of statements) {
    const inner = Object.values(s)[0] as Node | undefined;
    if (s.PLpgSQL_stmt_fors && loopVariable(s.PLpgSQL_stmt_fors, pattern) !== undefined) return s;
    const children = [
      inner?.body,
      inner?.then_body,
      inner?.else_body,
      ...(inner?.elsif_list ?? []).map((e: Node) => e.PLpgSQL_if_elsif?.stmts),
    ];
    for (const list of children) {
      const found = Array.isArray(list) ? findNested(list as Node[], pattern) : undefined;
      if (found) return found;
    }
  }
  return undefined;
}

/** The SQL one iteration runs, with the schema's name taken out. */
function loopBody(body: Node[], variable: string, at: (s: Node) => number, dropped: string[]): string[] {
  const out: string[] = [];
  let searchPathSet = false;
  for (const s of body) {
    if (s.PLpgSQL_stmt_raise) {
      dropped.push(`RAISE at line ${at(s)}`);
      continue;
    }
    if (s.PLpgSQL_stmt_perform && isSetSearchPath(s.PLpgSQL_stmt_perform.expr?.PLpgSQL_expr?.query, variable)) {
      searchPathSet = true;
      continue;
    }
    const exec = s.PLpgSQL_stmt_dynexecute;
    if (!exec)
      throw new Unconvertible(
        `${kindOf(s)} inside the loop: only EXECUTE (and RAISE) per schema can become a tenant file`,
        at(s),
      );
    if (exec.into || exec.params) throw new Unconvertible('EXECUTE ... INTO/USING inside the loop', at(s));
    let pieces: Piece[];
    try {
      pieces = evaluate(expression(exec.query.PLpgSQL_expr.query), variable);
    } catch (error) {
      throw new Unconvertible((error as Error).message, at(s));
    }
    if (pieces.length === 2 && /^\s*set\s+(local\s+)?search_path\s*(to|=)\s*$/i.test(String(pieces[0]))) {
      searchPathSet = true;
      continue;
    }
    const sql = unqualify(pieces, at(s));
    if (!pieces.includes(SCHEMA) && !searchPathSet)
      throw new Unconvertible(
        "an EXECUTE that names no schema (it runs in public once per tenant): qualify its objects with format('%I.', ...)",
        at(s),
      );
    out.push(sql.trim().replace(/;\s*$/, ''));
  }
  return out;
}

function isSetSearchPath(query: string | undefined, variable: string): boolean {
  if (!query) return false;
  let call: Node | undefined;
  try {
    call = expression(query).FuncCall;
  } catch {
    return false;
  }
  if (call?.funcname?.at(-1)?.String?.sval !== 'set_config') return false;
  const [name, value] = call.args ?? [];
  if (name?.A_Const?.sval?.sval !== 'search_path') return false;
  try {
    const pieces = evaluate(value, variable);
    return pieces.length === 1 && pieces[0] === SCHEMA;
  } catch {
    return false;
  }
}

/** The one expression of `SELECT <expr>` (PERFORM's query already starts with SELECT), parsed. */
function expression(text: string): Node {
  const sql = /^\s*select\b/i.test(text) ? text : `SELECT ${text}`;
  let target: Node[] | undefined;
  try {
    target = parse(sql).stmts[0]?.stmt?.SelectStmt?.targetList;
  } catch {
    target = undefined;
  }
  if (target?.length !== 1) throw new Unconvertible(`cannot read the expression ${text.trim()}`);
  return target[0]!.ResTarget.val;
}

function kindOf(s: Node): string {
  const name = Object.keys(s)[0] ?? 'a statement';
  return name.replace(/^PLpgSQL_stmt_/, '').toUpperCase();
}

function uniqueTag(body: string): string {
  let tag = '$migrate_tool$';
  while (body.includes(tag)) tag = `$migrate_tool${Math.random().toString(36).slice(2, 6)}$`;
  return tag;
}
