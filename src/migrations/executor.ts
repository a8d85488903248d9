// The one executor: the ways a migration file runs in a schema, named, and the one place that picks
// among them. Callers say what they run and where; they do not choose how.
// - inOneTransaction: the file with its state row in one transaction; consecutive ones in a schema
//   share it, each behind a savepoint, sent in one round trip (chain.ts).
// - outsideTransaction: a `-- migrate:no-transaction` file, statement by statement in autocommit,
//   behind a dirty mark and the invalid-index checks (execute.ts).
// - backfill: a `-- migrate:backfill` file's UPDATE in batches, each its own transaction (backfill.ts).
// A bare schema built whole (a new tenant's chain, a spare) has no rows of the application and is
// not yet used: its files run in one transaction where they may, or outside one, and a backfill's
// UPDATE runs as any transactional statement (there is nothing to batch, and nothing to resume).
import pg from 'pg';
import type { BatchQueryable } from '../db/queryable';
import { inOneRoundTrip } from '../db/transaction';
import { runBackfill } from './backfill';
import { sendBatch } from './batch';
import { MAX_SAVEPOINTS, runWithSavepoints } from './chain';
import { runOutsideTransaction } from './execute';
import type { Migration } from './files';
import type { Direction, Resolved } from './options';
import type { PlanStep } from './plan';
import { recordAppliedSql } from './state';

export type Strategy = 'inOneTransaction' | 'outsideTransaction' | 'backfill';

/** How `m` runs in `direction` in a schema in use. */
export function strategyOf(m: Migration, direction: Direction): Strategy {
  const sql = direction === 'up' ? m.up : m.down!;
  if (direction === 'up' && sql.backfill) return 'backfill';
  return sql.noTransaction ? 'outsideTransaction' : 'inOneTransaction';
}

/**
 * A schema's steps as units (runner.ts): consecutive in-transaction files together, at most
 * MAX_SAVEPOINTS + 1; a file that runs otherwise in either direction is a unit of its own in both.
 */
export function unitsOf(steps: PlanStep[]): PlanStep[][] {
  const out: PlanStep[][] = [];
  const alone = ({ migration: m }: PlanStep) =>
    strategyOf(m, 'up') !== 'inOneTransaction' ||
    (m.down !== undefined && strategyOf(m, 'down') !== 'inOneTransaction');
  for (const step of steps) {
    const last = out.at(-1);
    if (last && !alone(step) && !alone(last[0]!) && last.length <= MAX_SAVEPOINTS) last.push(step);
    else out.push([step]);
  }
  return out;
}

/** Runs one unit of a schema's chain by its strategy; returns its time in ms. `previous`: the version before it (a failure's advice). */
export async function runUnit(
  client: pg.ClientBase,
  unit: Migration[],
  schema: string,
  direction: Direction,
  opts: Resolved,
  previous: string,
): Promise<number> {
  const first = unit[0]!;
  const started = performance.now();
  switch (strategyOf(first, direction)) {
    case 'inOneTransaction':
      return runWithSavepoints(client, unit, schema, direction, opts);
    case 'backfill':
      await runBackfill(client, first, schema, opts);
      break;
    case 'outsideTransaction':
      await runOutsideTransaction(client, first, schema, direction, opts, previous);
  }
  return Math.round(performance.now() - started);
}

/** How `m` runs in a bare schema built whole (see above): drift's expected build asks this too. */
export function bareStrategyOf(m: Migration): Exclude<Strategy, 'backfill'> {
  return m.up.noTransaction ? 'outsideTransaction' : 'inOneTransaction';
}

export interface BareGroup {
  strategy: Exclude<Strategy, 'backfill'>;
  steps: PlanStep[];
}

/** A bare schema's steps as groups: consecutive in-transaction files in one transaction, each other one alone. */
export function bareGroups(steps: PlanStep[]): BareGroup[] {
  const groups: BareGroup[] = [];
  for (const step of steps) {
    // A version a baseline replaced is only recorded: baseline.ts clears its no-transaction mark.
    const strategy = bareStrategyOf(step.migration);
    const last = groups.at(-1);
    if (last && last.strategy === 'inOneTransaction' && strategy === 'inOneTransaction') last.steps.push(step);
    else groups.push({ strategy, steps: [step] });
  }
  return groups;
}

/**
 * Runs a bare schema's groups in order: an in-transaction group as one transaction in one round trip,
 * its SQL (statements and state rows) from `chainSql` (new-tenant.ts); a no-transaction file with its
 * session's search_path and lock_timeout (which the caller saves and restores), then its state row.
 * No dirty mark: a build that stops half-way is dropped whole by its caller.
 */
export async function runBareGroups(
  client: BatchQueryable,
  groups: BareGroup[],
  schema: string,
  opts: Resolved,
  chainSql: (steps: PlanStep[]) => string[],
): Promise<void> {
  for (const g of groups) {
    if (g.strategy === 'inOneTransaction') {
      await inOneRoundTrip(client, chainSql(g.steps), sendBatch);
      continue;
    }
    const m = g.steps[0]!.migration;
    await client.query(`SELECT set_config('search_path', $1, false), set_config('lock_timeout', $2, false)`, [
      pg.escapeIdentifier(schema),
      `${Math.round(opts.ddlLockTimeoutMs)}`,
    ]);
    const started = performance.now();
    for (const st of m.up.statements) await client.query(st.text);
    const ms = String(Math.round(performance.now() - started));
    await client.query(
      recordAppliedSql(
        { schema, version: m.version, name: m.name, scope: 'tenant', checksum: m.up.checksum },
        { appliedAt: 'now()', durationMs: ms },
      ),
    );
  }
}
