// Spare tenant schemas: a new tenant ready in milliseconds. A spare is a schema that the tool built
// by running the folder's whole tenant chain in it (new-tenant.ts), recorded in the state like any
// schema, under a name of its own (`migrate_tool_spare_<random>`). `migrateTenant(schema)` on a bare
// new schema, when every tenant migration is pending there, takes one: the bare schema is dropped
// and the spare renamed to its name, its state rows and count row moved with it, in one transaction.
// A rename is a catalog update: it costs the same for 200 migrations as for 2.
//
// Equal to what the history builds, because it is what the history built: the very files, run by
// the same chain code with their state rows (see buildSpare for no-transaction files). Checked, not
// trusted, at handover:
// - the spare's state rows must be exactly this folder's tenant versions with these checksums, none
//   dirty (so a spare built from other files is never used);
// - it was built by this role (objects owned as the chain run by this caller would own them);
// - the new schema must be bare: no object in it (the DROP SCHEMA refuses otherwise), no privileges,
//   default privileges or comment on it that a rename would lose; its owner is kept.
// Anything else, or any error in the handover (rolled back whole), and the chain runs as before.
//
// Histories whose migrations write rows are not kept as spares: such rows may depend on when they
// are written (public data, now()), and a spare would carry the ones of its build.
//
// `up` keeps `tenantSpares` of them once a run has finished with nothing failed: stale ones (other
// files, another role) are dropped, missing ones built, each in one transaction with its state rows.
import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { SPARE_PREFIX } from '../config/reserved';
import type { MigrationFolder } from './files';
import type { Resolved, RunResult } from './options';
import { planUp, type Plan } from './plan';
import { inOneRoundTrip, rollback } from '../db/transaction';
import { sendBatch } from './batch';
import { chainDone, chainSql, emitChainStart, oneTransaction } from './new-tenant';
import { bareGroups, runBareGroups } from './executor';
import {
  createSparesTable,
  deleteSchemaRowsSql,
  deleteSpareRowSql,
  emptySchema,
  listSpares,
  pickSpare,
  recordSpareSql,
  renameSchemaRowsSql,
  sparesTableExists,
} from './state';
import { COUNTED_SETTING, recountSql } from './state';
import type { BatchQueryable } from '../db/queryable';

/** `version=checksum` of every file a bare schema's chain records, in version order: what a spare must hold. */
function expected(plan: Plan): string {
  return plan.steps
    .map((s) => `${s.migration.version}=${s.migration.up.checksum}`)
    .sort()
    .join(',');
}

const keyOf = (plan: Plan) => createHash('sha256').update(expected(plan)).digest('hex');

/** Whether this plan is a bare schema's whole chain: every tenant migration of the folder, nothing else. */
export function wholeChain(plan: Plan, folder: MigrationFolder): boolean {
  return plan.steps.length === folder.migrations.filter((m) => m.scope === 'tenant').length;
}

/**
 * Hands a spare over to `schema` (see above). Returns the run's result, or undefined when no spare
 * could be used: nothing has changed then, and the caller runs the chain.
 */
export async function takeSpare(
  client: BatchQueryable,
  plan: Plan,
  schema: string,
  opts: Resolved,
): Promise<RunResult | undefined> {
  const found = await pickSpare(client, schema, keyOf(plan), expected(plan));
  if (!found) return undefined;
  const [spare, target] = [pg.escapeIdentifier(found.spare), pg.escapeIdentifier(schema)];
  const targetText = pg.escapeLiteral(schema);
  const sql = [
    `SET LOCAL lock_timeout = ${Math.round(opts.ddlLockTimeoutMs)}`,
    deleteSpareRowSql(found.spare),
    // RESTRICT: refused if anything was created in the new schema since it was checked.
    `DROP SCHEMA ${target} RESTRICT`,
    `ALTER SCHEMA ${spare} RENAME TO ${target}`,
    ...(found.mine ? [] : [`ALTER SCHEMA ${target} OWNER TO ${pg.escapeIdentifier(found.owner)}`]),
    `SELECT set_config('${COUNTED_SETTING}', ${targetText}, true)`,
    renameSchemaRowsSql(found.spare, schema),
    // Both count rows from the rows themselves: right too after an earlier release's trigger counted the move row by row.
    ...recountSql(found.spare),
    ...recountSql(schema),
  ];
  const ms = await oneTransaction(client, sql);
  if (!ms) return undefined;
  // Said once it is done: a handover that fell through to the chain has started nothing.
  emitChainStart(plan, opts);
  opts.emit({ type: 'tenant:spare', schema, spare: found.spare });
  return chainDone(plan, schema, ms, opts);
}

