// `force V`: record V as the current version without running SQL. Every migration up to V counts
// as applied in its scope, every later one as not applied, and the dirty flag is cleared. This is
// how an operator recovers after fixing by hand what a failed no-transaction migration left.
//
// Force rewrites history, so it never widens the damage: the change is computed per schema first,
// and refused (nothing touched) when it would erase the record of a migration whose change is in
// place, unless asked with --forget-applied, or, without --tenant, when it would rewrite healthy
// schemas along with the dirty one, unless asked with --all. See forceRefusal.
import { listFew } from '../util/text';
import type pg from 'pg';
import { withTransaction } from '../db/transaction';
import { UsageError } from '../errors';
import { option, remedy } from '../remedy';
import type { MigrationFolder } from './files';
import { writeForced, type SchemaState } from './state';

/** What force does to one schema's recorded history. */
export interface SchemaChange {
  schema: string;
  /** It was dirty before: the schema force is there to recover. */
  dirty: boolean;
  /** Rows deleted: versions after V. `applied` ones were recorded clean, their change in place. */
  removed: Array<{ version: string; applied: boolean }>;
  /** Versions up to V recorded as applied (forced) without running their SQL. */
  recorded: string[];
  /** The dirty version up to V whose flag is cleared, the row kept. */
  cleared?: string;
}

export interface ForceRequest {
  /** As the operator typed it, for the commands in messages. */
  target: string;
  tenant?: string;
  /** Rewrite every schema, healthy ones included. */
  all?: boolean;
  /** Erase the records of clean applied migrations after V. */
  forgetApplied?: boolean;
}

export interface ForceResult {
  version: string | null;
  /** Schemas in scope. */
  schemas: number;
  /** Schemas whose history changes. */
  changed: number;
  changes: SchemaChange[];
}

/** `0` (or golang-migrate's `-1`) means "nothing applied". */
export function parseForceTarget(folder: MigrationFolder, target: string): string | null {
  if (target === '0' || target === '-1') return null;
  if (!folder.migrations.some((m) => m.version === target)) {
    const known = folder.migrations.map((m) => m.version);
    throw new UsageError(
      `Version ${target} is not a migration in ${folder.dir}`,
      `give one of ${known.length ? `${known[0]} ... ${known.at(-1)}` : '(none)'} or 0 for "nothing applied"`,
      'UNKNOWN_VERSION',
    );
  }
  return target;
}

/** Each schema's change, computed from the recorded state; nothing is written. */
export function planForce(folder: MigrationFolder, scope: SchemaState[], version: string | null): SchemaChange[] {
  return scope.map((s) => {
    const ownScope = folder.migrations.filter((m) => (m.scope === 'global') === (s.schema === 'public'));
    const upTo = ownScope.filter((m) => version !== null && m.version <= version).map((m) => m.version);
    const rows = [...s.applied.values()].sort((a, b) => (a.version < b.version ? -1 : 1));
    const after = rows.filter((r) => version === null || r.version > version);
    const cleared = rows.find((r) => r.dirty && version !== null && r.version <= version)?.version;
    return {
      schema: s.schema,
      dirty: Boolean(s.dirtyAt),
      removed: after.map((r) => ({ version: r.version, applied: !r.dirty })),
      recorded: upTo.filter((v) => !s.applied.has(v)),
      ...(cleared ? { cleared } : {}),
    };
  });
}

export function changes(c: SchemaChange): boolean {
  return c.removed.length > 0 || c.recorded.length > 0 || c.cleared !== undefined;
}

/** Why force must not go ahead as asked, or undefined. */
export function forceRefusal(plan: SchemaChange[], req: ForceRequest): UsageError | undefined {
  const erased = plan.flatMap((c) => c.removed.filter((r) => r.applied).map((r) => `${c.schema} ${r.version}`));
  const forget = erased.length > 0 && !req.forgetApplied;
  if (!req.tenant && !req.all) {
    const dirty = plan.filter((c) => c.dirty);
    // Healthy schemas moved backwards, or touched at all while force is there for a dirty one.
    const healthy = plan.filter(
      (c) => !c.dirty && changes(c) && (dirty.length > 0 || c.removed.some((r) => r.applied)),
    );
    if (healthy.length) {
      return new UsageError(
        `force ${req.target} would rewrite ${count(healthy.length, 'healthy schema')} (${listFew(healthy.map((c) => c.schema))})${dirty.length ? ` as well as the dirty ${listFew(dirty.map((c) => c.schema))}` : ''}; nothing was changed`,
        { kind: 'forceEach', version: req.target, dirty: dirty.map((c) => c.schema), forgetApplied: forget },
        'FORCE_WIDENS',
        { target: req.target, dirty: dirty.map((c) => c.schema), forgetApplied: forget },
      );
    }
  }
  if (forget) {
    return new UsageError(
      `force ${req.target} would erase the record of ${count(erased.length, 'migration')} applied cleanly, whose change is in place (${listFew(erased)}); the next up would run ${erased.length === 1 ? 'it' : 'them'} again over ${erased.length === 1 ? 'it' : 'them'}; nothing was changed`,
      remedy`force a version at or after them, or undo their changes by hand (their .down.sql) and add ${option('forgetApplied')}`,
      'FORCE_ERASES_APPLIED',
    );
  }
  return undefined;
}

/** Writes the planned change in one transaction. */
export async function applyForce(
  client: pg.ClientBase,
  folder: MigrationFolder,
  plan: SchemaChange[],
  version: string | null,
): Promise<void> {
  const byVersion = new Map(folder.migrations.map((m) => [m.version, m]));
  const cols = {
    schema: [] as string[],
    version: [] as string[],
    name: [] as string[],
    scope: [] as string[],
    checksum: [] as string[],
  };
  for (const c of plan) {
    for (const v of c.recorded) {
      const m = byVersion.get(v)!;
      cols.schema.push(c.schema);
      cols.version.push(v);
      cols.name.push(m.name);
      cols.scope.push(m.scope);
      cols.checksum.push(m.up.checksum);
    }
  }
  const cleared = plan.filter((c) => c.cleared);
  // A dirty row kept is recorded as forced, with the checksum of the file as it is now.
  const clearedRows = cleared.map((c) => ({
    schema: c.schema,
    version: c.cleared!,
    checksum: byVersion.get(c.cleared!)?.up.checksum,
  }));
  await withTransaction(client, () =>
    writeForced(client, { schemas: plan.map((c) => c.schema), version, rows: cols, cleared: clearedRows }),
  );
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}
