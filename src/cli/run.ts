// One CLI invocation, from argv and environment to an exit code. Kept apart from main.ts (which
// owns the process) so that nothing here exits or reads globals.
import { isMigrateToolError, UsageError, type ExitCode } from '../index';
import { urlPasswords, loadConfig, EXIT, type Config } from '../internal';
import { findCommand as findCommandName, GLOBAL_FLAGS, parseArgs, progressIntervalArg, stringFlag } from './args';
import { describeError, type AdviceContext } from './advice';
import { parseDotenv } from './dotenv';
import { findCommand } from './commands/index';
import type { CommandContext } from './context';
import { runOverFleet, targetsFileOf } from './fleet';
import { Output, type Streams } from './output';
import { targetLine } from './target';
import { commandUsage, generalUsage } from './usage';
import { asksForVersion, TOOL_VERSION } from './version';

export interface Invocation {
  argv: string[];
  /** The real environment. */
  env: Record<string, string | undefined>;
  /** The working directory: paths in the output are written relative to it. */
  cwd: string;
  /** The bytes of the .env file in the working directory, when there is one: its settings fill in what `env` does not set. */
  dotenvFile?: Uint8Array;
  streams: Streams;
  signal: AbortSignal;
  hardSignal: AbortSignal;
  interactive: boolean;
  /** Runs in a container (main.ts looks for /.dockerenv, /run/.containerenv): connection advice depends on it. */
  inContainer?: boolean;
  ask(question: string): Promise<string>;
}

export async function runInvocation(inv: Invocation): Promise<ExitCode> {
  const json = inv.argv.includes('--json') || inv.argv.includes('-json');
  const out = new Output(json, inv.streams);
  addSecrets(out, inv.env);
  const advice: AdviceContext = {};
  try {
    const name = findCommandName(inv.argv);
    if (name === undefined && asksForVersion(inv.argv)) {
      inv.streams.stdout.write(`migrate-tool ${TOOL_VERSION}\n`);
      return EXIT.ok;
    }
    // Flags but no command (`-steps=2` without -action): say what is missing rather than print all the help.
    if (name === undefined && inv.argv.length > 0 && !asksForHelp(inv.argv)) throw noCommand();
    if (name === undefined || name === 'help') {
      const topic = name === 'help' ? inv.argv.filter((a) => !a.startsWith('-') && a !== 'help')[0] : undefined;
      const command = topic ? findCommand(topic) : undefined;
      if (topic && !command) throw unknownCommand(topic);
      inv.streams.stdout.write(`${command ? commandUsage(command) : generalUsage()}\n`);
      return name === undefined && !asksForHelp(inv.argv) ? EXIT.usage : EXIT.ok;
    }
    const command = findCommand(name);
    if (!command) throw unknownCommand(name);
    const args = parseArgs(inv.argv, { ...GLOBAL_FLAGS, ...command.flags });
    if (args.flags.help) {
      inv.streams.stdout.write(`${commandUsage(command)}\n`);
      return EXIT.ok;
    }
    out.progressIntervalMs = progressIntervalArg(stringFlag(args, 'progress-interval'));
    if (command.noDryRun && args.flags['dry-run']) {
      throw new UsageError(
        `${command.name} has no --dry-run; nothing was changed`,
        'run it without --dry-run',
        'NO_DRY_RUN',
      );
    }
    // A .env line that cannot be read stops every command before its configuration is loaded.
    const dotenv = inv.dotenvFile && parseDotenv(inv.dotenvFile);
    if (dotenv) {
      addSecrets(out, dotenv);
      inv = { ...inv, env: { ...dotenv, ...inv.env } };
    }
    const loadOptions = {
      needsDatabase: typeof command.database === 'function' ? command.database(args) : command.database,
      overrides: { appEnv: stringFlag(args, 'env'), migrationsDir: stringFlag(args, 'dir') },
    };
    const targetsFile = loadOptions.needsDatabase ? targetsFileOf(args, inv.env) : undefined;
    if (targetsFile) return await runOverFleet(command, args, inv, out, targetsFile, loadOptions);
    const config = inContainer(loadConfig(inv.env, loadOptions), inv.inContainer);
    out.addSecret(config.connection?.password);
    advice.connection = config.connection;
    const target = targetLine(config, { env: inv.env, dotenv }, loadOptions);
    if (target) out.note(target);
    const ctx: CommandContext = {
      args,
      config,
      out,
      signal: inv.signal,
      hardSignal: inv.hardSignal,
      interactive: inv.interactive,
      cwd: inv.cwd,
      ask: inv.ask,
      env: inv.env,
    };
    return await command.run(ctx);
  } catch (error) {
    return report(error, out, advice);
  } finally {
    out.clearProgress(); // a command that failed half-way leaves no progress ticking behind it
  }
}

function addSecrets(out: Output, env: Record<string, string | undefined>) {
  out.addSecret(env.POSTGRES_PASSWORD);
  for (const secret of urlPasswords(env.DATABASE_URL)) out.addSecret(secret);
}

function inContainer(config: Config, yes: boolean | undefined): Config {
  return yes && config.connection ? { ...config, connection: { ...config.connection, inContainer: true } } : config;
}

const asksForHelp = (argv: string[]) => argv.some((a) => /^--?(help|h)$/.test(a));

function noCommand(): UsageError {
  return new UsageError(
    'no command given',
    'name one first (migrate-tool up) or add -action=<command> (e.g. -action=up)',
    'NO_COMMAND',
  );
}

function unknownCommand(name: string): UsageError {
  return new UsageError(`Unknown command "${name}"`, 'run `migrate-tool help` for the list', 'UNKNOWN_COMMAND');
}

/** One line on stderr, ending in what to do; with --json also an error document on stdout. */
function report(error: unknown, out: Output, ctx: AdviceContext): ExitCode {
  if (isMigrateToolError(error)) {
    // Every error says what to do, in text and in --json alike: a script reads `advice` unconditionally.
    const advice =
      describeError(error, ctx) ??
      (error.exitCode === EXIT.usage
        ? 'correct what the message names, then run again (nothing was changed)'
        : 'see the message; re-run once it is fixed');
    out.note(`error: ${error.message}; fix: ${advice}`);
    out.data({ error: { code: error.code, message: error.message, advice } });
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  const advice = 'this is a bug in migrate-tool: report it with the command that was run';
  out.note(`error: ${message}; fix: ${advice}`);
  out.data({ error: { code: 'INTERNAL', message, advice } });
  return EXIT.failed;
}
