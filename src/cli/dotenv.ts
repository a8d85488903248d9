// The .env file, read strictly. Node's own parser skips a line it cannot read by joining it to the
// next one, so `POSTGRES_SSLMODE disable` on the line before `APP_ENV=prod` silently loses APP_ENV
// (and `down` then runs as dev). Here every line must be blank, a comment or KEY=value; any other
// line stops the run before anything is configured, named by its number (never by its text, which
// may hold a password).
import { parseEnv } from 'node:util';
import { UsageError } from '../index';

// KEY=value, with `export ` and spaces around `=` allowed as Node's parser allows them.
const ENTRY = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=(.*)$/;
const SKIPPED = /^\s*(?:#.*)?$/;
// A quoted value ends on its own line, followed by nothing but spaces or a comment: a value that
// runs on would take the lines after it as its text.
const QUOTED = /^\s*(["'`])(?:(?!\1).)*\1\s*(?:#.*)?$/;
// Control characters other than tab: a binary file, or one saved in another encoding.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/;

/** The settings of a .env file's bytes; throws a UsageError naming the first line that is not blank, a comment or KEY=value. */
export function parseDotenv(bytes: Uint8Array): Record<string, string> {
  const text = decode(bytes);
  const settings: Record<string, string> = {};
  text.split(/\r?\n/).forEach((line, index) => {
    const problem = lineProblem(line);
    if (problem) throw unreadable(index + 1, problem);
    const entry = ENTRY.exec(line);
    if (!entry) return;
    // Each line is parsed on its own, so no line can reach into the next. A quoted value follows
    // Node's rules for quotes and escapes; an unquoted one is cut at a `#` only after a space, as
    // compose reads its env files: `POSTGRES_PASSWORD=abc#123` is the password `abc#123`.
    const value = entry[2]!;
    settings[entry[1]!] = /^\s*["'`]/.test(value)
      ? (parseEnv(line)[entry[1]!] ?? '')
      : value.replace(/\s#.*$/, '').trim();
  });
  return settings;
}

function decode(bytes: Uint8Array): string {
  try {
    // A byte-order mark (some editors write one) is not part of the first key.
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new UsageError(
      '.env is not UTF-8 text',
      'replace it with a text file of KEY=value lines, or remove it; nothing was run',
      'DOTENV',
    );
  }
}

function lineProblem(line: string): string | undefined {
  if (CONTROL.test(line)) return 'holds control characters (is it a binary file?)';
  if (SKIPPED.test(line)) return undefined;
  const entry = ENTRY.exec(line);
  if (!entry) return `is not KEY=value, a comment or blank${startsWithKey(line)}`;
  const value = entry[2]!;
  if (/^\s*["'`]/.test(value) && !QUOTED.test(value))
    return `(${entry[1]}) has a quoted value that does not end on its line`;
  return undefined;
}

/**
 * The variable name a bad line starts with (`POSTGRES_SSLMODE disable`, `APP_ENV: prod`), to help
 * find it. Only a capitalised name followed by more text: a line that is one word may be a password.
 */
function startsWithKey(line: string): string {
  const word = /^\s*([A-Z][A-Z0-9_]*)(?:\s+|\s*:\s*)\S/.exec(line)?.[1];
  return word ? ` (it starts with ${word})` : '';
}

function unreadable(lineNumber: number, problem: string): UsageError {
  return new UsageError(
    `.env line ${lineNumber} ${problem}`,
    'write it as KEY=value, make it a comment (#) or remove it, then run again; nothing was run',
    'DOTENV',
  );
}
