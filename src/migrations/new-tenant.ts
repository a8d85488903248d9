// A new tenant at sign-up: `migrateTenant()` on a schema that needs a chain of tenant migrations.
// Run file by file, each file costs four round trips and a commit; 200 files cost 800 round trips.
// Here the whole chain goes to the server as one simple query, in one transaction, with a state row
// per version inside it: one round trip and one commit.
//
// Safety: the transaction holds every file and every row, so it commits whole or not at all; a
// failure anywhere (a statement, a lock_timeout, the connection) leaves the schema exactly as it
// was. The chain is then run again the usual way (runner.ts), file by file, which names the file,
// line and statement that fails, retries lock timeouts, and commits the files before it, as `up`
// does. So the fast path changes how many round trips a success costs, and nothing else: a chain
// with a no-transaction file, a dirty schema, or anything but this one schema never takes it.
//
// Its state is read for this schema alone (state/one-tenant.ts), not for every tenant.
import pg from 'pg';
import type { Resolved, RunResult } from './options';
import type { Plan } from './plan';
import { inOneRoundTrip } from '../db/transaction';
import { sendBatch } from './batch';
import { bareGroups } from './executor';
import { COUNTED_SETTING, recountSql } from './state';
import { recordAppliedSql } from './state';
import type { BatchQueryable } from '../db/queryable';

/** Whether the plan is tenant migrations in `schema` alone, nothing refused. */
export function onlyIn(plan: Plan, schema: string): boolean {
  return (
    plan.direction === 'up' &&
    plan.refused.length === 0 &&
    plan.steps.length > 0 &&
    plan.steps.every((s) => s.migration.scope === 'tenant' && s.schemas.length === 1 && s.schemas[0] === schema)
  );
}

/** Whether the plan is tenant migrations in `schema` alone that the executor runs in one transaction (executor.ts bareGroups). */
export function oneChain(plan: Plan, schema: string): boolean {
  const groups = bareGroups(plan.steps);
  return onlyIn(plan, schema) && groups.length === 1 && groups[0]!.strategy === 'inOneTransaction';
}

/** A file's duration: since the clock its settings started (migrate_tool.started). */
const FILE_MS = `(extract(epoch FROM clock_timestamp() - current_setting('migrate_tool.started')::timestamptz) * 1000)::int`;

/**
 * The chain's SQL without BEGIN and COMMIT, one statement per part (sent by sendBatch): per file,
 * the settings it would get in a transaction of its own, its statements and its state row (which
 * returns its duration as `recorded`).
 */
export function chainSql(plan: Plan, schema: string, opts: Resolved): string[] {
  const settings = [
    `SET LOCAL search_path TO ${pg.escapeIdentifier(schema)}`,
    `SET LOCAL lock_timeout = ${Math.round(opts.ddlLockTimeoutMs)}`,
  ];
  // Its rows are counted once, at the end, not one by one (state-counts.ts).
  const parts: string[] = [`SELECT set_config('${COUNTED_SETTING}', ${pg.escapeLiteral(schema)}, true)`];
  // A version a baseline replaced carries no statements (baseline.ts): it is only recorded.
  for (const { migration: m } of plan.steps) {
    // Each file starts as it would in a transaction of its own: the schema's search_path, the lock
    // timeout, and a clock for its duration.
    parts.push(...settings, `SELECT set_config('migrate_tool.started', clock_timestamp()::text, true)`);
    for (const st of m.up.statements) parts.push(st.text);
    const row = { schema, version: m.version, name: m.name, scope: 'tenant', checksum: m.up.checksum };
    const at = { appliedAt: 'clock_timestamp()', durationMs: FILE_MS };
    parts.push(`${recordAppliedSql(row, at)}\n       RETURNING 'migrate_tool' AS recorded, version, duration_ms`);
  }
  parts.push(...recountSql(schema));
  return parts;
}

/** The events a chain's run sends before it starts. */
export function emitChainStart(plan: Plan, opts: Resolved): void {
  for (const step of plan.steps) {
    const m = step.migration;
    opts.emit({
      type: 'migration:start',
      direction: 'up',
      version: m.version,
      name: m.name,
      scope: m.scope,
      schemas: 1,
      ...(step.recordOnly === undefined ? {} : { recordOnly: step.recordOnly }),
    });
  }
}

/** The run's result (and its events) once every file of the chain is in `schema`, each with its time. */
export function chainDone(plan: Plan, schema: string, ms: Map<string, number>, opts: Resolved): RunResult {
  const done = plan.steps.map(({ migration: m }) => ({
    version: m.version,
    name: m.name,
    scope: m.scope,
    schema,
    ms: ms.get(m.version) ?? 0,
  }));
  for (const d of done) opts.emit({ type: 'schema:done', direction: 'up', schema, version: d.version, ms: d.ms });
  opts.emit({ type: 'progress', done: 1, total: 1 });
  return { direction: 'up', done, failed: [], skipped: [], interrupted: false };
}

/**
 * Runs the chain in one transaction and one round trip. Returns the run's result, or undefined when
 * it failed and was rolled back: the caller then runs the plan file by file.
 */
export async function runInOneTransaction(
  client: pg.ClientBase,
  plan: Plan,
  schema: string,
  opts: Resolved,
): Promise<RunResult | undefined> {
  emitChainStart(plan, opts);
  // Nothing of the chain is kept on a failure; the caller runs it file by file, which names what fails.
  const ms = await oneTransaction(client, chainSql(plan, schema, opts));
  return ms && chainDone(plan, schema, ms, opts);
}

/**
 * Sends `parts` as one transaction in one round trip, through sendBatch; returns each version's time
 * from the state rows it wrote (`RETURNING 'migrate_tool' AS recorded, version, duration_ms`), or
 * undefined when it failed and was rolled back.
 */
export async function oneTransaction(
  client: BatchQueryable,
  parts: string[],
): Promise<Map<string, number> | undefined> {
  let results: pg.QueryResult[];
  try {
    results = await inOneRoundTrip(client, parts, sendBatch);
  } catch {
    return undefined;
  }
  const ms = new Map<string, number>();
  for (const r of results)
    if (r.fields?.[0]?.name === 'recorded') for (const row of r.rows) ms.set(row.version, row.duration_ms);
  return ms;
}
