// The changes of a generated script in words (`Added column: bio (TEXT) in employees`), read
// from the statements Prisma's engine writes, so a reviewer sees data loss before reading SQL.
import { splitStatements } from '../migrations/sql-split';

export interface Change {
  text: string;
  /** Rows or values can be lost: a dropped table or column, a narrowed type, a dropped enum. */
  dataLoss: boolean;
}

const NAME = String.raw`"(?:[^"]|"")+"`;
const QNAME = String.raw`(?:${NAME}\.)?${NAME}`;

export function summarize(script: string): Change[] {
  const changes: Change[] = [];
  for (const st of splitStatements(script)) changes.push(...describe(stripComments(st.text)));
  return changes;
}

function describe(sql: string): Change[] {
  const one = (text: string, dataLoss = false): Change[] => [{ text, dataLoss }];
  let m: RegExpExecArray | null;
  if ((m = new RegExp(String.raw`^CREATE TABLE (${QNAME})`, 'i').exec(sql)))
    return one(`Created table: ${bare(m[1]!)}`);
  if ((m = new RegExp(String.raw`^DROP TABLE (${QNAME})`, 'i').exec(sql)))
    return one(`Dropped table: ${bare(m[1]!)}`, true);
  if ((m = new RegExp(String.raw`^ALTER TABLE (${QNAME})\s+([\s\S]*)$`, 'i').exec(sql))) {
    const table = bare(m[1]!);
    return splitClauses(m[2]!).map((clause) => alterClause(table, clause));
  }
  if (
    (m = new RegExp(
      String.raw`^CREATE (UNIQUE )?INDEX (?:CONCURRENTLY )?(?:IF NOT EXISTS )?(${NAME}) ON (${QNAME})\s*(?:USING \w+\s*)?\(([\s\S]*)\)$`,
      'i',
    ).exec(sql))
  ) {
    return one(
      `Created ${m[1] ? 'unique index' : 'index'}: ${bare(m[2]!)} on ${bare(m[3]!)} (${m[4]!.replace(/"/g, '')})`,
    );
  }
  if ((m = new RegExp(String.raw`^DROP INDEX (?:CONCURRENTLY )?(?:IF EXISTS )?(${QNAME})`, 'i').exec(sql)))
    return one(`Dropped index: ${bare(m[1]!)}`);
  if ((m = new RegExp(String.raw`^ALTER INDEX (${QNAME}) RENAME TO (${NAME})`, 'i').exec(sql)))
    return one(`Renamed index: ${bare(m[1]!)} to ${bare(m[2]!)}`);
  if ((m = new RegExp(String.raw`^CREATE TYPE (${QNAME}) AS ENUM \(([\s\S]*)\)$`, 'i').exec(sql)))
    return one(`Created enum: ${bare(m[1]!)} (${m[2]!.replace(/'/g, '')})`);
  if ((m = new RegExp(String.raw`^ALTER TYPE (${QNAME}) ADD VALUE '((?:[^']|'')*)'`, 'i').exec(sql)))
    return one(`Added enum value: ${m[2]} to ${bare(m[1]!)}`);
  if ((m = new RegExp(String.raw`^DROP TYPE (${QNAME})`, 'i').exec(sql)))
    return one(`Dropped enum: ${bare(m[1]!)}`, true);
  if ((m = new RegExp(String.raw`^CREATE SCHEMA (?:IF NOT EXISTS )?(${NAME})`, 'i').exec(sql)))
    return one(`Created schema: ${bare(m[1]!)}`);
  if ((m = new RegExp(String.raw`^CREATE EXTENSION (?:IF NOT EXISTS )?(${NAME})`, 'i').exec(sql)))
    return one(`Created extension: ${bare(m[1]!)}`);
  const firstLine = sql.split('\n', 1)[0]!;
  return one(
    `Other: ${firstLine.length > 80 ? `${firstLine.slice(0, 77)}...` : firstLine}`,
    /^(DROP|TRUNCATE|DELETE)\b/i.test(sql),
  );
}

