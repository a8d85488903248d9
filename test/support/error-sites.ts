// Finds where the engine (src/ outside src/cli) builds its errors, with each one's code and
// advice as written in the source: for the test that every error whose advice the CLI must
// phrase in its own terms (flags, commands, variables) has an entry in src/cli/advice.ts.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface ErrorSite {
  file: string;
  line: number;
  code?: string;
  message: string;
  advice?: string;
}

/** Argument order of each constructor: where the code and the advice are. */
const SHAPES: Record<string, { code: number; advice: number; defaultCode?: string }> = {
  'new OperationError(': { code: 1, advice: 2 },
  'new MigrateToolError(': { code: 1, advice: 2 },
  'new UsageError(': { code: 2, advice: 1, defaultCode: 'USAGE' },
  // db/connect.ts: fail(message, advice, code)
  'fail(': { code: 2, advice: 1 },
};

export function engineErrorSites(root: string): ErrorSite[] {
  const sites: ErrorSite[] = [];
  for (const file of sourceFiles(join(root, 'src'))) {
    const rel = relative(root, file);
    if (rel.startsWith(`src${'/'}cli`)) continue;
    const text = readFileSync(file, 'utf8');
    for (const [opener, shape] of Object.entries(SHAPES)) {
      for (let at = text.indexOf(opener); at !== -1; at = text.indexOf(opener, at + 1)) {
        if (opener === 'fail(' && /[\w.]$/.test(text.slice(0, at))) continue; // someFail( or x.fail(
        if (opener === 'fail(' && /function\s+$|const\s+$/.test(text.slice(Math.max(0, at - 12), at))) continue;
        const args = readArgs(text, at + opener.length);
        if (!args) continue;
        const literal = (i: number) => {
          const a = args[i]?.trim();
          return a && /^(['"`])[\s\S]*\1$/.test(a) ? a.slice(1, -1) : a;
        };
        const code = literal(shape.code);
        // A literal code, the default one, or each literal of an expression (`e.code ? 'A' : 'B'`).
        const codes =
          code === undefined ? [shape.defaultCode] : /^[A-Z][A-Z0-9_]*$/.test(code) ? [code] : [...code.matchAll(/'([A-Z][A-Z0-9_]*)'/g)].map((m) => m[1]);
        for (const one of codes.length ? codes : [undefined]) {
          sites.push({ file: rel, line: text.slice(0, at).split('\n').length, code: one, message: args[0]?.trim() ?? '', advice: literal(shape.advice) });
        }
      }
    }
    // The advice of LOCK_LOST is each operation's `afterLoss` (db/run-lock.ts).
    for (const m of text.matchAll(/afterLoss: (['`])((?:(?!\1)[^\\]|\\.)*)\1/g)) {
      sites.push({ file: rel, line: text.slice(0, m.index).split('\n').length, code: 'LOCK_LOST', message: '', advice: m[2] });
    }
  }
  return sites;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** The top-level arguments of a call, from just after its `(`: strings, templates and nesting skipped over. */
function readArgs(text: string, start: number): string[] | undefined {
  const args: string[] = [];
  let depth = 0;
  let from = start;
  for (let i = start; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "'" || ch === '"' || ch === '`') {
      i = skipString(text, i) - 1;
      continue;
    }
    if (ch === '/' && text[i + 1] === '/') {
      i = text.indexOf('\n', i);
      continue;
    }
    if ('([{'.includes(ch)) depth++;
    else if (')]}'.includes(ch)) {
      if (depth === 0) {
        const last = text.slice(from, i);
        if (last.trim()) args.push(last);
        return args;
      }
      depth--;
    } else if (ch === ',' && depth === 0) {
      args.push(text.slice(from, i));
      from = i + 1;
    }
  }
  return undefined;
}

/** Index just past the string or template literal that starts at `i`. */
function skipString(text: string, i: number): number {
  const quote = text[i]!;
  for (let j = i + 1; j < text.length; j++) {
    const ch = text[j]!;
    if (ch === '\\') j++;
    else if (ch === quote) return j + 1;
    else if (quote === '`' && ch === '$' && text[j + 1] === '{') {
      let depth = 0;
      for (j += 1; j < text.length; j++) {
        const c = text[j]!;
        if (c === "'" || c === '"' || c === '`') j = skipString(text, j) - 1;
        else if (c === '{') depth++;
        else if (c === '}' && --depth === 0) break;
      }
    }
  }
  return text.length;
}

/** Words that belong to the CLI, not the library: flags (not pg_dump's or pg_restore's), commands, environment variables. */
export const CLI_WORDS =
  /(?<!pg_restore|pg_dump)(^|[\s(`'"])--[a-z]|`migrate-tool |\b(POSTGRES_[A-Z_]+|DATABASE_URL|MIGRATIONS_DIR|SEEDS_DIR|BACKUP_DIR|BACKUP_RETENTION_DAYS|PRISMA_SCHEMA|TENANT_SCHEMA_PATTERN|APP_ENV)\b/;
