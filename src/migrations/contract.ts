// Expand and contract: a file marked `-- migrate:contract` removes what the previous application
// version still uses. `up` stops before the first one that has not run yet; `up --contract` runs
// it only when every schema has every version before it (the expand steps are everywhere, so the
// new application can run everywhere), and refuses otherwise, naming the schemas that lag.
import { listFew } from '../util/text';
import { OperationError } from '../errors';
import { operation, remedy } from '../remedy';
import type { Migration, MigrationFolder } from './files';
import type { DatabaseState, SchemaState } from './state';

export interface WaitingContract {
  version: string;
  name: string;
  file: string;
  scope: Migration['scope'];
}

export interface ContractGate {
  /** The first contract file that waits: planUp leaves out it and every version after it. */
  stopAt?: string;
  /** Every contract file that has not run yet from `stopAt` on, in version order. */
  waiting: WaitingContract[];
}

/**
 * Which contract files wait. One has "run" once a schema of its scope holds it: a schema created
 * later (a tenant signed up after the contract) then gets the whole chain. A database where nothing
 * was ever recorded has no previous application to protect, so nothing waits there.
 * With `allow` (up --contract), each pending contract file runs when every schema has every version
 * before it, counting the contract files this run passes; the first one refused throws (nothing
 * runs), a later one (the expand of a next release lies before it) waits.
 */
export function contractGate(folder: MigrationFolder, state: DatabaseState, allow: boolean): ContractGate {
  const schemas = [state.public, ...state.tenants];
  // A read of one tenant's state (contractsRun set) does not see the other schemas: it never takes this shortcut.
  if (!state.contractsRun && schemas.every((s) => s.applied.size === 0)) return { waiting: [] };
  const pending = folder.migrations.filter((m) => m.up.contract && !hasRun(m, state));
  const passed = new Set<string>();
  for (const [i, m] of pending.entries()) {
    const lag = allow ? lagging(folder, state, m, passed) : [];
    if (allow && lag.length === 0) {
      passed.add(m.version);
      continue;
    }
    if (allow && i === 0) throw contractRefusal(m, lag);
    return { stopAt: m.version, waiting: pending.slice(i).map(waitingOf) };
  }
  return { waiting: [] };
}

/** Per pending contract file: how many schemas (public and tenants) have every version before it. */
export function contractProgress(
  folder: MigrationFolder,
  state: DatabaseState,
): Array<WaitingContract & { ready: number; schemas: number }> {
  const { waiting } = contractGate(folder, state, false);
  const byVersion = new Map(folder.migrations.map((m) => [m.version, m]));
  const total = 1 + state.tenants.length;
  return waiting.map((w) => ({
    ...w,
    ready: total - lagging(folder, state, byVersion.get(w.version)!, new Set()).length,
    schemas: total,
  }));
}

/** The schemas that lack a version before `m` (their scope's), besides those in `skip`; a dirty row is not held. */
export function lagging(
  folder: MigrationFolder,
  state: DatabaseState,
  m: Migration,
  skip: ReadonlySet<string>,
): string[] {
  const before = folder.migrations.filter((x) => x.version < m.version && !skip.has(x.version));
  const lacks = (s: SchemaState, scope: Migration['scope']) =>
    before.some((x) => x.scope === scope && (!s.applied.has(x.version) || s.applied.get(x.version)!.dirty));
  const out = lacks(state.public, 'global') ? ['public'] : [];
  return out.concat(state.tenants.filter((t) => lacks(t, 'tenant')).map((t) => t.schema));
}

/** up --contract refused: the schemas that lag, the first few named (facts: all of them). */
function contractRefusal(m: Migration, lag: string[]): OperationError {
  return new OperationError(
    `Contract file ${m.up.file} not run: ${lag.length} schema${lag.length === 1 ? ' lacks' : 's lack'} a version before it (${listFew(lag)}); nothing was run`,
    'CONTRACT_LAGGING',
    remedy`bring them up to date first (${operation('migrate')}; a dirty one: repair it, then ${operation('force')}), let every instance run the new application, then run the contract again`,
    { facts: { version: m.version, file: m.up.file, lagging: lag } },
  );
}

/** Global: public holds it; tenant: some tenant schema does (or there is none to run it in); or a one-tenant read saw it elsewhere. */
function hasRun(m: Migration, state: DatabaseState): boolean {
  if (state.contractsRun?.has(m.version)) return true;
  if (m.scope === 'global') return state.public.applied.has(m.version);
  return (!state.contractsRun && state.tenants.length === 0) || state.tenants.some((t) => t.applied.has(m.version));
}

const waitingOf = (m: Migration): WaitingContract => ({
  version: m.version,
  name: m.name,
  file: m.up.file,
  scope: m.scope,
});
