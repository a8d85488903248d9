// The targets file: named databases that one job migrates together. Everything wrong with it is
// found before any connection and reported at once, one line each (exit 2). Secrets only ever come
// from the environment, by `${VAR}` reference: a password written into the file would end up in a
// repository, a config map or a log.
import { readFile } from 'node:fs/promises';
import { connectionFromEnv, type Connection } from '../config/connection';
import { tenantPatternProblem } from '../config/tenant-pattern';
import { ConfigError } from '../errors';

export interface Target {
  name: string;
  connection: Connection;
  labels: Record<string, string>;
  /** Overrides TENANT_SCHEMA_PATTERN for this target. */
  tenantPattern?: string;
}

/** A staged rollout, as the file's `rollout` key or the flags write it. */
export interface RolloutSpec {
  /** Tenant schemas (`target:schema` in a fleet), or how many of the first pending ones. */
  canary?: string[] | number;
  /** Schemas per wave: `N` or `P%` of the schemas in scope. */
  waves?: string;
  /** Failed schemas a wave may have before the rollout stops: `N` or `P%` of the wave (default 0). */
  failureBudget?: string;
  pause?: boolean;
  /** Wait this long after each stage (the canary, every wave) before the gate and the next stage. */
  soakMs?: number;
  /** A shell command run after each stage (and its soak): exit 0 lets the next stage start. */
  gate?: string;
  /** The schemas where `plan` estimates a lock held longer than this (ms) go last, in a wave of their own. */
  largestLastMs?: number;
}

export interface Fleet {
  targets: Target[];
  rollout?: RolloutSpec;
  /** The passwords the references resolved to: kept out of every line printed. */
  secrets: string[];
}

const TOP_KEYS = ['targets', 'rollout'];
const TARGET_KEYS = ['name', 'url', 'labels', 'tenantPattern'];
const ROLLOUT_KEYS = ['canary', 'waves', 'failureBudget', 'pause', 'soak', 'gate', 'largestLast'];
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Reads and checks a targets file (JSON, or YAML by its .yaml/.yml extension). */
export async function loadTargetsFile(file: string, env: Record<string, string | undefined>): Promise<Fleet> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError([
      `targets file ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}): set --targets or MIGRATE_TARGETS to its path`,
    ]);
  }
  let doc: unknown;
  try {
    doc = /\.ya?ml$/i.test(file) ? (await import('yaml')).parse(text) : JSON.parse(text);
  } catch (error) {
    throw new ConfigError([
      `targets file ${file} is not valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'}: ${(error as Error).message.split('\n')[0]}`,
    ]);
  }
  return parseTargets(doc, env, file);
}

/** Checks a parsed targets document; every problem at once, as a ConfigError. */
export function parseTargets(doc: unknown, env: Record<string, string | undefined>, file = 'targets file'): Fleet {
  const problems: string[] = [];
  const secrets: string[] = [];
  const targets: Target[] = [];
  if (!isObject(doc) || !Array.isArray(doc.targets)) {
    throw new ConfigError([
      `${file} must be an object with a "targets" list: {"targets": [{"name": "eu-1", "url": "postgres://app:\${EU1_PASSWORD}@db1:5432/main"}]}`,
    ]);
  }
  unknownKeys(doc, TOP_KEYS, file, problems);
  const seen = new Set<string>();
  doc.targets.forEach((raw: unknown, i: number) => {
    const where = `${file}: targets[${i}]`;
    if (!isObject(raw)) return void problems.push(`${where} must be an object with "name" and "url"`);
    unknownKeys(raw, TARGET_KEYS, where, problems);
    const name = raw.name;
    if (typeof name !== 'string' || !NAME.test(name)) {
      return void problems.push(
        `${where}: "name" must be letters, digits, ".", "_" or "-" (it names the target in reports and backup folders)`,
      );
    }
    const at = `${file}: target ${name}`;
    if (seen.has(name)) problems.push(`${at}: the name is used twice: give each target its own name`);
    seen.add(name);
    const connection = targetConnection(raw.url, env, at, problems, secrets);
    const labels = targetLabels(raw.labels, at, problems);
    let tenantPattern: string | undefined;
    if (raw.tenantPattern !== undefined) {
      const problem =
        typeof raw.tenantPattern === 'string' ? tenantPatternProblem(raw.tenantPattern) : 'must be a string';
      if (problem) problems.push(`${at}: tenantPattern ${problem}`);
      else tenantPattern = raw.tenantPattern as string;
    }
    if (connection) targets.push({ name, connection, labels, ...(tenantPattern ? { tenantPattern } : {}) });
  });
  if (doc.targets.length === 0) problems.push(`${file}: "targets" is empty: list at least one target`);
  const rollout = doc.rollout === undefined ? undefined : rolloutSpec(doc.rollout, file, problems);
  if (problems.length) throw new ConfigError(problems);
  return { targets, secrets, ...(rollout ? { rollout } : {}) };
}

