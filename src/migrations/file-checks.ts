// What one migration file must be before any of it is sent to a server: UTF-8 text, with its
// -- migrate:no-transaction marker where it is read, no transaction control of its own in a
// transactional file, and nothing database-wide in a tenant file.
import type { Scope } from './listing';
import { leadingWords, transactionControl, type SplitSql } from './sql-split';

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The file's text, or a problem naming it: a binary or non-UTF-8 file is not sent to the server. */
export function decodeSql(rel: string, bytes: Buffer, problems: string[]): string | undefined {
  if (bytes.includes(0)) {
    problems.push(`${rel}: is not text (it holds NUL bytes: a binary file, or text saved as UTF-16); save it as UTF-8 text`);
    return undefined;
  }
  try {
    return UTF8.decode(bytes);
  } catch {
    problems.push(`${rel}: is not valid UTF-8 (saved in another encoding, such as Latin-1 or Windows-1252?); save it as UTF-8`);
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
  if (scope === 'tenant') problems.push(...extensionProblems(rel, sql));
  return problems;
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
