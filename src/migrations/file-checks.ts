// What one migration file must be before any of it is sent to a server: UTF-8 text, with its
// -- migrate:no-transaction marker where it is read, no transaction control of its own and no
// CONCURRENTLY in a transactional file (up or down alike), and nothing database-wide in a tenant file.
import type { Scope } from './listing';
import { leadingWords, transactionControl, type SplitSql, type Statement } from './sql-split';

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The file's text, or a problem naming it: a binary or non-UTF-8 file is not sent to the server. */
export function decodeSql(rel: string, bytes: Buffer, problems: string[]): string | undefined {
  if (bytes.includes(0)) {
    problems.push(
      `${rel}: is not text (it holds NUL bytes: a binary file, or text saved as UTF-16); save it as UTF-8 text`,
    );
    return undefined;
  }
  try {
    return UTF8.decode(bytes);
  } catch {
    problems.push(
      `${rel}: is not valid UTF-8 (saved in another encoding, such as Latin-1 or Windows-1252?); save it as UTF-8`,
    );
    return undefined;
  }
}

/** Problems in a file's SQL, each naming the file and line. */
export function sqlProblems(rel: string, scope: Scope, sql: SplitSql): string[] {
  const problems: string[] = [];
  const noTransaction = sql.noTransactionMarkers.leading.length > 0;
  for (const line of sql.noTransactionMarkers.late) {
    problems.push(
      `${rel}:${line}: -- migrate:no-transaction after SQL is not read, so the file would run in a transaction; move it to the top of the file, before the first statement (comments may come before it)`,
    );
  }
  const control = noTransaction ? undefined : transactionControl(sql.statements);
  if (control) {
    const word = control.text.split(/\s/)[0]!.toUpperCase();
    problems.push(
      `${rel}:${control.line}: ${word}: the file already runs in a transaction of its own, and a COMMIT in it leaves the file half applied when a later statement fails; remove BEGIN/COMMIT, or put -- migrate:no-transaction at the top of the file`,
    );
  }
  if (!noTransaction) {
    for (const st of concurrentStatements(sql.statements)) {
      problems.push(
        `${rel}:${st.line}: ${concurrentHead(st)} cannot run inside a transaction, and this file runs in one; put -- migrate:no-transaction at the top of the file`,
      );
    }
  }
  if (scope === 'tenant') problems.push(...extensionProblems(rel, sql));
  return problems;
}

// Statements that PostgreSQL refuses inside a transaction block because of CONCURRENTLY. (REFRESH
// MATERIALIZED VIEW CONCURRENTLY runs in one, and the word in a string or a comment is no statement.)
const CONCURRENT = [
  /^create\s+(unique\s+)?index\s+concurrently\b/i,
  /^drop\s+index\s+concurrently\b/i,
  /^reindex\s*(\([^)]*\)\s*)?(index|table|schema|database|system)\s+concurrently\b/i,
  /^alter\s+table\b[\s\S]*\bdetach\s+partition\b[\s\S]*\bconcurrently$/i,
];

/**
 * The statements that cannot run in a transaction for their CONCURRENTLY. Found when the folder is
 * loaded, so a `.down.sql` missing its marker is refused by `hash` and `up`, not discovered by the
 * rollback that needs it.
 */
export function concurrentStatements(statements: Statement[]): Statement[] {
  return statements.filter((s) => CONCURRENT.some((re) => re.test(s.text)));
}

/** `CREATE UNIQUE INDEX CONCURRENTLY`, `ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY`: the statement's kind. */
function concurrentHead(st: Statement): string {
  if (/^alter/i.test(st.text)) return 'ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY';
  return CONCURRENT.map((re) => re.exec(st.text)?.[0])
    .find(Boolean)!
    .replace(/\s+/g, ' ')
    .toUpperCase();
}

/**
 * An extension belongs to the database, not to a schema: run per tenant, CREATE EXTENSION installs
 * it into whichever tenant schema runs first (the search_path), and every other tenant then fails,
 * or with IF NOT EXISTS silently lacks its functions. ALTER and DROP are database-wide just the same.
 */
function extensionProblems(rel: string, sql: SplitSql): string[] {
  return sql.statements
    .filter((s) => {
      const [verb, object] = leadingWords(s.text, 2);
      return object === 'extension' && (verb === 'create' || verb === 'alter' || verb === 'drop');
    })
    .map((s) => {
      const verb = leadingWords(s.text, 1)[0]!.toUpperCase();
      return `${rel}:${s.line}: ${verb} EXTENSION in a tenant migration would act on the whole database from the first tenant schema that runs it; put it in a global migration (e.g. CREATE EXTENSION IF NOT EXISTS pgcrypto SCHEMA public) and qualify the extension's functions and types in tenant SQL (public.gen_random_uuid())`;
    });
}