function targetConnection(
  url: unknown,
  env: Record<string, string | undefined>,
  at: string,
  problems: string[],
  secrets: string[],
): Connection | undefined {
  if (typeof url !== 'string') return void problems.push(`${at}: "url" must be a postgres:// URL`);
  // The password, as written: only a whole `${VAR}` reference is accepted.
  const password = /^[a-z]+:\/\/[^:@/]*:([^@/]*)@/i.exec(url)?.[1];
  if (password !== undefined && password !== '' && !/^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(password)) {
    return void problems.push(
      `${at}: the url has a password written in it: refer to an environment variable instead, like postgres://app:\${EU1_PASSWORD}@host/db`,
    );
  }
  if (/[?&]password=/i.test(url))
    return void problems.push(
      `${at}: the url passes password= as a parameter: put \${VAR} in its place before the @ instead`,
    );
  let missing = false;
  const resolved = url.replace(REFERENCE, (_, name: string) => {
    const value = env[name];
    if (value === undefined || value === '') {
      problems.push(`${at}: environment variable ${name} is not set: set it (the url refers to it)`);
      missing = true;
      return '';
    }
    // Inside a URL's user-info the value must be percent-encoded, whatever characters it holds.
    if (password === `\${${name}}`) secrets.push(value);
    return encodeURIComponent(value);
  });
  if (missing) return undefined;
  const result = connectionFromEnv({ DATABASE_URL: resolved, POSTGRES_HOST: 'localhost', POSTGRES_PORT: 5432 });
  if ('problems' in result)
    return void problems.push(
      ...result.problems.map((p) => `${at}: ${p.replace(/DATABASE_URL|POSTGRES_DB_PROD|POSTGRES_USER/g, 'url')}`),
    );
  return result.connection;
}

function targetLabels(labels: unknown, at: string, problems: string[]): Record<string, string> {
  if (labels === undefined) return {};
  if (!isObject(labels) || Object.values(labels).some((v) => typeof v !== 'string')) {
    problems.push(`${at}: "labels" must be an object of strings, like {"region": "eu"}`);
    return {};
  }
  return labels as Record<string, string>;
}

function rolloutSpec(raw: unknown, file: string, problems: string[]): RolloutSpec | undefined {
  const at = `${file}: rollout`;
  if (!isObject(raw)) return void problems.push(`${at} must be an object like {"canary": 1, "waves": "25%"}`);
  unknownKeys(raw, ROLLOUT_KEYS, at, problems);
  const spec: RolloutSpec = {};
  const { canary, waves, failureBudget, pause } = raw;
  if (typeof canary === 'number' || (Array.isArray(canary) && canary.every((c) => typeof c === 'string')))
    spec.canary = canary as string[] | number;
  else if (canary !== undefined) problems.push(`${at}: "canary" must be a number or a list of schemas`);
  for (const [key, value] of [
    ['waves', waves],
    ['failureBudget', failureBudget],
  ] as const) {
    if (typeof value === 'number' || typeof value === 'string') spec[key] = String(value);
    else if (value !== undefined) problems.push(`${at}: "${key}" must be N or "P%"`);
  }
  if (typeof pause === 'boolean') spec.pause = pause;
  else if (pause !== undefined) problems.push(`${at}: "pause" must be true or false`);
  if (raw.soak !== undefined) {
    const ms = durationMs(raw.soak);
    if (ms === undefined)
      problems.push(`${at}: "soak" must be a duration like "30s", "10m" or "1h" (a number is seconds)`);
    else spec.soakMs = ms;
  }
  if (typeof raw.gate === 'string' && raw.gate.trim()) spec.gate = raw.gate;
  else if (raw.gate !== undefined)
    problems.push(`${at}: "gate" must be a shell command, like "curl -fsS http://app/health"`);
  const { largestLast } = raw;
  if (typeof largestLast === 'number' && Number.isInteger(largestLast) && largestLast >= 0)
    spec.largestLastMs = largestLast;
  else if (largestLast !== undefined)
    problems.push(`${at}: "largestLast" must be a whole number of milliseconds, as --largest-last takes`);
  return spec;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/** `500ms`, `30s`, `10m`, `1h`, or a number of seconds (`90`, `0.5`); undefined when it is none of these. */
export function durationMs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value * 1000) : undefined;
  const m = typeof value === 'string' ? /^(\d+(?:\.\d+)?)\s*(ms|s|min|m|h)?$/.exec(value.trim()) : null;
  return m ? Math.round(Number(m[1]) * UNIT_MS[m[2] ?? 's']!) : undefined;
}

function unknownKeys(obj: Record<string, unknown>, known: string[], at: string, problems: string[]): void {
  for (const key of Object.keys(obj))
    if (!known.includes(key)) problems.push(`${at}: unknown key "${key}" (known: ${known.join(', ')})`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
