// A global source file whose loops over the tenant schemas become tenant SQL (loops.ts) is cut into
// parts, in file order: runs of global statements and runs of converted loops. Each part becomes
// one migration (the first keeps the source's version, the others take the next free ones), and
// every part keeps the source's identifier, so `adopt` records all of them for one history entry.
import type { Scope } from '../migrations/files';
import { splitStatements } from '../migrations/sql-split';
import { convertLoop } from './loops';

export interface Part {
  scope: Scope;
  /** The part's SQL, ready for a file (without the import header). */
  text: string;
  changes: string[];
}

// A loop's unqualified names resolved in public (the source ran with the default search_path);
// here a tenant file runs with search_path set to its schema alone. These two lines put public
// behind it for this file, and take it away again for the files after it in the same transaction.
const TENANT_PROLOGUE = `-- As in the loop this comes from: names it did not qualify with the schema resolve in public.
SELECT set_config('search_path', quote_ident(current_schema()) || ', public', true);`;
const TENANT_EPILOGUE = `SELECT set_config('search_path', quote_ident(current_schema()), true);`;

const LOOP_ADVICE =
  "rewrite the loop as one EXECUTE format('... %I.table ...', schema) per statement (that is what can be converted), or import the file without that loop and write the step as a tenant migration with `migrate-tool create NAME --tenant`";

/**
 * The parts of one file's SQL, or undefined when it has no loop over the tenant schemas (it stays
 * one global file, byte for byte). A loop that cannot be converted is a problem naming its line.
 */
export function splitAtLoops(body: string, file: string, pattern: string, problems: string[]): Part[] | undefined {
  const parts: Part[] = [];
  let loops = 0;
  for (const st of splitStatements(body)) {
    const r = convertLoop(st.text, st.line, pattern);
    if (r.kind === 'refused') {
      problems.push(
        `${file}:${r.line}: a loop over the tenant schemas cannot become a tenant migration: ${r.why}; ${LOOP_ADVICE}`,
      );
      loops++;
      continue;
    }
    const scope: Scope = r.kind === 'tenant' ? 'tenant' : 'global';
    let last = parts.at(-1);
    if (last?.scope !== scope) parts.push((last = { scope, text: '', changes: [] }));
    if (r.kind === 'global') {
      last.text += `${st.text};\n`;
      continue;
    }
    loops++;
    last.text += r.statements.map((s) => `${s};\n`).join('');
    last.changes.push(
      `the loop over the tenant schemas at line ${st.line} converted to tenant SQL${r.dropped.length ? ` (${r.dropped.join(', ')} dropped)` : ''}`,
    );
  }
  if (loops === 0) return undefined;
  for (const p of parts) if (p.scope === 'tenant') p.text = `${TENANT_PROLOGUE}\n${p.text}${TENANT_EPILOGUE}\n`;
  return parts;
}

/** A down file's parts, merged per scope: each goes to the last up part of that scope. */
export function downByScope(parts: Part[] | undefined, body: string): Map<Scope, Part> {
  const out = new Map<Scope, Part>();
  for (const p of parts ?? [{ scope: 'global' as Scope, text: body, changes: [] }]) {
    const had = out.get(p.scope);
    out.set(p.scope, had ? { scope: p.scope, text: had.text + p.text, changes: [...had.changes, ...p.changes] } : p);
  }
  return out;
}
