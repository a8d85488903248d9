// lint's findings about locks, from the lock model (migrations/locks.ts) that `plan` and the
// blocker check use too: a statement that builds, rewrites or scans an existing table under a lock
// that stops the application's reads or writes. squawk's rules for the same statements are left
// out of its run (MODEL_RULES), so each statement has one answer.
import { blocksReads, blocksWrites, describeLocks, type TableLock } from '../migrations/locks';
import { splitStatements } from '../migrations/sql-split';
import type { SquawkFinding } from './squawk';

/** squawk's rules that the lock model answers instead; lint keeps their names, so findings and levels read as before. */
export const MODEL_RULES = [
  'require-concurrent-index-creation',
  'require-concurrent-index-deletion',
  'changing-column-type',
  'adding-field-with-default',
  'adding-not-nullable-field',
  'constraint-missing-not-valid',
  'adding-foreign-key-constraint',
  'disallowed-unique-constraint',
];

type Described = TableLock & { what: string };

interface Rule {
  rule: string;
  applies: (l: Described) => boolean;
  help: string;
}

// First match wins; the last two catch what the named rules do not.
const RULES: Rule[] = [
  {
    rule: 'require-concurrent-index-creation',
    applies: (l) => /^CREATE (UNIQUE )?INDEX (?!CONCURRENTLY)/.test(l.what),
    help: 'use CREATE INDEX CONCURRENTLY in a -- migrate:no-transaction migration',
  },
  {
    rule: 'require-concurrent-index-deletion',
    applies: (l) => /^DROP INDEX(?! CONCURRENTLY)/.test(l.what),
    help: 'use DROP INDEX CONCURRENTLY in a -- migrate:no-transaction migration',
  },
  {
    rule: 'changing-column-type',
    applies: (l) => l.rewrite && /(^|, )ALTER COLUMN \S+ TYPE/.test(l.what),
    help: 'add a new column, backfill it, and switch to it',
  },
  {
    rule: 'adding-field-with-default',
    applies: (l) => l.rewrite && /(^|, )ADD COLUMN/.test(l.what),
    help: 'add the column without the default (or with a constant one), then fill it in batches',
  },
  {
    rule: 'adding-not-nullable-field',
    applies: (l) => l.scan && /(^|, )SET NOT NULL/.test(l.what),
    help: 'add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it in a later migration, then SET NOT NULL',
  },
  {
    rule: 'adding-foreign-key-constraint',
    applies: (l) => l.scan && /FOREIGN KEY|REFERENCES|referenced by/.test(l.what),
    help: 'add it NOT VALID, then VALIDATE CONSTRAINT in a later migration',
  },
  {
    rule: 'constraint-missing-not-valid',
    applies: (l) => l.scan && /CHECK/.test(l.what),
    help: 'add it NOT VALID, then VALIDATE CONSTRAINT in a later migration',
  },
  {
    rule: 'disallowed-unique-constraint',
    applies: (l) => l.scan && /(UNIQUE|PRIMARY KEY) \(builds an index\)/.test(l.what),
    help: 'build a unique index CONCURRENTLY first, then ADD CONSTRAINT ... USING INDEX',
  },
  {
    rule: 'table-rewrite',
    applies: (l) => l.rewrite,
    help: 'rewrite outside a migration, or build a new table and switch to it',
  },
  // REFRESH MATERIALIZED VIEW CONCURRENTLY is already the form to use: the application does not write to a view.
  {
    rule: 'table-scan-under-lock',
    applies: (l) => l.scan && !/CONCURRENTLY/.test(l.what),
    help: 'use the CONCURRENTLY form, or split the change so the scan runs under a weaker lock',
  },
];

/** The lock findings of one file: statements on tables the file did not create, under a lock that blocks reads or writes. */
export async function lockFindings(file: string, text: string): Promise<SquawkFinding[]> {
  const created = new Set<string>();
  const findings: SquawkFinding[] = [];
  for (const s of splitStatements(text)) {
    const { locks, creates } = await describeLocks(s.text);
    const said = new Set<string>(); // one finding per rule and statement (a foreign key locks two tables)
    for (const l of locks.map((x) => ({ ...x, what: x.what ?? '' }))) {
      if (created.has(l.table) || !(blocksReads(l.lock) || blocksWrites(l.lock))) continue;
      const rule = RULES.find((r) => r.applies(l));
      if (!rule || said.has(rule.rule)) continue;
      said.add(rule.rule);
      const stops = blocksReads(l.lock) ? 'reads and writes' : 'writes';
      const name = `${l.schema ? `${l.schema}.` : ''}${l.table}`;
      const message = `${l.index ? `the table of index ${name}` : name}: ${l.what}, under ${l.lock}, which stops the application's ${stops} while it runs.`;
      findings.push({ file, line: s.line, column: 1, rule: rule.rule, message, help: rule.help });
    }
    // A table made earlier in the file is new and empty: nothing of the application waits on it.
    for (const c of creates) created.add(c.table);
  }
  return findings;
}
