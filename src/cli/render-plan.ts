// `plan`'s text: per statement and table, the lock and what it does under it, then the schemas
// grouped by size (10,000 alike tenants are one line; a large one stands apart), and the estimates
// over --max-lock-ms.
import type { LockPlan, LockPlanSchema, LockPlanStep, Statement } from '../index';
import { blocksReads, blocksWrites, describeLocks, listFew } from '../internal';
import { count, duration, formatBytes } from './format';
import type { Output } from './output';

/** Schemas whose table is within this factor of the largest of their group read as one line. */
const FACTOR = 2;
/** Tables below this size all read alike: their locks are short whatever their size. */
const SMALL_BYTES = 1_000_000;

export function printPlan(plan: LockPlan, out: Pick<Output, 'print'>): void {
  // Pending migrations may still be there: ones that only create tables, or work on tables they create.
  if (plan.steps.length === 0) out.print('no pending statement locks an existing table');
  for (const s of plan.steps) {
    out.print(`${s.file}:${s.line} ${firstLine(s.statement)}`);
    out.print(
      `  ${s.table === null ? 'may lock any table: the statement runs code the lock model cannot read' : `${s.table}: ${lockWords(s)}`}`,
    );
    if (s.table === null) continue;
    for (const g of groups(s.schemas)) out.print(`    ${groupLine(g)}`);
  }
  // A dirty schema is not planned: said, so that a plan of 9,990 schemas does not read as all 10,000.
  const refused = plan.refused.map((r) => r.schema);
  if (refused.length)
    out.print(
      `not planned: ${count(refused.length)} dirty tenant schema${refused.length === 1 ? '' : 's'} that up refuses until forced: ${listFew(refused)} (\`migrate-tool tenants --dirty\` lists them)`,
    );
}

type LockFacts = Pick<LockPlanStep, 'lock' | 'rewrite' | 'scan' | 'blocksReads' | 'blocksWrites'>;

/** `AccessExclusiveLock (stops reads and writes), rewrites the table`: plan's words, and up --dry-run's. */
export function lockWords(s: LockFacts): string {
  const stops = s.blocksReads
    ? 'stops reads and writes'
    : s.blocksWrites
      ? 'stops writes'
      : 'stops neither reads nor writes';
  const does = s.rewrite ? ', rewrites the table' : s.scan ? ', reads the whole table' : '';
  return `${s.lock} (${stops})${does}`;
}

/** Largest first; a group is the largest schema left and those within FACTOR of it. */
export function groups(schemas: LockPlanSchema[]): LockPlanSchema[][] {
  const sorted = [...schemas].sort((a, b) => b.bytes - a.bytes || a.schema.localeCompare(b.schema));
  const out: LockPlanSchema[][] = [];
  for (const s of sorted) {
    const top = out.at(-1)?.[0];
    if (top && (s.bytes * FACTOR >= top.bytes || top.bytes < SMALL_BYTES)) out.at(-1)!.push(s);
    else out.push([s]);
  }
  return out;
}

function groupLine(g: LockPlanSchema[]): string {
  const top = g[0]!;
  const figures = `${formatBytes(top.bytes)}, ${count(top.rows)} rows, ~${estimate(top.estimateMs)}`;
  return g.length === 1
    ? `${top.schema}: ${figures}`
    : `${count(g.length)} schemas, the largest ${top.schema}: ${figures}`;
}

const estimate = (ms: number | null) => (ms === null ? 'unknown' : ms < 1000 ? `${ms} ms` : duration(ms));

const firstLine = (sql: string) => {
  const line = sql.split('\n').find((l) => l.trim() && !l.trim().startsWith('--')) ?? sql;
  return line.length > 100 ? `${line.slice(0, 97)}...` : line;
};

export interface OverLimit {
  step: LockPlanStep;
  schema: LockPlanSchema;
}

/** Every estimate above `maxMs`, longest first. */
export function overLimit(plan: LockPlan, maxMs: number): OverLimit[] {
  return plan.steps
    .flatMap((step) => step.schemas.filter((s) => (s.estimateMs ?? 0) > maxMs).map((schema) => ({ step, schema })))
    .sort((a, b) => b.schema.estimateMs! - a.schema.estimateMs!);
}

/** One line for the log (stderr with --json): the statements and schemas over the limit. */
export function overLimitLine(over: OverLimit[], maxMs: number): string {
  const named = over
    .slice(0, 5)
    .map(
      (o) =>
        `${o.step.file}:${o.step.line} (${firstLine(o.step.statement)}) in ${o.schema.schema}: ~${estimate(o.schema.estimateMs)}`,
    );
  const more = over.length > 5 ? `; and ${count(over.length - 5)} more` : '';
  return `over --max-lock-ms ${maxMs}: ${named.join('; ')}${more}`;
}

/**
 * `up --dry-run`'s lock lines: per statement, each table and its lock, from the statement alone (a
 * dry run reads no catalog, so a binary-coercible type change reads as a rewrite; `plan` asks the
 * catalog, and adds the sizes and times). A table the file creates earlier is left out, as in `plan`.
 */
export async function dryRunLockLines(statements: Statement[]): Promise<string[]> {
  const lines: string[] = [];
  const created = new Set<string>();
  for (const s of statements) {
    const { locks, creates, unknown } = await describeLocks(s.text);
    if (unknown) lines.push(`line ${s.line}: may lock any table: ${unknown}`);
    for (const l of locks.filter((x) => x.schema || !created.has(x.table))) {
      const facts = { ...l, blocksReads: blocksReads(l.lock), blocksWrites: blocksWrites(l.lock) };
      lines.push(
        `line ${s.line}: ${l.schema ? `${l.schema}.` : ''}${l.table}${l.index ? ' (an index: its table)' : ''}: ${lockWords(facts)}`,
      );
    }
    for (const c of creates) if (!c.schema) created.add(c.table);
  }
  return lines;
}
