// The progress line of `up` and `down`, made from the engine's events: schemas done/total,
// failed so far, the rate, an ETA and the version being applied. output.ts decides where it goes
// (redrawn on a terminal, a line every --progress-interval seconds in a log).
import type { Event } from '../index';
import { count, duration } from './format';
import type { Log } from './context';

type ProgressChange = 'changed' | 'ended';

export class RunProgress {
  private versions: string[] = [];
  private direction: 'up' | 'down' = 'up';
  private scope: 'global' | 'tenant' = 'tenant';
  private done = 0;
  private total = 0;
  private failed = 0;
  private startedAt = 0;
  private running = false;
  /** The next migration:start begins a new segment's list of versions. */
  private fresh = true;
  /** `-- migrate:backfill` files of this fan-out: rows done and estimated, per schema. */
  private backfills = new Map<string, { done: number; estimated: number }>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** A fan-out is under way. */
  get active(): boolean {
    return this.running;
  }

  /** Takes an event; says whether the line changed, or the fan-out ended (the line goes away). */
  onEvent(e: Event): ProgressChange | undefined {
    switch (e.type) {
      case 'migration:start':
        // The engine announces a segment's versions, then starts its fan-out (progress 0/N).
        if (this.fresh) this.versions = [];
        this.fresh = false;
        this.versions.push(`${e.version} (${e.name})`);
        this.direction = e.direction;
        this.scope = e.scope;
        return undefined;
      case 'schema:failed':
        this.failed++;
        return this.running ? 'changed' : undefined;
      case 'backfill':
        this.backfills.set(e.schema, { done: e.rowsDone, estimated: e.rowsEstimated });
        return this.running ? 'changed' : undefined;
      case 'progress':
        this.fresh = true;
        if (e.done === 0) this.backfills.clear();
        if (e.done === 0 || !this.running) this.startedAt = this.now();
        this.done = e.done;
        this.total = e.total;
        this.running = e.done < e.total;
        return this.running ? 'changed' : 'ended';
      default:
        return undefined;
    }
  }

  line(): string {
    const elapsed = this.now() - this.startedAt;
    const doing = `${this.direction === 'up' ? 'applying' : 'rolling back'} ${this.versionLabel()}${this.backfillLabel()}`;
    if (this.scope === 'global') return `public: ${doing}, ${duration(elapsed)} so far`;
    const parts = [`tenant schemas: ${count(this.done)}/${count(this.total)} in ${duration(elapsed)}`];
    if (this.failed) parts.push(`${count(this.failed)} failed`);
    // A rate needs something done; before that, the ETA would be a guess.
    if (this.done > 0 && elapsed > 0) {
      const perSecond = (this.done * 1000) / elapsed;
      parts.push(rate(perSecond));
      parts.push(`ETA ${duration(((this.total - this.done) * 1000) / perSecond)}`);
    }
    return `${parts.join(', ')}, ${doing}`;
  }

  /** Rows of the backfills so far, over every schema: `, backfill 12,000/200,000 rows`. */
  private backfillLabel(): string {
    if (!this.backfills.size) return '';
    let [done, estimated] = [0, 0];
    for (const b of this.backfills.values()) [done, estimated] = [done + b.done, estimated + b.estimated];
    return `, backfill ${count(done)}/${count(estimated)} rows`;
  }

  private versionLabel(): string {
    const [first, last] = [this.versions[0], this.versions.at(-1)];
    if (!first) return 'migrations';
    if (this.versions.length === 1) return first;
    return `${first.split(' ')[0]}..${last!.split(' ')[0]} (${this.versions.length} versions)`;
  }
}

/** Schemas per second, or per minute when slower than one a second (a stalled run reads 0.5/min, not 0.0/s). */
function rate(perSecond: number): string {
  if (perSecond >= 10) return `${Math.round(perSecond)} schemas/s`;
  if (perSecond >= 1) return `${perSecond.toFixed(1)} schemas/s`;
  return `${(perSecond * 60).toFixed(1)} schemas/min`;
}

/** The progress of one run, or of several at once (a rollout's targets: `[eu-1] ...`, side by side), on one output. */
export class ProgressBoard {
  private readonly runs = new Map<string, RunProgress>();

  constructor(
    private readonly out: Pick<Log, 'progress' | 'clearProgress'>,
    private readonly named = false,
  ) {}

  onEvent(e: Event, name = ''): void {
    let run = this.runs.get(name);
    if (!run) this.runs.set(name, (run = new RunProgress()));
    if (!run.onEvent(e)) return;
    if (![...this.runs.values()].some((r) => r.active)) return this.out.clearProgress();
    this.out.progress(() =>
      [...this.runs]
        .filter(([, r]) => r.active)
        .map(([n, r]) => `  ${this.named ? `[${n}] ` : ''}${r.line()}`)
        .join(' | '),
    );
  }
}
