// The strings a tenant loop EXECUTEs, read from PostgreSQL's parse tree of the expression: literal
// text and the loop's schema, as `format()`, `quote_ident()` and `||` put them together; then, for
// a tenant file, the schema taken out where it qualifies a name (`%I.employees` -> `employees`).
import type { Node } from './loops';

export const SCHEMA = Symbol('schema');
export type Piece = string | typeof SCHEMA;

export class Unconvertible extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

const ref = (n: Node): string | undefined => n.ColumnRef?.fields?.map((f: Node) => f.String?.sval).join('.');

/** A string expression as literal text and the schema's name, or why it cannot be read so. */
export function evaluate(n: Node, variable: string): Piece[] {
  if (n.A_Const) {
    if (n.A_Const.sval) return [n.A_Const.sval.sval];
    throw new Unconvertible('a non-string constant in the EXECUTEd string');
  }
  if (n.TypeCast) return evaluate(n.TypeCast.arg, variable);
  if (ref(n) === variable) return [SCHEMA];
  if (n.A_Expr?.kind === 'AEXPR_OP' && n.A_Expr.name?.[0]?.String?.sval === '||')
    return [...evaluate(n.A_Expr.lexpr, variable), ...evaluate(n.A_Expr.rexpr, variable)];
  const call = n.FuncCall;
  const fname = call?.funcname?.at(-1)?.String?.sval;
  if (fname === 'quote_ident' && call.args?.length === 1) {
    const inner = evaluate(call.args[0], variable);
    if (inner.length === 1 && inner[0] === SCHEMA) return [SCHEMA];
    return [quoteIdent(inner.join(''))];
  }
  if (fname === 'format' && call.args?.length >= 1) {
    const [fmt, ...rest] = call.args as Node[];
    const template = evaluate(fmt!, variable);
    if (template.includes(SCHEMA)) throw new Unconvertible("format()'s template holds the schema's name");
    return format(template.join(''), rest, variable);
  }
  throw new Unconvertible(
    `the EXECUTEd string is built with something other than literals, the loop variable, quote_ident(), format() and ||`,
  );
}

/** PostgreSQL's format(): %I, %s, %L and %%, with optional n$ positions (no widths). */
function format(template: string, args: Node[], variable: string): Piece[] {
  const out: Piece[] = [];
  let next = 0;
  let last = 0;
  for (const m of template.matchAll(/%(?:(\d+)\$)?([-\d*]*)([IsL%])/g)) {
    out.push(template.slice(last, m.index));
    last = m.index + m[0].length;
    if (m[3] === '%') {
      out.push('%');
      continue;
    }
    if (m[2]) throw new Unconvertible(`format() with a width (${m[0]})`);
    const index = m[1] ? Number(m[1]) - 1 : next;
    next = index + 1;
    const arg = args[index];
    if (!arg) throw new Unconvertible(`format()'s ${m[0]} has no argument`);
    const value = evaluate(arg, variable);
    if (value.includes(SCHEMA)) {
      if (m[3] === 'L') throw new Unconvertible("the schema's name used as a literal (%L)");
      if (value.length !== 1)
        throw new Unconvertible("the schema's name joined to other text inside one format() argument");
      out.push(SCHEMA);
    } else {
      const text = value.join('');
      out.push(m[3] === 'I' ? quoteIdent(text) : m[3] === 'L' ? quoteLiteral(text) : text);
    }
  }
  out.push(template.slice(last));
  return out;
}

/** The pieces as SQL for a tenant file: the schema's name may only stand as a qualifier (`%I.`). */
export function unqualify(pieces: Piece[], line: number): string {
  let sql = '';
  for (const [i, p] of pieces.entries()) {
    if (p !== SCHEMA) {
      sql += i > 0 && pieces[i - 1] === SCHEMA ? p.slice(1) : p;
      continue;
    }
    const after = pieces[i + 1];
    if (typeof after !== 'string' || !after.startsWith('.'))
      throw new Unconvertible(
        `the schema's name is used other than as a qualifier (${contextOf(pieces, i)}); a tenant file cannot name its own schema: write this step by hand in a tenant migration`,
        line,
      );
  }
  return sql;
}

function contextOf(pieces: Piece[], i: number): string {
  const before = String(pieces[i - 1] ?? '').slice(-30);
  const after = String(pieces[i + 1] ?? '').slice(0, 20);
  return `${before}<schema>${after}`.replace(/\s+/g, ' ').trim();
}

function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

function quoteLiteral(text: string): string {
  const quoted = `'${text.replace(/'/g, "''")}'`;
  return text.includes('\\') ? `E${quoted.replace(/\\/g, '\\\\')}` : quoted;
}
