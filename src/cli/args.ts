// Argument parsing for both invocation styles:
//   migrate-tool up 2 --tenant company_x --json
//   migrate-tool -action=up -steps=2 -tenant=company_x
// A single-dash word (`-steps=2`) is read as the double-dash flag of the same name.
import { parseArgs as nodeParseArgs } from 'node:util';
import { UsageError } from '../index';
import { DEFAULTS } from '../internal';
import { DEFAULT_PROGRESS_INTERVAL_S } from './output';

export type FlagType = 'boolean' | 'string' | 'optional-string';

export interface FlagSpec {
  type: FlagType;
  desc: string;
  /** Placeholder shown in help, e.g. `S` in `--tenant S`. */
  value?: string;
  /** The flag may be given more than once: every value is kept, in order, in `lists`. */
  multiple?: boolean;
}

export type FlagSpecs = Record<string, FlagSpec>;

export interface ParsedArgs {
  command?: string;
  positionals: string[];
  flags: Record<string, string | boolean>;
  /** Every value of a flag that may be repeated (`multiple`), in the order given. */
  lists: Record<string, string[]>;
}

/** `--wait` without a value. */
export const DEFAULT_WAIT_S = 60;

export const GLOBAL_FLAGS: FlagSpecs = {
  action: { type: 'string', value: 'CMD', desc: 'the command, Go-tool style (-action=up)' },
  help: { type: 'boolean', desc: 'print usage' },
  json: { type: 'boolean', desc: 'print one JSON document on stdout instead of text' },
  env: { type: 'string', value: 'ENV', desc: 'dev, test or prod (overrides APP_ENV)' },
  dir: { type: 'string', value: 'DIR', desc: 'migrations folder (overrides MIGRATIONS_DIR)' },
  concurrency: {
    type: 'string',
    value: 'N',
    desc: `tenant schemas migrated at once (default ${DEFAULTS.concurrency})`,
  },
  'fail-fast': { type: 'boolean', desc: 'stop at the first failing tenant schema' },
  'lock-timeout': {
    type: 'string',
    value: 'S',
    desc: `seconds to wait for another run's lock (default ${DEFAULTS.lockTimeoutMs / 1000})`,
  },
  'ddl-lock-timeout': {
    type: 'string',
    value: 'T',
    desc: `lock_timeout for each migration statement: 500ms, 0.5, 2s (default ${DEFAULTS.ddlLockTimeoutMs / 1000}s)`,
  },
  wait: {
    type: 'optional-string',
    value: 'S',
    desc: `retry connecting until the server accepts (default ${DEFAULT_WAIT_S} s)`,
  },
  'dry-run': { type: 'boolean', desc: 'print the plan and change nothing' },
  yes: { type: 'boolean', desc: 'confirm destructive commands in prod without a prompt' },
  // A fleet (src/cli/fleet.ts): many databases in one job.
  targets: {
    type: 'string',
    value: 'FILE',
    desc: 'run over every database of a targets file (or set MIGRATE_TARGETS)',
  },
  target: {
    type: 'string',
    value: 'NAME',
    multiple: true,
    desc: 'only these targets: names (comma list, repeatable) or a label, e.g. region=eu',
  },
  'targets-concurrency': {
    type: 'string',
    value: 'N',
    desc: 'targets worked on at once (default 2; one at a time per server)',
  },
  'progress-interval': {
    type: 'string',
    value: 'S',
    desc: `without a terminal (a log), a progress line on stderr every S seconds (default ${DEFAULT_PROGRESS_INTERVAL_S}; 0: none)`,
  },
};

/** The command named by the first positional or by --action, found before flags are checked. */
export function findCommand(argv: string[]): string | undefined {
  const tokens = normalize(argv);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.startsWith('--action=')) return t.slice('--action='.length);
    if (t === '--action') return tokens[i + 1];
  }
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t === '--') return tokens[i + 1];
    if (!t.startsWith('-')) return t;
    const name = t.slice(2);
    if (!name.includes('=') && GLOBAL_FLAGS[name]?.type === 'string') i++; // skip its value
  }
  return undefined;
}

/**
 * Node's own parser splits the words (`--name value`, `--name=value`, `--`, repeated flags); the
 * checks and their messages are ours. It runs without its strict mode, whose errors name no
 * remedy, and an optional value (`--wait`, `--wait=30`) is declared to it as a boolean, so that
 * `--wait` never takes the next word.
 */
