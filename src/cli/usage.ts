// Help text, built from the command registry so it cannot drift from what the parser accepts.
import { GLOBAL_FLAGS, type FlagSpecs } from './args';
import type { Command } from './context';
import { COMMANDS } from './commands/index';

export function generalUsage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.usage.split(' ')[0]!.length));
  return [
    'migrate-tool: versioned PostgreSQL migrations for public and every tenant schema',
    '',
    'Usage:',
    '  migrate-tool <command> [args] [flags]',
    '  migrate-tool -action=<command> [-steps=N] [-version=V] [-name=NAME] [-env=prod]',
    '  migrate-tool --version          print the version of migrate-tool itself',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    `  ${'help'.padEnd(width)}  print this, or \`help <command>\``,
    '',
    'Global flags:',
    ...flagLines(GLOBAL_FLAGS, ['action', 'help']),
    '',
    'The target is always POSTGRES_DB_PROD (or DATABASE_URL), or every database of a targets file',
    '(--targets FILE or MIGRATE_TARGETS; up, down, version, status, tenants, force, seed, backup, drift, report, plan). Exit codes: 0 done, 1 failed,',
    '2 usage or configuration error (nothing touched), 3 status --exit-code found pending or dirty,',
    'or drift found a schema that differs from its recorded migrations, or plan found a lock held over --max-lock-ms.',
  ].join('\n');
}

export function commandUsage(c: Command): string {
  return [
    `migrate-tool ${c.usage}`,
    '',
    `  ${c.summary}`,
    ...(c.flags ? ['', 'Flags:', ...flagLines(c.flags)] : []),
    '',
    'Global flags: see migrate-tool --help',
  ].join('\n');
}

function flagLines(specs: FlagSpecs, hide: string[] = []): string[] {
  const entries = Object.entries(specs).filter(([name]) => !hide.includes(name));
  const label = ([name, s]: [string, FlagSpecs[string]]) =>
    `--${name}${s.type === 'string' ? ` ${s.value ?? 'X'}` : s.type === 'optional-string' ? `[=${s.value ?? 'X'}]` : ''}`;
  const width = Math.max(...entries.map((e) => label(e).length));
  return entries.map((e) => `  ${label(e).padEnd(width)}  ${e[1].desc}`);
}
