// Tenant scripts must name tenant objects unqualified: they run once per tenant schema with
// search_path set to it. The engine qualifies them in some directions ("tenant"."employees"),
// so the schema prefix is removed wherever it qualifies an identifier, never inside a string
// literal or a comment.

export function unqualify(sql: string, schema: string): string {
  const prefix = `"${schema.replace(/"/g, '""')}".`;
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    const end = skipOpaque(sql, i);
    if (end > i) {
      out += sql.slice(i, end);
      i = end;
    } else if (c === '"' && sql.startsWith(prefix, i) && sql[i + prefix.length] === '"') {
      i += prefix.length;
    } else if (c === '"') {
      const close = closingQuote(sql, i, '"');
      out += sql.slice(i, close);
      i = close;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** End of a string literal or comment starting at i, or i when none starts there. */
export function skipOpaque(sql: string, i: number): number {
  if (sql.startsWith('--', i)) {
    const nl = sql.indexOf('\n', i);
    return nl === -1 ? sql.length : nl;
  }
  if (sql.startsWith('/*', i)) {
    const close = sql.indexOf('*/', i + 2);
    return close === -1 ? sql.length : close + 2;
  }
  if (sql[i] === "'") return closingQuote(sql, i, "'");
  return i;
}

/** Index just past the literal or identifier quoted with `quote` that starts at i (doubled quotes inside). */
export function closingQuote(sql: string, i: number, quote: string): number {
  let j = i + 1;
  while (j < sql.length) {
    if (sql[j] === quote && sql[j + 1] === quote) j += 2;
    else if (sql[j] === quote) return j + 1;
    else j++;
  }
  return sql.length;
}