export function parseArgs(argv: string[], specs: FlagSpecs): ParsedArgs {
  const options = Object.fromEntries(
    Object.entries(specs).map(([name, spec]) => [
      name,
      { type: spec.type === 'string' ? 'string' : 'boolean' } as const,
    ]),
  );
  const { tokens } = nodeParseArgs({
    args: normalize(argv),
    options,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  const flags: Record<string, string | boolean> = {};
  const lists: Record<string, string[]> = {};
  const positionals: string[] = [];
  for (const t of tokens) {
    if (t.kind === 'positional') positionals.push(t.value);
    if (t.kind !== 'option') continue;
    const value = flagValue(t.name, specs[t.name], t.value, t.inlineValue);
    flags[t.name] = value;
    if (specs[t.name]!.multiple && typeof value === 'string') (lists[t.name] ??= []).push(value);
  }
  let command = typeof flags.action === 'string' ? flags.action : undefined;
  if (!command) command = positionals.shift();
  else delete flags.action;
  return { command, positionals, flags, lists };
}

/** A flag's value as its spec reads it: a boolean takes only true/false after `=`, a value never starts with `--`. */
function flagValue(name: string, spec: FlagSpec | undefined, value: string | undefined, inline?: boolean) {
  if (!spec) throw new UsageError(`Unknown flag --${name}`, 'see migrate-tool --help');
  if (spec.type === 'boolean') {
    if (value !== undefined && !['true', 'false'].includes(value))
      throw new UsageError(`--${name} takes no value`, `write --${name} alone`);
    return value === undefined || value === 'true';
  }
  if (spec.type === 'optional-string') return value ?? true;
  if (value === undefined || (!inline && value.startsWith('--')))
    throw new UsageError(`--${name} needs a value`, `write --${name}=${spec.value ?? 'VALUE'}`);
  return value;
}

/** `-steps=2` → `--steps=2`; `-h` → `--help`; negative numbers and `-` stay as they are. */
function normalize(argv: string[]): string[] {
  return argv.map((a) => {
    if (a === '-h') return '--help';
    return /^-[a-zA-Z][\w-]*(=|$)/.test(a) ? `-${a}` : a;
  });
}

export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags[name];
  return typeof v === 'string' ? v : undefined;
}

export function boolFlag(args: ParsedArgs, name: string): boolean {
  return args.flags[name] === true;
}

/** A whole number from a flag or positional, with a usage error that names it. */
export function intArg(value: string | undefined, what: string, { min = 0, max = Infinity } = {}): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    const range = max < Infinity ? ` from ${min} to ${max}` : min > 0 ? ` of at least ${min}` : '';
    throw new UsageError(`${what} must be a whole number${range} (got "${value}")`);
  }
  return Number(value);
}

/** lock_timeout is an int of milliseconds on the server. */
const MAX_TIMEOUT_MS = 2_147_483_647;

/**
 * A duration in milliseconds from `500ms`, `0.5`, `2s` or `2` (a bare number is seconds). Zero is
 * refused, not passed on: PostgreSQL reads a lock_timeout of 0 as "wait forever".
 */
export function durationArg(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+(?:\.\d*)?|\.\d+)(ms|s)?$/.exec(value);
  const ms = m ? Math.round(Number(m[1]) * (m[2] === 'ms' ? 1 : 1000)) : NaN;
  if (!(ms >= 1 && ms <= MAX_TIMEOUT_MS)) {
    throw new UsageError(
      `${what} must be a duration of at least 1ms, like 500ms, 0.5 or 2s (got "${value}")`,
      m && ms < 1
        ? `0 would let a statement wait for its lock forever, with the application queued behind it; use e.g. ${what}=500ms`
        : `write e.g. ${what}=500ms`,
    );
  }
  return ms;
}

/** `--progress-interval S` in ms: seconds, fractions allowed (tests and impatient logs), 0 for none. */
export function progressIntervalArg(value: string | undefined): number {
  if (value === undefined) return DEFAULT_PROGRESS_INTERVAL_S * 1000;
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(value))
    throw new UsageError(
      `--progress-interval must be a number of seconds, like 5 or 0.5 (got "${value}")`,
      'write e.g. --progress-interval=30, or --progress-interval=0 for no progress line',
      'BAD_PROGRESS_INTERVAL',
    );
  return Math.ceil(Number(value) * 1000);
}
