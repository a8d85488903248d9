// `import TOOL SRC --search-path a,b`: the source tool ran its files with that search_path (dbmate
// with `?search_path=` in its URL), so unqualified names in them mean objects in `a` (then `b`).
// Each imported global file sets it for itself and puts the runner's back at its end, so a file
// written here later, running in the same transaction, still gets public. The comment line names
// it for a reader and for `adopt`, which looks for the tool's history in its first schema too.
import { UsageError } from '../errors';

const IDENT = /^("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*|\$user)$/;
const LINE_RE = /^-- search_path (.+): as the source tool ran this file$/m;

/** The schemas of a `--search-path` value, or a usage error saying what is wrong. */
export function parseSearchPath(value: string): string[] {
  const schemas = value.split(',').map((s) => s.trim());
  const bad = schemas.find((s) => !IDENT.test(s));
  if (bad !== undefined)
    throw new UsageError(
      `Search path "${value}" is not a comma-separated list of schema names ("${bad}")`,
      'give the search_path the source tool ran with, e.g. app,public',
      'BAD_SEARCH_PATH',
    );
  return schemas;
}

/** The file's body wrapped in its own search_path: session-wide for a no-transaction file, whose statements each commit. */
export function withSearchPath(body: string, schemas: string[], noTransaction: boolean): string {
  const value = schemas.join(', ').replace(/'/g, "''");
  const local = noTransaction ? 'false' : 'true';
  return `-- search_path ${schemas.join(', ')}: as the source tool ran this file
SELECT set_config('migrate_tool.search_path', current_setting('search_path'), ${local}), set_config('search_path', '${value}', ${local});
${body}${body.endsWith('\n') ? '' : '\n'}SELECT set_config('search_path', current_setting('migrate_tool.search_path'), ${local});
`;
}

/** The first schema of the search_path an imported file runs with, unquoted, if it names one. */
export function firstSearchSchema(text: string): string | undefined {
  const first = LINE_RE.exec(text)?.[1]?.split(',')[0]?.trim();
  if (!first || first === '$user') return undefined;
  return first.startsWith('"') ? first.slice(1, -1).replace(/""/g, '"') : first.toLowerCase();
}
