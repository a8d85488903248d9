// Baselines: one migration that builds, from empty, the schema a range of older migrations of its
// scope builds (`diff --baseline` writes them). Its opening comment lines say which range it replaces:
//
//   -- migrate:baseline replaces 20240101000000..20251210220000
//
// The older files stay in the folder: they are what existing schemas were built with. Per schema:
// - where some or all of the replaced versions are applied, the missing ones run as before and the
//   baseline is then recorded without running (it would only build what is there);
// - where none is applied (a new database, a new tenant schema), the baseline runs, and the
//   replaced versions are then recorded without running, so every schema has the same history;
// - rolling a baseline back removes its record only: the replaced versions, still recorded,
//   describe the very same schema.
import { UsageError } from '../errors';
import { operation, remedy } from '../remedy';
import type { Migration } from './files';
import type { PlanStep } from './plan';
import type { SchemaState } from './state';

export const BASELINE_RE = /^-- migrate:baseline replaces (\d{14})\.\.(\d{14})[ \t]*\r?$/m;

export interface Baseline {
  migration: Migration;
  /** The migrations of its scope whose versions lie in its range, in version order. */
  replaced: Migration[];
}

/** The range named in the comment lines that open a baseline's up file; undefined for any other migration. */
export function baselineRange(m: Migration): { from: string; to: string } | undefined {
  const lines = m.up.text.split('\n');
  const opening = lines
    .slice(
      0,
      Math.max(
        0,
        lines.findIndex((l) => !l.startsWith('--')),
      ),
    )
    .join('\n');
  const match = BASELINE_RE.exec(opening);
  return match ? { from: match[1]!, to: match[2]! } : undefined;
}

export function baselinesOf(migrations: Migration[]): Baseline[] {
  const out: Baseline[] = [];
  for (const m of migrations) {
    const range = baselineRange(m);
    if (!range) continue;
    const replaced = migrations.filter(
      (r) => r !== m && r.scope === m.scope && r.version >= range.from && r.version <= range.to,
    );
    if (range.to >= m.version || replaced.length === 0) {
      throw new UsageError(
        `${m.up.file} is a baseline of ${range.from}..${range.to}, but ${range.to >= m.version ? 'its own version is not after that range' : `no ${m.scope} migration of that range is in the folder`}`,
        remedy`keep the files a baseline replaces in the folder (existing databases were built with them), or regenerate it with ${operation('generateBaseline')}`,
        'BAD_BASELINE',
      );
    }
    out.push({ migration: m, replaced });
  }
  return out;
}

/** The same migration, recorded as applied (or, going down, its record removed) without running any SQL. */
function recordOnly(step: PlanStep, schemas: string[], reason: string, migration = step.migration): PlanStep {
  const nothing = { ...migration.up, statements: [], noTransaction: false };
  const m: Migration = {
    ...migration,
    up: nothing,
    down: { ...(migration.down ?? migration.up), statements: [], noTransaction: false },
  };
  return { ...step, migration: m, schemas, recordOnly: reason };
}

/** planUp's steps with every baseline of the folder applied as the header comment describes. */
export function withBaselinesUp(migrations: Migration[], steps: PlanStep[], schemas: SchemaState[]): PlanStep[] {
  const byName = new Map(schemas.map((s) => [s.schema, s]));
  const applied = (schema: string, version: string) => byName.get(schema)?.applied.has(version) ?? false;
  return baselinesOf(migrations).reduce((current, b) => oneBaselineUp(current, b, applied), steps);
}

function oneBaselineUp(
  steps: PlanStep[],
  b: Baseline,
  applied: (schema: string, version: string) => boolean,
): PlanStep[] {
  const version = b.migration.version;
  const replaced = new Set(b.replaced.map((r) => r.version));
  const own = steps.find((s) => s.migration.version === version && !s.recordOnly);
  // Schemas the baseline builds now: none of what it replaces is there.
  const fresh = new Set(own?.schemas.filter((s) => b.replaced.every((r) => !applied(s, r.version))));
  const out: PlanStep[] = [];
  for (const step of steps) {
    if (replaced.has(step.migration.version) && !step.recordOnly) {
      // A schema where the baseline already ran (a run stopped before recording these) only needs the records.
      const built = step.schemas.filter((s) => applied(s, version));
      const run = step.schemas.filter((s) => !fresh.has(s) && !built.includes(s));
      if (run.length) out.push({ ...step, schemas: run });
      if (built.length) out.push(recordOnly(step, built, `built by baseline ${version}`));
    } else if (step === own) {
      const existing = step.schemas.filter((s) => !fresh.has(s));
      if (fresh.size) out.push({ ...step, schemas: [...fresh] });
      for (const r of b.replaced) {
        const template = steps.find((s) => s.migration === r);
        if (template && fresh.size)
          out.push(
            recordOnly(
              template,
              [...fresh].filter((s) => template.schemas.includes(s)),
              `built by baseline ${version}`,
            ),
          );
      }
      if (existing.length)
        out.push(recordOnly(step, existing, 'a baseline: the versions it replaces are applied there'));
    } else {
      out.push(step);
    }
  }
  return out.filter((s) => s.schemas.length > 0);
}

/** planDown's steps: a baseline's record is removed without running SQL, where what it replaces is recorded. */
export function withBaselinesDown(migrations: Migration[], steps: PlanStep[], schemas: SchemaState[]): PlanStep[] {
  const baselines = new Map(baselinesOf(migrations).map((b) => [b.migration.version, b]));
  const byName = new Map(schemas.map((s) => [s.schema, s]));
  return steps.map((step) => {
    const b = baselines.get(step.migration.version);
    if (!b) return step;
    const gap = step.schemas.find((s) => b.replaced.some((r) => !byName.get(s)?.applied.has(r.version)));
    if (gap) {
      throw new UsageError(
        `Version ${b.migration.version} is a baseline and the versions it replaces are not all recorded in schema ${gap}, so rolling it back there would leave no record of what the schema holds; nothing was rolled back`,
        remedy`record them first: ${operation('migrate', { schema: gap })} records them without running SQL`,
        'BASELINE_GAP',
        { schema: gap },
      );
    }
    return recordOnly(
      step,
      step.schemas,
      'a baseline: the versions it replaces stay recorded and describe the same schema',
    );
  });
}