function alterClause(table: string, clause: string): Change {
  const c = clause.trim();
  let m: RegExpExecArray | null;
  if (
    (m = new RegExp(String.raw`^ADD COLUMN\s+(${NAME})\s+(.+?)(\s+NOT NULL)?(\s+DEFAULT\s+[\s\S]+)?$`, 'i').exec(c))
  ) {
    const required = m[3] ? (m[4] ? ', required, with a default' : ', required') : '';
    return { text: `Added column: ${bare(m[1]!)} (${m[2]!.trim()}${required}) in ${table}`, dataLoss: false };
  }
  if ((m = new RegExp(String.raw`^DROP COLUMN\s+(${NAME})`, 'i').exec(c)))
    return { text: `Dropped column: ${bare(m[1]!)} in ${table} (data loss)`, dataLoss: true };
  if ((m = new RegExp(String.raw`^ALTER COLUMN\s+(${NAME})\s+([\s\S]+)$`, 'i').exec(c))) {
    const [column, action] = [bare(m[1]!), m[2]!];
    if ((m = /^SET DATA TYPE\s+([\s\S]+?)(?:\s+USING[\s\S]*)?$/i.exec(action))) {
      return {
        text: `Changed column type: ${column} in ${table} to ${m[1]} (existing values are converted; data loss if they do not fit)`,
        dataLoss: true,
      };
    }
    if (/^SET NOT NULL/i.test(action)) return { text: `Made column required: ${column} in ${table}`, dataLoss: false };
    if (/^DROP NOT NULL/i.test(action)) return { text: `Made column optional: ${column} in ${table}`, dataLoss: false };
    if ((m = /^SET DEFAULT\s+([\s\S]+)$/i.exec(action)))
      return { text: `Set default: ${column} in ${table} to ${m[1]}`, dataLoss: false };
    if (/^DROP DEFAULT/i.test(action)) return { text: `Removed default: ${column} in ${table}`, dataLoss: false };
  }
  if ((m = new RegExp(String.raw`^ADD CONSTRAINT\s+(${NAME})\s+(PRIMARY KEY|FOREIGN KEY|UNIQUE|CHECK)`, 'i').exec(c))) {
    return { text: `Added ${m[2]!.toLowerCase()}: ${bare(m[1]!)} on ${table}`, dataLoss: false };
  }
  if ((m = new RegExp(String.raw`^DROP CONSTRAINT\s+(${NAME})`, 'i').exec(c)))
    return { text: `Dropped constraint: ${bare(m[1]!)} on ${table}`, dataLoss: false };
  if ((m = new RegExp(String.raw`^RENAME (?:COLUMN )?(${NAME}) TO (${NAME})`, 'i').exec(c)))
    return { text: `Renamed column: ${bare(m[1]!)} to ${bare(m[2]!)} in ${table}`, dataLoss: false };
  if ((m = new RegExp(String.raw`^RENAME CONSTRAINT (${NAME}) TO (${NAME})`, 'i').exec(c)))
    return { text: `Renamed constraint: ${bare(m[1]!)} to ${bare(m[2]!)} on ${table}`, dataLoss: false };
  return { text: `Changed table ${table}: ${c.split('\n', 1)[0]}`, dataLoss: /^DROP\b/i.test(c) };
}

/** `ADD COLUMN "a" T, ADD COLUMN "b" U` → its clauses, splitting only at top-level commas. */
export function splitClauses(body: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      out.push(body.slice(start, i));
      start = i + 1;
    }
  }
  out.push(body.slice(start));
  return out.map((s) => s.trim()).filter(Boolean);
}

/** `"tenant"."employees"` → `employees`: the summary names tables as the models map them. */
function bare(qualified: string): string {
  const parts = qualified.match(/"(?:[^"]|"")+"/g) ?? [qualified];
  return parts.at(-1)!.slice(1, -1).replace(/""/g, '"');
}

function stripComments(sql: string): string {
  return sql
    .split('\n')
    .filter((l) => !/^\s*--/.test(l))
    .join('\n')
    .trim();
}
