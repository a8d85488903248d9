// A migration file's whole transaction in one round trip. The parts (BEGIN, the settings, the
// file's statements, the state row, COMMIT) are joined into one simple query: PostgreSQL runs
// them in order and, at the first error, skips the rest of the string and leaves the transaction
// aborted, so the caller rolls it back. Nothing is parameterised (the simple protocol takes no
// parameters): the values in the state row are escaped literals.
//
// Which part failed is known exactly, not guessed: the server sends one CommandComplete per part
// that finished, and they are counted as they arrive. An error's `position` counts from the start
// of the whole string; `offsets` lets the caller turn it into a position in the failing part.
// The server holds those CommandCompletes in its output buffer until the whole string is done,
// unless something flushes it: FLUSH_MARK, a notice, does (every notice is sent at once). With one
// before each statement, a connection lost in the middle still names the statement that was running.
//
// On Citus (db/citus.ts) the parts go one by one instead, each a query of its own in the same
// transaction: Citus forwards some DDL to its workers by the text of the query it came in, and a
// worker refuses a text of several commands. This is the one place where the migrations' SQL is
// sent several statements at a time; every such sender goes through sendBatch.
import pg from 'pg';
import { onCitus } from '../db/citus';
import type { BatchQueryable } from '../db/queryable';
import type { Direction } from './options';
import { deleteAppliedSql, recordAppliedSql } from './state';

export class BatchError extends Error {
  constructor(
    /** What the server (or the socket) said. */
    readonly error: Error & { position?: string; code?: string },
    /** The part that failed: every part before it completed. */
    readonly part: number,
    /** Where each part starts in the string sent (for `position`). */
    readonly offsets: number[],
  ) {
    super(error.message, { cause: error });
  }
}

/** A part that only makes the server send what it holds; no lock, no catalog, no event trigger. */
export const FLUSH_MARK = `DO $$BEGIN RAISE NOTICE 'migrate-tool: next statement'; END$$`;

/**
 * Sends `parts` in order, as one simple query (on Citus, one query each); resolves with their
 * results, rejects with a BatchError naming the part that failed. `check` runs first, before
 * anything is sent (the blocker check, blocker-check.ts): if it throws, nothing is sent.
 */
export async function sendBatch(
  client: BatchQueryable,
  parts: string[],
  check?: () => Promise<void>,
): Promise<pg.QueryResult[]> {
  await check?.();
  return (await onCitus(client)) ? sendEach(client, parts) : sendJoined(client, parts);
}

/** One query per part; a flush mark is not needed, as the part that runs is always known. */
async function sendEach(client: BatchQueryable, parts: string[]): Promise<pg.QueryResult[]> {
  const results: pg.QueryResult[] = [];
  for (const [part, text] of parts.entries()) {
    if (text === FLUSH_MARK) continue;
    try {
      results.push(await client.query(text));
    } catch (error) {
      throw new BatchError(
        error as Error,
        part,
        parts.map(() => 0),
      ); // a position counts from the part's start
    }
  }
  return results;
}

function sendJoined(client: BatchQueryable, parts: string[]): Promise<pg.QueryResult[]> {
  // A part may end in a line comment: the separator goes on a line of its own.
  const offsets: number[] = [];
  let text = '';
  for (const p of parts) {
    offsets.push(text.length);
    text += `${p}\n;\n`;
  }
  const query = new pg.Query(text) as pg.Query & { handleCommandComplete(msg: unknown, con: unknown): void };
  let completed = 0;
  const handle = query.handleCommandComplete.bind(query);
  query.handleCommandComplete = (msg, con) => {
    completed++;
    handle(msg, con);
  };
  return new Promise((resolve, reject) => {
    query.on('end', (r: pg.QueryResult | pg.QueryResult[]) => resolve(Array.isArray(r) ? r : [r]));
    query.on('error', (error: Error & { position?: string; code?: string }) => {
      reject(new BatchError(error, failingPart(error, completed, offsets), offsets));
    });
    void client.query(query);
  });
}

/**
 * The part an error belongs to. The server parses the whole string before running any of it, so a
 * syntax error (42601) arrives before any CommandComplete: its position, not the count, says where.
 */
function failingPart(error: { position?: string; code?: string }, completed: number, offsets: number[]): number {
  if (error.code === '42601' && error.position) {
    const at = Number(error.position) - 1;
    const part = offsets.findLastIndex((o) => o <= at);
    if (part >= 0) return part;
  }
  return Math.min(completed, offsets.length - 1);
}

export interface StateRow {
  schema: string;
  version: string;
  name: string;
  scope: string;
  checksum: string;
}

/**
 * The state row's change as literal SQL, for the batch: what recordApplied (up) and deleteApplied
 * (down) in state.ts do with parameters. The duration is the server's time since BEGIN.
 */
export function stateRowSql(direction: Direction, r: StateRow): string {
  if (direction === 'down') return deleteAppliedSql(r.schema, r.version);
  return recordAppliedSql(r, {
    appliedAt: 'now()',
    durationMs: 'round(extract(epoch FROM clock_timestamp() - now()) * 1000)::int',
  });
}
