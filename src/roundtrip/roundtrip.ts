// `test`: in a scratch database with a couple of tenant schemas, checks that every migration's
// down undoes its up (step by step), that down all returns to the empty start, and that up all
// again gives the same schema as the first time. The first bad step is named with its difference.
import { join } from 'node:path';
import pg from 'pg';
import type { Connection } from '../config/connection';
import { resolveConnection, type ConnectionInput } from '../db/borrowed';
import { withClient, type ConnectOptions } from '../db/connect';
import { withScratchDatabase } from '../db/scratch';
import { OperationError, UsageError } from '../errors';
import { operation, remedy } from '../remedy';
import { migrate, rollback } from '../migrations/api';
import { baselinesOf } from '../migrations/baseline';
import { loadMigrations, type Migration } from '../migrations/files';
import { DEFAULTS, type FailedEntry, type NoteEvent, type WaitingEvent } from '../migrations/options';
import { compareSnapshots, type Difference } from '../db/catalog-differences';
import { takeSnapshot, type Snapshot } from '../db/catalog';

/** `waitMs` (and its `connect:waiting` events) apply to the first connection, as `--wait` does for every command. */
export interface RoundtripOptions extends Pick<ConnectOptions, 'waitMs'> {
  /** A pg.Client given here only lends its connectionParameters: this opens connections of its own. */
  connection: ConnectionInput;
  migrationsDir: string;
  tenantPattern?: string;
  /**
   * Round-trip only the migrations after this version: the ones up to it are applied once, as the
   * start (they need no .down.sql: histories brought from Prisma or Atlas have none).
   */
  from?: string;
  signal?: AbortSignal;
  onEvent?: (event: RoundtripEvent) => void;
}

/** `roundtrip:step`: one check done, as it happens. */
export type RoundtripEvent = WaitingEvent | NoteEvent | { type: 'roundtrip:step'; step: StepResult };

export type Check = 'down' | 'redo' | 'down-all' | 'up-all';

export interface StepResult {
  /** `down`: up N then down 1 equals the state before N; `redo`: up 1 again equals the state after N. */
  check: Check;
  version?: string;
  name?: string;
  ok: boolean;
}

export interface RoundtripFailure {
  check: Check | 'up-failed' | 'down-failed' | 'no-down';
  message: string;
  migration?: { version: string; name: string; file?: string };
  differences: Difference[];
}

export interface RoundtripReport {
  ok: boolean;
  /** How many migrations were round-tripped (those after `from`, if given). */
  migrations: number;
  /** With `from`: how many were applied once, as the start. */
  base?: number;
  schemas: string[];
  failure?: RoundtripFailure;
}

export async function roundtrip(options: RoundtripOptions): Promise<RoundtripReport> {
  const connection = resolveConnection(options.connection).connection;
  const folder = await loadMigrations(options.migrationsDir);
  const pattern = options.tenantPattern ?? DEFAULTS.tenantPattern;
  const tenants = tenantNames(pattern);
  const schemas = ['public', ...tenants];
  const onNote = (message: string) => options.onEvent?.({ type: 'note', message });
  const start = startAfter(folder.migrations, options.from, onNote);
  const { base, tested } = splitAt(folder.migrations, start);
  const missing = tested.find((m) => !m.down);
  if (missing) {
    return {
      ok: false,
      migrations: tested.length,
      schemas,
      failure: {
        check: 'no-down',
        message: `${missing.up.file} has no .down.sql, so its round trip cannot be tested${start ? '' : ' (test --from VERSION starts after it)'}`,
        migration: ref(missing, options.migrationsDir),
        differences: [],
      },
    };
  }
  return withScratchDatabase(
    connection,
    async (scratch) => {
      await withClient(scratch.connection, {}, (c) =>
        c.query(tenants.map((t) => `CREATE SCHEMA ${pg.escapeIdentifier(t)};`).join('\n')),
      );
      const run = new Runner(scratch.connection, options, pattern);
      const failure = (await run.base(base.length)) ?? (await run.all(tested));
      return { ok: !failure, migrations: tested.length, ...(start ? { base: base.length } : {}), schemas, failure };
    },
    {
      signal: options.signal,
      waitMs: options.waitMs,
      onWait: (message) => options.onEvent?.({ type: 'connect:waiting', message }),
      onLeftOver: onNote,
    },
  );
}

/**
 * Where the round trip starts: after `from`, or after the newest baseline if that is later. A new
 * database is built through the baseline (the versions it replaces are only recorded), and a
 * baseline is rolled back by removing its record, so stepping through that part proves nothing.
 */
function startAfter(
  migrations: Migration[],
  from: string | undefined,
  onNote?: (message: string) => void,
): string | undefined {
  const baseline = baselinesOf(migrations).at(-1)?.migration;
  if (!baseline || (from !== undefined && from >= baseline.version)) return from;
  onNote?.(
    `Migrations up to baseline ${baseline.version}_${baseline.name} are applied once, through the baseline, as the start; the round trip covers those after it`,
  );
  return baseline.version;
}