export interface SparesReport {
  /** Spares ready for migrateTenant after the run. */
  ready: number;
  built: number;
  /** Stale spares dropped: built from other files or by another role, or more than wanted. */
  dropped: number;
  /** Why spares could not be built (the history's chain failed in a bare schema, or writes rows). */
  problem?: string;
}

/** Keeps `want` spares that match this folder; see above. Runs under the run lock. */
export async function keepSpares(
  client: BatchQueryable,
  folder: MigrationFolder,
  want: number,
  opts: Resolved,
): Promise<SparesReport | undefined> {
  const exists = await sparesTableExists(client);
  if (!exists && want === 0) return undefined;
  if (!exists) await createSparesTable(client);
  const plan = planUp(
    folder,
    { public: emptySchema('public'), tenants: [emptySchema(SPARE_PREFIX)] },
    { tenant: SPARE_PREFIX, tenantOnly: true },
  );
  const key = keyOf(plan);
  // Spare schemas without a row too: what an interrupted drop, or a hand, left.
  const rows = await listSpares(client, key);
  const keep = rows.filter((r) => r.fresh).slice(0, want);
  const drop = rows.filter((r) => !keep.includes(r));
  for (const r of drop)
    await inOneRoundTrip(client, [...dropSpareSql(r.schema), deleteSpareRowSql(r.schema)], sendBatch);
  if (want === 0 && drop.length === 0) return undefined; // none wanted, none there: nothing to say
  const report: SparesReport = { ready: keep.length, built: 0, dropped: drop.length };
  const usable = plan.steps.length > 0;
  if (keep.length < want && !usable) report.problem = 'there are no tenant migrations';
  while (usable && report.ready < want) {
    const problem = await buildSpare(client, plan, key, opts);
    if (problem) {
      report.problem = problem;
      break;
    }
    report.ready++;
    report.built++;
  }
  opts.emit({ type: 'spares', ...report });
  return report;
}

/**
 * One spare, built and recorded; returns why it could not be, or undefined. A history of
 * transactional files is one transaction, the spare's row in it. Otherwise the executor runs the
 * bare schema's groups (executor.ts runBareGroups): a `-- migrate:no-transaction` file statement by
 * statement outside a transaction, between transactions for the files around it; the spare's row
 * comes last, so a build that stops half-way is no spare: its schema and rows are dropped at once
 * (or by the next keepSpares, as a schema without a row).
 */
async function buildSpare(
  client: BatchQueryable,
  plan: Plan,
  key: string,
  opts: Resolved,
): Promise<string | undefined> {
  const name = `${SPARE_PREFIX}${randomBytes(6).toString('hex')}`;
  const schema = pg.escapeIdentifier(name);
  const finish = [
    // Rows written by the history would be those of this moment, not of the tenant's sign-up.
    `DO $spare$DECLARE t regclass; has boolean; BEGIN
       FOR t IN SELECT c.oid FROM pg_class c WHERE c.relnamespace = ${pg.escapeLiteral(name)}::regnamespace AND c.relkind IN ('r', 'p') LOOP
         EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s)', t) INTO has;
         IF has THEN RAISE EXCEPTION 'its tenant migrations write rows (into %), which would be those of the time the spare was built', t; END IF;
       END LOOP;
     END$spare$`,
    recordSpareSql(name, key),
  ];
  const groups = bareGroups(plan.steps);
  const saved = await client.query<{ path: string; timeout: string }>(
    `SELECT current_setting('search_path') AS path, current_setting('lock_timeout') AS timeout`,
  );
  try {
    if (groups.length === 1 && groups[0]!.strategy === 'inOneTransaction') {
      await inOneRoundTrip(client, [`CREATE SCHEMA ${schema}`, ...chainSql(plan, name, opts), ...finish], sendBatch);
      return undefined;
    }
    await client.query(`CREATE SCHEMA ${schema}`);
    await runBareGroups(client, groups, name, opts, (steps) => chainSql({ ...plan, steps }, name, opts));
    await inOneRoundTrip(client, finish, sendBatch);
    return undefined;
  } catch (error) {
    await rollback(client); // whatever a no-transaction file left open; inOneRoundTrip rolled its own back
    await sendBatch(client, dropSpareSql(name)).catch(() => {}); // left to the next keepSpares, which drops a spare schema that has no row
    return (error as Error).message;
  } finally {
    await client.query(`SELECT set_config('search_path', $1, false), set_config('lock_timeout', $2, false)`, [
      saved.rows[0]!.path,
      saved.rows[0]!.timeout,
    ]);
  }
}

/** A spare's schema and its state rows gone (in the caller's transaction, if any). */
function dropSpareSql(spare: string): string[] {
  return [`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(spare)} CASCADE`, deleteSchemaRowsSql(spare)];
}
