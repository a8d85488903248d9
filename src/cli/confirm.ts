// Destructive commands in prod (down, force, restore) need a person to confirm, or --yes.
import { UsageError } from '../index';
import { boolFlag } from './args';
import { connectionOf, type CommandContext } from './context';

/** `describe` may be a function: it runs (reading the database, say) only when a confirmation is needed. */
export async function confirmInProd(ctx: CommandContext, describe: string | (() => Promise<string>)): Promise<void> {
  if (ctx.config.appEnv !== 'prod' || boolFlag(ctx.args, 'yes') || boolFlag(ctx.args, 'dry-run')) return;
  const database = connectionOf(ctx).database;
  const action = typeof describe === 'string' ? describe : await describe();
  if (!ctx.interactive) {
    throw new UsageError(
      `Refusing to ${action} in prod without confirmation; nothing was changed`,
      'pass --yes, or run it on a terminal to be asked',
      'NOT_CONFIRMED',
    );
  }
  const answer = await ctx.ask(`About to ${action} on ${database} (env: prod). Type the database name to go on: `);
  if (answer.trim() !== database)
    throw new UsageError('Not confirmed; nothing was changed', undefined, 'NOT_CONFIRMED');
}
