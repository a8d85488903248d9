// Generated scripts as a list of statements, each with the comment lines the engine writes
// above it (`-- CreateTable`), so that statements can be left out without orphaning comments.
import { splitStatements } from '../migrations/sql-split';

export interface ScriptStatement {
  /** The comment lines above it, as written (may be empty). */
  comments: string;
  /** The statement itself, without its `;`. */
  sql: string;
}

export function statementsOf(script: string): ScriptStatement[] {
  let previousEnd = 0;
  return splitStatements(script).map((st) => {
    const comments = script
      .slice(previousEnd, st.offset)
      .split('\n')
      .filter((l) => /^\s*--/.test(l))
      .join('\n');
    previousEnd = st.offset + st.text.length;
    if (script[previousEnd] === ';') previousEnd++;
    return { comments, sql: st.text };
  });
}

export function scriptOf(statements: ScriptStatement[]): string {
  if (!statements.length) return '';
  return `${statements.map((s) => (s.comments ? `${s.comments}\n${s.sql};` : `${s.sql};`)).join('\n\n')}\n`;
}
