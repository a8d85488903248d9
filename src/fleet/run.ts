// Running one job over a fleet: `--target` selection, and a scheduler that runs a callback per
// target with bounded concurrency overall and one target at a time per server (each engine run
// already opens up to --concurrency connections there). The callback is all a command supplies,
// so any command runs over a fleet by handing its own per-target function.
import { UsageError } from '../errors';
import type { Target } from './targets';

/**
 * `--target eu-1,us-1` (names) or `--target region=eu` (a label); several selectors add up.
 * A name or label that matches nothing is refused: a typo must not silently shrink the run.
 */
export function selectTargets(targets: Target[], selectors: string[]): Target[] {
  const wanted = selectors
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  if (wanted.length === 0) return targets;
  const chosen = new Set<Target>();
  for (const selector of wanted) {
    const eq = selector.indexOf('=');
    const matches =
      eq === -1
        ? targets.filter((t) => t.name === selector)
        : targets.filter((t) => t.labels[selector.slice(0, eq)] === selector.slice(eq + 1));
    if (matches.length === 0) {
      throw new UsageError(
        `--target ${selector} matches no target (targets: ${targets.map((t) => t.name).join(', ')})`,
        'name a target of the targets file, or a label as key=value',
        'UNKNOWN_TARGET',
      );
    }
    for (const t of matches) chosen.add(t);
  }
  return targets.filter((t) => chosen.has(t)); // in the file's order
}

export interface FleetOptions {
  /** Targets worked on at once (default 2); targets on the same server never run at the same time. */
  concurrency?: number;
  /** After the first target that fails, start no other. */
  failFast?: boolean;
  signal?: AbortSignal;
}

export const DEFAULT_TARGETS_CONCURRENCY = 2;

export interface TargetOutcome<T> {
  target: Target;
  value?: T;
  error?: unknown;
  /** Not started: --fail-fast after another target failed, or the run was interrupted. */
  notRun?: true;
}

/**
 * Runs `fn` for every target and returns one outcome per target, in the targets' order. A target
 * whose callback throws (unreachable, lock not obtained) fails alone; `failed` tells the scheduler
 * which successful values count as failures for --fail-fast (a run with failed tenants).
 */
export async function overFleet<T>(
  targets: Target[],
  opts: FleetOptions,
  fn: (t: Target) => Promise<T>,
  failed?: (v: T) => boolean,
): Promise<TargetOutcome<T>[]> {
  const limit = Math.max(1, opts.concurrency ?? DEFAULT_TARGETS_CONCURRENCY);
  const outcomes = new Map<Target, TargetOutcome<T>>();
  const waiting = [...targets];
  const busyServers = new Set<string>();
  let stop = false;
  const server = (t: Target) => `${t.connection.host}:${t.connection.port}`;

  await new Promise<void>((resolve) => {
    let running = 0;
    const pump = () => {
      if (stop || opts.signal?.aborted) {
        for (const t of waiting.splice(0)) outcomes.set(t, { target: t, notRun: true });
      }
      while (running < limit) {
        const i = waiting.findIndex((t) => !busyServers.has(server(t)));
        if (i === -1) break;
        const [t] = waiting.splice(i, 1) as [Target];
        running++;
        busyServers.add(server(t));
        fn(t)
          .then(
            (value) => {
              outcomes.set(t, { target: t, value });
              if (failed?.(value) && opts.failFast) stop = true;
            },
            (error: unknown) => {
              outcomes.set(t, { target: t, error });
              if (opts.failFast) stop = true;
            },
          )
          .finally(() => {
            running--;
            busyServers.delete(server(t));
            pump();
          });
      }
      if (running === 0 && waiting.length === 0) resolve();
    };
    pump();
  });
  return targets.map((t) => outcomes.get(t)!);
}