/** The migrations up to `from` (applied once) and those after it (round-tripped). */
function splitAt(migrations: Migration[], from: string | undefined): { base: Migration[]; tested: Migration[] } {
  if (from === undefined) return { base: [], tested: migrations };
  if (!migrations.some((m) => m.version === from)) {
    throw new UsageError(
      `test --from ${from}: no migration has that version`,
      remedy`give the version of a migration in the folder (see ${operation('status')})`,
      'UNKNOWN_VERSION',
    );
  }
  return { base: migrations.filter((m) => m.version <= from), tested: migrations.filter((m) => m.version > from) };
}

/** Two tenant schemas that match the pattern (one if the pattern has no wildcard). */
export function tenantNames(pattern: string): string[] {
  if (!pattern.includes('%')) return [pattern];
  return ['roundtrip_a', 'roundtrip_b'].map((s) => pattern.replace('%', s).replace(/%/g, ''));
}

class Runner {
  constructor(
    private readonly connection: Connection,
    private readonly options: RoundtripOptions,
    private readonly pattern: string,
  ) {}

  /** Applies the first `count` migrations once: the start that the round trip returns to. */
  async base(count: number): Promise<RoundtripFailure | undefined> {
    if (count === 0) return undefined;
    const failed = await this.run('up', count);
    if (!failed) return undefined;
    return {
      check: 'up-failed',
      message: `building up to the --from version failed in schema ${failed.schema}: ${failed.error}`,
      differences: [],
    };
  }

  async all(migrations: Migration[]): Promise<RoundtripFailure | undefined> {
    const start = await this.snapshot();
    let before = start;
    for (const m of migrations) {
      const up = await this.step(m, 'up');
      if (up) return up;
      const after = await this.snapshot();
      const bad =
        (await this.step(m, 'down')) ??
        (await this.compare('down', before, m, 'its down does not undo its up')) ??
        (await this.step(m, 'up')) ??
        (await this.compare('redo', after, m, 'applying it again after its down gives a different schema'));
      if (bad) return bad;
      before = after;
    }
    if (migrations.length === 0) return undefined;
    const full = before;
    return (
      (await this.whole('down', migrations.length)) ??
      (await this.compare('down-all', start, undefined, 'down all does not return every schema to the empty start')) ??
      (await this.whole('up', migrations.length)) ??
      (await this.compare(
        'up-all',
        full,
        undefined,
        'up all after down all gives a different schema than the first up all',
      ))
    );
  }

  private engine() {
    return {
      connection: this.connection,
      migrationsDir: this.options.migrationsDir,
      tenantPattern: this.pattern,
      signal: this.options.signal,
    };
  }

  /** One version up or down; a SQL failure is a failure of the test, named with its error. */
  private async step(m: Migration, direction: 'up' | 'down'): Promise<RoundtripFailure | undefined> {
    const failed = await this.run(direction, 1);
    if (!failed) return undefined;
    const file = direction === 'up' ? m.up.file : m.down!.file;
    const message = `${m.version}_${m.name}: its ${direction} failed in schema ${failed.schema}: ${failed.error}`;
    return {
      check: direction === 'up' ? 'up-failed' : 'down-failed',
      message,
      migration: ref(m, this.options.migrationsDir, file),
      differences: [],
    };
  }

  private async whole(direction: 'up' | 'down', steps: number): Promise<RoundtripFailure | undefined> {
    const failed = await this.run(direction, steps);
    if (!failed) return undefined;
    return {
      check: direction === 'up' ? 'up-failed' : 'down-failed',
      message: `${direction} all failed in schema ${failed.schema}: ${failed.error}`,
      differences: [],
    };
  }

  /**
   * The first failure of one up or down. A run that Ctrl-C stopped part way left some schemas
   * undone: comparing its snapshot would blame a down that is fine, so it ends the test instead.
   */
  private async run(direction: 'up' | 'down', steps: number): Promise<FailedEntry | undefined> {
    if (!this.options.signal?.aborted) {
      const { result } =
        direction === 'up' ? await migrate(this.engine(), { steps }) : await rollback(this.engine(), { steps });
      if (!result?.interrupted) return result?.failed[0];
    }
    throw new OperationError('Interrupted: the scratch database was dropped', 'INTERRUPTED');
  }

  private async compare(
    check: Check,
    expected: Snapshot,
    m: Migration | undefined,
    message: string,
  ): Promise<RoundtripFailure | undefined> {
    const differences = compareSnapshots(expected, await this.snapshot());
    const ok = differences.length === 0;
    this.options.onEvent?.({ type: 'roundtrip:step', step: { check, version: m?.version, name: m?.name, ok } });
    if (ok) return undefined;
    const file = check === 'down' ? m?.down?.file : m?.up.file;
    return {
      check,
      message: m ? `${m.version}_${m.name}: ${message}` : message,
      migration: m && ref(m, this.options.migrationsDir, file),
      differences,
    };
  }

  private snapshot(): Promise<Snapshot> {
    return withClient(this.connection, {}, takeSnapshot);
  }
}

function ref(m: Migration, dir: string, file = m.up.file) {
  return { version: m.version, name: m.name, file: join(dir, file) };
}
