// What the recorded migrations build: each distinct recorded state is built once, in its own schema
// of one scratch database (public's own state in public), by running the files in timeline order,
// so a tenant migration sees public as it was when it ran. 10,000 tenants at the same version
// are one build.
import pg from 'pg';
import { withTransaction } from '../db/transaction';
import { baselinesOf } from '../migrations/baseline';
import { bareStrategyOf } from '../migrations/executor';
import type { Migration, MigrationFolder } from '../migrations/files';

/** One recorded state: the versions, and the scratch schema that holds what they build. */
export interface State {
  versions: string[];
  /** Scope of its migrations: public runs global ones, a tenant state tenant ones. */
  scope: 'global' | 'tenant';
  scratchSchema: string;
  /** Why it could not be built; then nothing is known of what it should look like. */
  error?: string;
}

export function stateKey(scope: State['scope'], versions: string[]): string {
  return `${scope}:${versions.join(',')}`;
}

/** Builds every state in the scratch database behind `db`; a state that fails gets its `error`. */
export async function buildStates(db: pg.ClientBase, folder: MigrationFolder, states: State[]): Promise<void> {
  const byVersion = new Map(folder.migrations.map((m) => [m.version, m]));
  const sets = new Map<State, Set<string>>();
  for (const s of states) {
    const missing = s.versions.filter((v) => !byVersion.has(v));
    if (missing.length)
      s.error = `recorded version${missing.length === 1 ? '' : 's'} ${missing.join(', ')} not in the migrations folder (an older release?)`;
    else sets.set(s, withoutReplaced(folder.migrations, new Set(s.versions)));
    if (s.scratchSchema !== 'public') await db.query(`CREATE SCHEMA ${pg.escapeIdentifier(s.scratchSchema)}`);
  }
  // Timeline order across both scopes: a tenant migration that reads public.x finds it as it was.
  for (const m of folder.migrations) {
    for (const [s, versions] of sets) {
      if (s.error || m.scope !== s.scope || !versions.has(m.version)) continue;
      try {
        await runFile(db, m, s.scratchSchema);
      } catch (error) {
        s.error = `${m.up.file} failed when building what the recorded migrations give: ${(error as Error).message}`;
      }
    }
  }
}

/**
 * A baseline builds what the versions it replaces build (baseline.ts): where it is recorded, it is
 * run and they are not, as on a new database; where it is not, they run as they did.
 */
function withoutReplaced(migrations: Migration[], versions: Set<string>): Set<string> {
  const out = new Set(versions);
  for (const b of baselinesOf(migrations))
    if (versions.has(b.migration.version)) for (const r of b.replaced) out.delete(r.version);
  return out;
}

/**
 * One file as the executor would run it in a bare schema (executor.ts bareStrategyOf), but without
 * state rows, lock_timeout or a blocker check: the scratch database has no state and no other session.
 */
async function runFile(db: pg.ClientBase, m: Migration, schema: string): Promise<void> {
  await db.query(`SET search_path TO ${pg.escapeIdentifier(schema)}`);
  if (bareStrategyOf(m) === 'outsideTransaction') {
    for (const st of m.up.statements) await db.query(st.text);
    return;
  }
  await withTransaction(db, async () => {
    for (const st of m.up.statements) await db.query(st.text);
  });
}
