// One CLI invocation, from argv and environment to an exit code. Kept apart from main.ts (which
// owns the process) so that nothing here exits or reads globals.
import { UsageError, type ExitCode } from '../index';
import { urlPasswords, loadConfig, EXIT, type Config } from '../internal';
import {
  boolFlag,
  findCommand as findCommandName,
  GLOBAL_FLAGS,
  parseArgs,
  progressIntervalArg,
  stringFlag,
} from './args';
import { type AdviceContext } from './advice';
import { parseDotenv } from './dotenv';
import { findCommand } from './commands/index';
import { invocationContext, type Command, type CommandContext, type FleetContext, type Invocation } from './context';
import { runOverFleet, targetsFileOf } from './fleet';
import { Output } from './output';
import { show, showError } from './show';
import { targetLine } from './target';
import { commandUsage, generalUsage } from './usage';
import { asksForVersion, TOOL_VERSION } from './version';

export async function runInvocation(inv: Invocation): Promise<ExitCode> {
  const json = inv.argv.includes('--json') || inv.argv.includes('-json');
  const out = new Output(json, inv.streams);
  addSecrets(out, inv.env);
  const advice: AdviceContext = {};
  try {
    const command = commandOf(inv);
    if (typeof command === 'number') return command;
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
    return await runOnOne(command, { ...invocationContext(inv), args, config, out }, out, advice);
  } catch (error) {
    return showError(error, out, advice);
  } finally {
    out.clearProgress(); // a command that failed half-way leaves no progress ticking behind it
  }
}

/** The command named, or the exit code of what was asked instead (the version, help). */
function commandOf(inv: Invocation): Command | ExitCode {
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
  return command;
}

/** One database: the whole of it to a command that takes a fleet at once (a fleet of one), else execute and show. */
async function runOnOne(command: Command, ctx: CommandContext, out: Output, advice: AdviceContext): Promise<ExitCode> {
  const whole = await command.wholeFleet?.({ ...ctx, out, fleet: fleetOfOne(ctx) });
  if (whole !== undefined) return whole;
  return show(command.render(await command.execute(ctx), ctx), out, advice);
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

/** One database is a fleet of one: a command that takes the whole fleet (up's rollout) takes it too. */
function fleetOfOne(ctx: CommandContext): FleetContext {
  const connection = ctx.config.connection!;
  return {
    targets: [{ name: connection.database, connection, labels: {} }],
    options: { failFast: boolFlag(ctx.args, 'fail-fast'), signal: ctx.signal },
    contextFor: () => ctx,
    fromFile: false,
  };
}
