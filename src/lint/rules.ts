// Which of squawk's findings stop a run. squawk reports everything as a warning; this tool
// decides. Errors are what fails or blocks writes on a table that has rows, or breaks the way the
// tool runs files; everything else is a warning to read. See docs/diff-lint-test.md.

export type Level = 'error' | 'warning';

export const ERROR_RULES: Record<string, string> = {
  'require-concurrent-index-creation': 'builds the index while blocking writes; use CREATE INDEX CONCURRENTLY in a -- migrate:no-transaction migration',
  'require-concurrent-index-deletion': 'drops the index under an exclusive lock that queues reads and writes; use DROP INDEX CONCURRENTLY in a -- migrate:no-transaction migration',
  'adding-required-field': 'a NOT NULL column without a default fails on a table that has rows',
  'adding-not-nullable-field': 'SET NOT NULL scans the whole table under an exclusive lock',
  'changing-column-type': 'rewrites the table under an exclusive lock',
  'adding-field-with-default': 'a volatile default rewrites the table under an exclusive lock',
  'adding-serial-primary-key-field': 'rewrites the table and builds the key while blocking writes',
  'ban-concurrent-index-creation-in-transaction': 'CONCURRENTLY cannot run in a transaction: mark the file -- migrate:no-transaction',
  'transaction-nesting': 'the tool runs each file in its own transaction: remove BEGIN/COMMIT',
  'ban-uncommitted-transaction': 'the tool runs each file in its own transaction: remove BEGIN',
  'ban-drop-database': 'a migration must never drop a database',
};

/**
 * Left out. The runner sets lock_timeout itself for every statement (and retries), and a
 * migration may run as long as it needs: the timeout rules would flag every file. Column types
 * come from schema.prisma (`Int` is integer, `autoincrement()` is serial): advice on them belongs
 * to the schema's review, not to every migration that Prisma generates from it.
 */
export const EXCLUDED_RULES = [
  'require-lock-timeout',
  'require-statement-timeout',
  'require-timeout-settings',
  'prefer-bigint-over-int',
  'prefer-bigint-over-smallint',
  'prefer-identity',
];

export function levelOf(rule: string): Level {
  return rule in ERROR_RULES ? 'error' : 'warning';
}
