// The summary that ends every run (up, down, a fleet, a rollout): schemas migrated, failed and
// skipped, migrations applied, wall time, and the slowest schemas with their times. Made from the
// engine's results, one per target (and per stage in a rollout), so a fleet is one summary.
import type { Direction, RunResult } from '../index';
import { count, duration } from './format';

/** How many of the slowest schemas the summary names. */
const SLOWEST = 5;

export interface RunSummary {
  migrated: number;
  failed: number;
  skipped: number;
  applied: number;
  ms: number;
  slowest: Array<{ schema: string; ms: number }>;
}

export class Tally {
  private readonly done = new Set<string>();
  private readonly failed = new Set<string>();
  private readonly skipped = new Set<string>();
  private readonly times = new Map<string, number>();
  private applied = 0;
  private direction: Direction = 'up';

  /** One engine run; `target` names its schemas `target:schema` over a fleet. */
  add(result: RunResult, target?: string): void {
    const name = (schema: string) => (target ? `${target}:${schema}` : schema);
    this.direction = result.direction;
    this.applied += result.done.length;
    for (const d of result.done) this.done.add(name(d.schema));
    for (const f of result.failed) this.failed.add(name(f.schema));
    for (const s of result.skipped) this.skipped.add(name(s.schema));
    for (const [schema, ms] of result.timing?.schemaMs ?? [])
      this.times.set(name(schema), (this.times.get(name(schema)) ?? 0) + ms);
  }

  get empty(): boolean {
    return this.applied === 0 && this.failed.size === 0 && this.skipped.size === 0;
  }

  /** Each schema counts once: failed if anything failed in it, else skipped if anything was left, else migrated. */
  summary(ms: number): RunSummary {
    const skipped = [...this.skipped].filter((s) => !this.failed.has(s));
    const migrated = [...this.done].filter((s) => !this.failed.has(s) && !this.skipped.has(s));
    const slowest = [...this.times]
      .sort((a, b) => b[1] - a[1])
      .slice(0, SLOWEST)
      .map(([schema, t]) => ({ schema, ms: Math.round(t) }));
    return {
      migrated: migrated.length,
      failed: this.failed.size,
      skipped: skipped.length,
      applied: this.applied,
      ms: Math.round(ms),
      slowest,
    };
  }

  lines(ms: number): string[] {
    const s = this.summary(ms);
    const verb = this.direction === 'up' ? 'migrated' : 'rolled back';
    const plural = (n: number, word: string) => `${count(n)} ${word}${n === 1 ? '' : 's'}`;
    const out = [
      `Summary: ${plural(s.migrated, 'schema')} ${verb}, ${count(s.failed)} failed, ${count(s.skipped)} skipped; ` +
        `${plural(s.applied, 'migration')} ${this.direction === 'up' ? 'applied' : 'rolled back'}; ${duration(s.ms)} in all`,
    ];
    if (s.slowest.length)
      out.push(
        `Slowest schemas: ${s.slowest.map((t) => `${t.schema} ${t.ms < 1000 ? `${t.ms} ms` : duration(t.ms)}`).join(', ')}`,
      );
    return out;
  }
}
