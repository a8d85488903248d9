// Splits a migration file into statements the way psql does, so each one can be run, timed,
// retried and named in an error on its own. It understands quotes, dollar quotes, comments,
// parentheses and SQL-standard function bodies (BEGIN ATOMIC ... END), which contain semicolons.

export interface Statement {
  /** The statement's text, without the terminating semicolon. */
  text: string;
  /** Offset of `text` in the file. */
  offset: number;
  /** 1-based line of the statement's first character. */
  line: number;
}

export interface SplitSql {
  statements: Statement[];
  /** 1-based lines of `-- migrate:no-transaction` comments, before any SQL and after SQL began. */
  noTransactionMarkers: { leading: number[]; late: number[] };
  /** 1-based lines of `-- migrate:backfill` comments in the file's leading comment block. */
  backfillMarkers: number[];
  /** 1-based lines of `-- migrate:contract` comments, before any SQL (read) and after SQL began (a problem). */
  contractMarkers: { leading: number[]; late: number[] };
}

const NO_TRANSACTION_MARKER = /^--\s*migrate:no-transaction\s*$/;
const BACKFILL_MARKER = /^--\s*migrate:backfill\s*$/;
const CONTRACT_MARKER = /^--\s*migrate:contract\s*$/;
/** How many leading words the scan keeps per statement: enough for CREATE OR REPLACE FUNCTION. */
const HEAD_WORDS = 4;

export function splitStatements(sql: string): Statement[] {
  return splitSql(sql).statements;
}

/**
 * One pass over the text. Everything it does per character or per statement is constant work, so
 * a file of 100,000 statements splits in about the time it takes to read it.
 */
export function splitSql(sql: string): SplitSql {
  const out: Statement[] = [];
  const markers = new Markers();
  const lineOf = lineCounter(sql);
  let start = -1; // offset of the current statement's first character of code; -1: none yet
  let parenDepth = 0;
  let beginDepth = 0;
  let head: string[] = [];

  const flush = (end: number) => {
    if (start !== -1) out.push({ text: sql.slice(start, end).trimEnd(), offset: start, line: lineOf(start) });
    start = -1;
    parenDepth = 0;
    beginDepth = 0;
    head = [];
  };

  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === '-' && next === '-') {
      const nl = sql.indexOf('\n', i);
      const end = nl === -1 ? sql.length : nl;
      markers.read(sql.slice(i, end), lineOf(i), out.length === 0 && start === -1);
      i = end + 1;
      continue;
    }
    if (c === '/' && next === '*') {
      i = skipBlockComment(sql, i);
      continue;
    }
    if (isSpace(sql.charCodeAt(i))) {
      i++;
      continue;
    }
    if (c === ';' && parenDepth === 0 && beginDepth === 0) {
      flush(i);
      i++;
      continue;
    }
    // Leading comments belong to no statement: a statement starts at its first code character.
    if (start === -1) start = i;
    if (c === "'") {
      i = skipQuoted(sql, i, "'", isEscapeString(sql, i));
      continue;
    }
    if (c === '"') {
      i = skipQuoted(sql, i, '"', false);
      continue;
    }
    if (c === '$') {
      const tag = dollarTag(sql, i);
      if (tag) {
        const close = sql.indexOf(tag, i + tag.length);
        i = close === -1 ? sql.length : close + tag.length;
        continue;
      }
    }
    if (c === '(') parenDepth++;
    else if (c === ')') parenDepth = Math.max(0, parenDepth - 1);
    else if (isIdentStart(sql.charCodeAt(i)) && !(i > 0 && isIdentChar(sql.charCodeAt(i - 1)))) {
      let j = i + 1;
      while (j < sql.length && isIdentChar(sql.charCodeAt(j))) j++;
      // Past its first words, a statement's words matter only in a routine: the other statements'
      // words are not even copied out of the text.
      if (head.length < HEAD_WORDS || isRoutine(head)) {
        const word = sql.slice(i, j).toLowerCase();
        if (head.length < HEAD_WORDS) head.push(word);
        if (isRoutine(head)) beginDepth = trackBegin(word, parenDepth, beginDepth);
      }
      i = j;
      continue;
    }
    i++;
  }
  flush(sql.length);
  return { statements: out, ...markers.found() };
}

/**
 * The `-- migrate:` markers among a file's comment lines. Only comments and blank lines before one:
 * the file's header, where a marker is read; later, one is reported. (A line in a string, a
 * dollar-quoted body or a block comment is not a comment line: never a marker.)
 */
class Markers {
  private readonly noTransaction = { leading: [] as number[], late: [] as number[] };
  private readonly contract = { leading: [] as number[], late: [] as number[] };
  private readonly backfill: number[] = [];

  read(comment: string, line: number, header: boolean): void {
    const where = (m: { leading: number[]; late: number[] }) => (header ? m.leading : m.late);
    if (NO_TRANSACTION_MARKER.test(comment)) where(this.noTransaction).push(line);
    else if (CONTRACT_MARKER.test(comment)) where(this.contract).push(line);
    else if (header && BACKFILL_MARKER.test(comment)) this.backfill.push(line);
  }

