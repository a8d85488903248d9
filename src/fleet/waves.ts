// Planning a staged rollout: which pending tenant schemas form the canary, and how the rest is cut
// into waves. Pure: it works on lists of schemas per target, read by rollout.ts. The order is
// stable (targets in the file's order, schemas by name, taken round-robin across targets so that
// a wave spreads over the servers), so a re-run that finds fewer schemas pending resumes the same
// sequence where it stopped.
import { UsageError } from '../errors';
import { operation, remedy } from '../remedy';

export interface WaveItem {
  target: string;
  schema: string;
}

export interface RolloutPlan {
  canary: WaveItem[];
  waves: WaveItem[][];
}

/** Per target (in order): every tenant schema, and those with something pending. */
export interface Candidates {
  target: string;
  all: string[];
  pending: string[];
  /** Pending schemas that go last, in a wave of their own (`--largest-last`). */
  last?: string[];
}

export function planRollout(
  candidates: Candidates[],
  spec: { canary?: string[] | number; waves?: string },
  fleet: boolean,
): RolloutPlan {
  const ordered = roundRobin(
    candidates.map((c) => [...c.pending].sort().map((schema) => ({ target: c.target, schema }))),
  );
  // `--largest-last`: kept out of the canary count and the waves, and run last in a wave of their own.
  const last = new Set(candidates.flatMap((c) => (c.last ?? []).map((schema) => key({ target: c.target, schema }))));
  const canary = pickCanary(
    candidates,
    ordered.filter((i) => !last.has(key(i))),
    spec.canary,
    fleet,
  );
  const inCanary = new Set(canary.map(key));
  const rest = ordered.filter((i) => !inCanary.has(key(i)) && !last.has(key(i)));
  const size = spec.waves === undefined ? rest.length : share(spec.waves, rest.length, '--waves', 1);
  const waves: WaveItem[][] = [];
  const rank = new Map(candidates.map((c, i) => [c.target, i]));
  const byTarget = (a: WaveItem, b: WaveItem) =>
    rank.get(a.target)! - rank.get(b.target)! || (a.schema < b.schema ? -1 : 1);
  for (let i = 0; i < rest.length; i += Math.max(1, size))
    waves.push(rest.slice(i, i + Math.max(1, size)).sort(byTarget));
  const largest = ordered.filter((i) => !inCanary.has(key(i)) && last.has(key(i)));
  if (largest.length) waves.push(largest.sort(byTarget));
  return { canary, waves };
}

/** `N` or `P%` of `total`: a wave size (at least `min`), or a failure budget (at least 0). */
export function share(spec: string, total: number, what: string, min = 0): number {
  const m = /^(\d+)(%?)$/.exec(spec.trim());
  if (!m || (m[2] && Number(m[1]) > 100) || Number(m[1]) < min) {
    throw new UsageError(
      `${what} must be a whole number${min ? ` of at least ${min}` : ''} or a percentage like 25% (got "${spec}")`,
      undefined,
      'BAD_ROLLOUT',
    );
  }
  if (!m[2]) return Number(m[1]);
  // A wave rounds up (10% of 5 schemas is one schema, not none); a budget rounds down.
  const exact = (total * Number(m[1])) / 100;
  return min ? Math.max(min, Math.ceil(exact)) : Math.floor(exact);
}

function pickCanary(
  candidates: Candidates[],
  ordered: WaveItem[],
  spec: string[] | number | undefined,
  fleet: boolean,
): WaveItem[] {
  if (spec === undefined) return [];
  if (typeof spec === 'number' || (spec.length === 1 && /^\d+$/.test(spec[0]!))) return ordered.slice(0, Number(spec));
  const picked: WaveItem[] = [];
  for (const entry of spec) {
    const colon = entry.indexOf(':');
    if (colon !== -1 && !fleet)
      throw new UsageError(
        `--canary ${entry}: target:schema needs a targets file`,
        'name the schema alone on a single database',
        'BAD_CANARY',
      );
    const target = colon === -1 ? undefined : entry.slice(0, colon);
    const schema = colon === -1 ? entry : entry.slice(colon + 1);
    const where = candidates.filter((c) => (target === undefined || c.target === target) && c.all.includes(schema));
    if (where.length === 0) {
      throw new UsageError(
        `--canary ${entry}: no ${target ? `target ${target} with ` : ''}tenant schema ${schema}`,
        remedy`run ${operation('tenants')} to list them; nothing was changed`,
        'BAD_CANARY',
      );
    }
    // A canary already up to date has nothing left to prove: the rollout goes on from the waves.
    for (const c of where) if (c.pending.includes(schema)) picked.push({ target: c.target, schema });
  }
  return picked;
}

function roundRobin(lists: WaveItem[][]): WaveItem[] {
  const out: WaveItem[] = [];
  for (let i = 0; lists.some((l) => i < l.length); i++) for (const l of lists) if (i < l.length) out.push(l[i]!);
  return out;
}

const key = (i: WaveItem) => `${i.target}\u0000${i.schema}`;

/** Parses `--canary`: a count, or a comma list of schemas (`target:schema` in a fleet). */
export function parseCanary(value: string): string[] | number {
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
