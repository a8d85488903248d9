// The transformations every format shares: an outer BEGIN;...COMMIT; goes (this tool runs each
// file in its own transaction), statements PostgreSQL refuses inside a transaction make the file
// `-- migrate:no-transaction`, and what cannot be converted safely is refused, naming the file.
import { splitStatements, transactionControl, type Statement } from '../migrations/sql-split';

/** Statements PostgreSQL refuses inside a transaction block. */
const OUTSIDE_TRANSACTION = [
  /\bconcurrently\b/i, // CREATE/DROP INDEX, REINDEX, DETACH PARTITION ... CONCURRENTLY
  /^vacuum\b/i,
  /^(create|drop)\s+(database|tablespace)\b/i,
  /^alter\s+system\b/i,
  /^reindex\s+(database|system)\b/i,
  /^(create|drop)\s+subscription\b/i,
];

export interface Converted {
  body: string;
  noTransaction: boolean;
  /** What changed, for the per-file report. */
  changes: string[];
}

/**
 * Converts one file's SQL. A file that needed no transaction in the source tool stays so; one with
 * a statement that cannot run in a transaction becomes so. It is not split into one file per
 * statement: this tool sends each statement of a no-transaction file on its own, in autocommit
 * (src/migrations/execute.ts), so a CONCURRENTLY next to other statements runs as it should, and
 * one file stays one version that the other tool's history maps to.
 */
export function convertSql(text: string, file: string, sourceNoTransaction: boolean, problems: string[]): Converted {
  const changes: string[] = [];
  let body = text.replace(/^\uFEFF/, '');
  const unsafe = refusal(splitStatements(body));
  if (unsafe) {
    problems.push(`${file}:${unsafe.line}: ${unsafe.why}`);
    return { body, noTransaction: false, changes };
  }
  const unwrapped = removeWrapper(body);
  if (unwrapped !== undefined) {
    body = unwrapped;
    changes.push('outer BEGIN/COMMIT removed');
  }
  const statements = splitStatements(body);
  const outside = statements.find((s) => OUTSIDE_TRANSACTION.some((re) => re.test(s.text)));
  const inner = innerBlocks(statements, file, outside ?? (sourceNoTransaction ? 'the source' : undefined), problems);
  if (inner?.length) {
    for (const st of [...inner].reverse()) body = cutStatement(body, st);
    changes.push(
      `inner BEGIN/COMMIT at line${inner.length === 1 ? '' : 's'} ${inner.map((st) => st.line).join(', ')} dropped: the whole file runs in one transaction here`,
    );
  }
  if (outside) changes.push(`no-transaction: ${firstWords(outside.text)} cannot run in a transaction`);
  else if (sourceNoTransaction) changes.push('no-transaction, as in the source');
  return { body, noTransaction: sourceNoTransaction || outside !== undefined, changes };
}

const PLAIN_BEGIN = /^(begin(\s+(work|transaction))?|start\s+transaction)\s*$/i;
const PLAIN_COMMIT = /^(commit|end)(\s+(work|transaction))?\s*$/i;

/**
 * A file's own transaction blocks after some statements (a real history changes ids to bigint that
 * way). The source sent the file as one multi-statement query; here the whole file is one
 * transaction, which is stronger, so plain BEGIN/COMMIT can go. Not when the file must run outside a
 * transaction (its blocks then mean something), nor ROLLBACK or PREPARE TRANSACTION (they undo or
 * hand over part of the file, which one transaction cannot reproduce): those are refused, saying why.
 */
function innerBlocks(
  statements: Statement[],
  file: string,
  outside: Statement | string | undefined,
  problems: string[],
): Statement[] | undefined {
  const control = statements.filter((s) => transactionControl([s]));
  if (control.length === 0) return undefined;
  const odd = control.find((s) => !PLAIN_BEGIN.test(s.text) && !PLAIN_COMMIT.test(s.text));
  const why = odd
    ? `${firstWords(odd.text).toUpperCase()} inside the file undoes or hands over part of it, which running the file in one transaction cannot reproduce`
    : outside
      ? `the file runs outside a transaction (${typeof outside === 'string' ? 'as in the source' : `${firstWords(outside.text)} at line ${outside.line}`}), so its own BEGIN/COMMIT blocks mean something and cannot be dropped`
      : undefined;
  if (!why) return control;
  problems.push(`${file}:${(odd ?? control[0]!).line}: ${why}; split the file at it by hand`);
  return undefined;
}

/** psql meta-commands and COPY from the client's input need psql itself; this tool sends SQL. */
function refusal(statements: Statement[]): { line: number; why: string } | undefined {
  for (const s of statements) {
    if (s.text.startsWith('\\'))
      return {
        line: s.line,
        why: `psql meta-command ${s.text.split(/\s/)[0]} cannot be sent as SQL; replace it with the SQL it stands for`,
      };
    if (/^copy\b[\s\S]*\bfrom\s+stdin\b/i.test(s.text))
      return {
        line: s.line,
        why: 'COPY ... FROM stdin needs psql to send the data; turn the rows into INSERT statements',
      };
  }
  return undefined;
}

/** The text without an outer BEGIN;...COMMIT; (or START TRANSACTION / END), if it has exactly that. */
function removeWrapper(text: string): string | undefined {
  const statements = splitStatements(text);
  const first = statements[0];
  const last = statements.at(-1);
  if (!first || !last || first === last) return undefined;
  if (!PLAIN_BEGIN.test(first.text) || !PLAIN_COMMIT.test(last.text)) return undefined;
  return cutStatement(cutStatement(text, last), first);
}

/** The text without one statement, its semicolon and the rest of its line. */
function cutStatement(text: string, st: Statement): string {
  const semicolon = text.indexOf(';', st.offset + st.text.length);
  const end = semicolon === -1 ? st.offset + st.text.length : semicolon + 1;
  const rest = /^[ \t]*(\r?\n)?/.exec(text.slice(end))![0];
  return text.slice(0, st.offset) + text.slice(end + rest.length);
}

/** Whether SQL must run outside a transaction here: the source ran it so, or PostgreSQL requires it. */
export function needsNoTransaction(text: string, sourceNoTransaction: boolean): boolean {
  return sourceNoTransaction || splitStatements(text).some((s) => OUTSIDE_TRANSACTION.some((re) => re.test(s.text)));
}

function firstWords(text: string): string {
  const words = text.split(/\s+/).slice(0, 4).join(' ');
  return words.length > 40 ? `${words.slice(0, 37)}...` : words;
}

export function isEmptySql(text: string): boolean {
  return splitStatements(text).length === 0;
}