  found(): Omit<SplitSql, 'statements'> {
    const { noTransaction, contract, backfill } = this;
    return { noTransactionMarkers: noTransaction, contractMarkers: contract, backfillMarkers: backfill };
  }
}

function isRoutine([w0, w1, w2, w3]: string[]): boolean {
  return (
    w0 === 'create' &&
    (w1 === 'function' ||
      w1 === 'procedure' ||
      (w1 === 'or' && w2 === 'replace' && (w3 === 'function' || w3 === 'procedure')))
  );
}

/** psql's heuristic: inside CREATE [OR REPLACE] FUNCTION|PROCEDURE, BEGIN (and CASE within it) open a block that END closes. */
function trackBegin(word: string, parenDepth: number, depth: number): number {
  if (parenDepth !== 0) return depth;
  // eslint-disable-next-line no-restricted-syntax -- a keyword the splitter reads, not a statement it sends
  if (word === 'begin') return depth + 1;
  if (word === 'case' && depth >= 1) return depth + 1;
  if (word === 'end' && depth > 0) return depth - 1;
  return depth;
}

function skipBlockComment(sql: string, i: number): number {
  let depth = 0;
  while (i < sql.length) {
    if (sql[i] === '/' && sql[i + 1] === '*') {
      depth++;
      i += 2;
    } else if (sql[i] === '*' && sql[i + 1] === '/') {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else i++;
  }
  return i;
}

function skipQuoted(sql: string, i: number, quote: string, backslashEscapes: boolean): number {
  i++;
  while (i < sql.length) {
    const c = sql[i]!;
    if (backslashEscapes && c === '\\') i += 2;
    else if (c === quote && sql[i + 1] === quote) i += 2;
    else if (c === quote) return i + 1;
    else i++;
  }
  return i;
}

/** E'...' strings treat backslash as an escape; a plain '...' does not. */
function isEscapeString(sql: string, i: number): boolean {
  const prev = sql[i - 1];
  return (prev === 'e' || prev === 'E') && !(i > 1 && isIdentChar(sql.charCodeAt(i - 2)));
}

/** `$tag$` or `$$` starting at i, unless the `$` belongs to an identifier or a parameter ($1). */
function dollarTag(sql: string, i: number): string | undefined {
  if (i > 0 && isIdentChar(sql.charCodeAt(i - 1))) return undefined;
  const m = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(sql.slice(i, i + 64));
  return m?.[0];
}

// Character classes by code, not by regular expression: they run for every character of the file.
/** What `\s` matches: ASCII whitespace, and beyond ASCII the Unicode spaces and the BOM. */
function isSpace(code: number): boolean {
  if (code < 128) return code === 32 || (code >= 9 && code <= 13);
  return /\s/.test(String.fromCharCode(code));
}

/** `[A-Za-z_\u0080-\uffff]` */
function isIdentStart(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || code === 95 || code >= 128;
}

/** `[A-Za-z0-9_$\u0080-\uffff]` */
function isIdentChar(code: number): boolean {
  return isIdentStart(code) || (code >= 48 && code <= 57) || code === 36;
}

/**
 * Line numbers for offsets asked in increasing order, counted once over the text as the scan moves
 * on. (Counting from the start of the file for each statement made splitting quadratic.)
 */
function lineCounter(text: string): (offset: number) => number {
  let at = 0;
  let line = 1;
  return (offset) => {
    for (; at < offset && at < text.length; at++) if (text.charCodeAt(at) === 10) line++;
    return line;
  };
}

/**
 * A statement's first `count` words, lowercase, with comments between them skipped, so a comment
 * between CREATE and EXTENSION hides nothing; it stops at the first thing that is not a word.
 */
export function leadingWords(text: string, count: number): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < text.length && words.length < count) {
    const code = text.charCodeAt(i);
    if (isSpace(code)) i++;
    else if (text.startsWith('--', i)) i = text.indexOf('\n', i) === -1 ? text.length : text.indexOf('\n', i) + 1;
    else if (text.startsWith('/*', i)) i = skipBlockComment(text, i);
    else if (isIdentStart(code)) {
      let j = i + 1;
      while (j < text.length && isIdentChar(text.charCodeAt(j))) j++;
      words.push(text.slice(i, j).toLowerCase());
      i = j;
    } else break;
  }
  return words;
}

/**
 * The first statement that begins or ends a transaction. In a file that runs inside a transaction
 * of its own, a COMMIT would make what comes before it permanent, so a later failure leaves the
 * file half applied. Savepoints (and ROLLBACK TO one) nest inside that transaction and are fine.
 */
export function transactionControl(statements: Statement[]): Statement | undefined {
  return statements.find((s) =>
    /^(begin|start\s+transaction|commit|end|abort|prepare\s+transaction|rollback(?!\s+((work|transaction)\s+)?to\b))\b/i.test(
      s.text,
    ),
  );
}

/**
 * `-- migrate:no-transaction` in the file's leading comment block: on the first line, or after the
 * header comments that `create` writes, as long as no SQL comes before it.
 */
export function isNoTransaction(sql: string): boolean {
  return splitSql(sql).noTransactionMarkers.leading.length > 0;
}
