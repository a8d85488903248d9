// What to do after a run's failures. "Re-run" is said only where a re-run can succeed as it is (a
// lost connection, a lock or a resource not available: the engine marks those `transient`); any
// other failure comes back, the same, on every run until the file or the schema changes.

import type { FailedEntry } from '../index';

/** PostgreSQL's "already exists" errors: relation, object (type, constraint, trigger), column, schema, function. */
const EXISTS = new Set(['42P07', '42710', '42701', '42P06', '42723']);

/**
 * A migration that creates what the schema already holds: it was made outside this tool, or the
 * schema's record of its migrations was lost (restored by an older release, a state row deleted).
 * Running it again cannot help; recording what the schema holds does.
 */
export function existsAdvice(f: FailedEntry): string | undefined {
  if (!f.sqlstate || !EXISTS.has(f.sqlstate)) return undefined;
  const tenant = f.schema === 'public' ? '' : ` --tenant ${f.schema}`;
  return (
    `${f.schema} already has what ${f.version} creates, but ${f.version} is not recorded there (made by hand, or its record was lost), so running it again fails the same way; ` +
    `if ${f.schema} holds what the migrations up to some version build (\`migrate-tool drift${tenant}\` compares), record them without running SQL: ` +
    `\`migrate-tool force <that version>${tenant}\` (try --dry-run first), then \`migrate-tool up\`; otherwise drop or rename the object`
  );
}

/** The end of `N migration(s) not run because of it; ...`. */
export function afterFailures(failed: FailedEntry[]): string {
  if (failed.every((f) => f.transient)) return 're-run to retry exactly what is missing';
  return 'a re-run fails the same way until the cause above is fixed; then `migrate-tool up` applies exactly what is missing';
}
