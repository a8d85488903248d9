// `drift`: does each schema look like what its recorded migrations build? The live side is one
// digest per schema, computed by the server in one query; the expected side is built once per
// distinct recorded state in a scratch database. Only the schemas whose digest differs are read
// in full, and only one per fingerprint (same state, same digest: the same difference), so 9,997
// matching tenants cost a digest each and 3 drifted ones a catalog read.
import type pg from 'pg';
import { compareSnapshots, type Difference } from '../db/catalog-differences';
import { catalogHashes, takeSnapshot, type Snapshot } from '../db/catalog';
import { withClient } from '../db/connect';
import { withScratchDatabase } from '../db/scratch';
import { withTransaction } from '../db/transaction';
import { loadMigrations } from '../migrations/files';
import { resolved, type EngineOptions } from '../migrations/options';
import { buildStates, stateKey, type State } from './expected';
import { readLive, type LiveSchema } from './recorded';
import { shortSummary } from './describe';

export interface DriftOptions {
  /** Check only this tenant schema (public is then left out). */
  tenant?: string;
}

/** Schemas that differ alike: the same recorded state and the same catalog digest. */
export interface DriftGroup {
  schemas: string[];
  /** The recorded version they are at (the latest applied), or null for none. */
  version: string | null;
  summary: string;
  differences: Difference[];
}

export interface DriftReport {
  /** Schemas checked: public (unless --tenant) and the tenant schemas. */
  checked: number;
  matching: number;
  /** public's verdict; absent when only a tenant was checked. */
  public?: 'match' | 'differ' | 'unchecked';
  groups: DriftGroup[];
  /** Schemas whose recorded state could not be built, and why. */
  unchecked: Array<{ schemas: string[]; reason: string }>;
  /** Distinct recorded states built in the scratch database. */
  states: number;
  /** Schemas left dirty by a no-transaction migration: their difference may be that half-done file. */
  dirty: string[];
}

export async function drift(options: EngineOptions, run: DriftOptions = {}): Promise<DriftReport> {
  const opts = resolved(options);
  const folder = await loadMigrations(opts.migrationsDir, { allowEmpty: true });
  const connect = {
    connectTimeoutMs: opts.connectTimeoutMs,
    waitMs: opts.waitMs,
    signal: opts.signal,
    onWait: (message: string) => opts.emit({ type: 'connect:waiting', message }),
  };
  const live = await withClient(opts.connection, connect, (c) => readLive(c, opts.tenantPattern, run.tenant));

  const states = new Map<string, State>();
  const stateOf = new Map<string, State>();
  for (const s of live) {
    const scope = s.schema === 'public' && !run.tenant ? 'global' : 'tenant';
    const key = stateKey(scope, s.versions);
    if (!states.has(key))
      states.set(key, {
        versions: s.versions,
        scope,
        scratchSchema: scope === 'global' ? 'public' : `drift_state_${states.size}`,
      });
    stateOf.set(s.schema, states.get(key)!);
  }
  // Tenant states need public as its record says, for what they reference there.
  const publicVersions = live.find((s) => s.schema === 'public')?.versions;
  if (!states.has(stateKey('global', publicVersions ?? [])))
    states.set('public', { versions: publicVersions ?? [], scope: 'global', scratchSchema: 'public' });

  return withScratchDatabase(
    opts.connection,
    async (scratch) =>
      withClient(scratch.connection, {}, async (sc) => {
        await buildStates(sc, folder, [...states.values()]);
        // As for the live reads (recorded.ts): definitions depend on the search_path they are printed under.
        await sc.query('SET search_path TO public; SET jit = off');
        const built = [...states.values()].filter((s) => !s.error).map((s) => s.scratchSchema);
        const expected = await catalogHashes(sc, { names: built }, { extensions: false });
        const differing = live.filter(
          (s) => !stateOf.get(s.schema)!.error && s.hash !== expected.get(stateOf.get(s.schema)!.scratchSchema),
        );
        // One schema per fingerprint is read in full: the others with its digest differ the same way.
        const fingerprints = new Map<string, LiveSchema[]>();
        for (const s of differing) {
          const fp = `${stateKey(stateOf.get(s.schema)!.scope, s.versions)}|${s.hash}`;
          fingerprints.set(fp, [...(fingerprints.get(fp) ?? []), s]);
        }
        const reps = [...fingerprints.values()].map((g) => g[0]!);
        const liveSnap = reps.length
          ? await withClient(opts.connection, connect, (c) =>
              catalogRead(c, () => takeSnapshot(c, { names: reps.map((s) => s.schema) }, { extensions: false })),
            )
          : new Map();
        const expectedSnap = reps.length ? await takeSnapshot(sc, { names: built }, { extensions: false }) : new Map();
        const groups = [...fingerprints.values()].map((g) =>
          group(g, stateOf.get(g[0]!.schema)!, liveSnap, expectedSnap),
        );
        return report(live, stateOf, groups, states.size, run.tenant);
      }),
    { signal: opts.signal, waitMs: opts.waitMs, onWait: (message) => opts.emit({ type: 'connect:waiting', message }) },
  );
}

/**
 * The catalog queries look expensive to the planner on a large catalog, and JIT-compiling them takes
 * longer than running them (docs/performance.md, "Figures behind the code"); the search_path is the one every side uses.
 */
export async function catalogRead<T>(c: pg.ClientBase, fn: () => Promise<T>): Promise<T> {
  return withTransaction(c, fn, { readOnly: true, setup: 'SET LOCAL jit = off; SET LOCAL search_path TO public' }); // a failure rolls back
}

function group(schemas: LiveSchema[], state: State, live: Snapshot, expected: Snapshot): DriftGroup {
  const rep = schemas[0]!.schema;
  const differences = compareSnapshots(
    new Map([[rep, expected.get(state.scratchSchema) ?? new Map()]]),
    new Map([[rep, live.get(rep) ?? new Map()]]),
  );
  return {
    schemas: schemas.map((s) => s.schema),
    version: schemas[0]!.versions.at(-1) ?? null,
    summary: shortSummary(differences),
    differences,
  };
}

function report(
  live: LiveSchema[],
  stateOf: Map<string, State>,
  groups: DriftGroup[],
  states: number,
  tenant?: string,
): DriftReport {
  const unchecked = new Map<string, string[]>();
  for (const s of live) {
    const error = stateOf.get(s.schema)!.error;
    if (error) unchecked.set(error, [...(unchecked.get(error) ?? []), s.schema]);
  }
  const differ = new Set(groups.flatMap((g) => g.schemas));
  const uncheckedList = [...unchecked].map(([reason, schemas]) => ({ schemas, reason }));
  const verdict = (schema: string) =>
    differ.has(schema) ? 'differ' : stateOf.get(schema)!.error ? 'unchecked' : 'match';
  return {
    checked: live.length,
    matching: live.length - differ.size - uncheckedList.reduce((n, u) => n + u.schemas.length, 0),
    ...(tenant ? {} : { public: verdict('public') }),
    // Larger groups first: 500 schemas drifting alike is the first thing to read.
    groups: groups.sort((a, b) => b.schemas.length - a.schemas.length || a.schemas[0]!.localeCompare(b.schemas[0]!)),
    unchecked: uncheckedList,
    states,
    dirty: live.filter((s) => s.dirty).map((s) => s.schema),
  };
}
