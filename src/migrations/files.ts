// Migration files on disk: `<14-digit version>_<name>.up.sql` and `.down.sql`, global ones at the
// top of the folder, tenant ones in `tenant/`. Loading validates the whole folder and names every
// bad file at once, before anything touches a database.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors';
import { checksum } from './checksum';
import { decodeSql, sqlProblems } from './file-checks';
import { listMigrationFiles, TENANT_DIR, type Scope } from './listing';
import { parseBackfill, type BackfillUpdate } from './backfill-sql';
import { splitSql, type Statement } from './sql-split';

export { TENANT_DIR, type Scope };
/**
 * Names keep what the peers allow (`add-users`, `AddUsers`, `v1.2_fix`), so imported histories stay
 * recognisable, but only characters that make a file on every platform: no `<>:"/\|?*`, spaces or
 * control characters, and no trailing dot (Windows drops it). The version prefix means no name can
 * form a Windows reserved device name (CON, NUL, ...).
 */
export const FILE_RE = /^(\d{14})_([A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?)\.(up|down)\.sql$/;

export interface MigrationSql {
  /** Path relative to the migrations folder, e.g. `tenant/20251210215900_init_tenant.up.sql`. */
  file: string;
  text: string;
  checksum: string;
  noTransaction: boolean;
  /** `-- migrate:backfill` at the top: the file's one UPDATE runs in batches (backfill.ts). */
  backfill?: BackfillUpdate;
  /** `-- migrate:contract` in its leading comments: it removes what the previous application uses (contract.ts). */
  contract?: boolean;
  statements: Statement[];
}

export interface Migration {
  version: string;
  name: string;
  scope: Scope;
  up: MigrationSql;
  down?: MigrationSql;
}

export interface MigrationFolder {
  dir: string;
  /** In version order: one timeline for both scopes. */
  migrations: Migration[];
  /** Every migration file's checksum, by relative path (what migrate.sum holds). */
  checksums: Map<string, string>;
}

export async function loadMigrations(dir: string, opts: { allowEmpty?: boolean } = {}): Promise<MigrationFolder> {
  const problems: string[] = [];
  const byKey = new Map<string, { version: string; name: string; scope: Scope; up?: string; down?: string }>();
  for (const { rel, name: file, scope } of await listMigrationFiles(dir, problems)) {
    const m = FILE_RE.exec(file);
    if (!m) {
      problems.push(
        `${rel}: name must be <14-digit version>_<name>.up.sql or .down.sql, the name made of letters, digits, _, - and . (e.g. 20251210215800_init_schema.up.sql)`,
      );
      continue;
    }
    const [, version, name, direction] = m as unknown as [string, string, string, 'up' | 'down'];
    const key = `${scope}/${version}_${name}`;
    const entry = byKey.get(key) ?? { version, name, scope };
    entry[direction] = rel;
    byKey.set(key, entry);
  }

  const checksums = new Map<string, string>();
  const migrations: Migration[] = [];
  const seen = new Map<string, string>();
  const files = readAll(
    dir,
    [...byKey.values()].flatMap((e) => [e.up, e.down].filter((rel): rel is string => rel !== undefined)),
  );
  for (const entry of byKey.values()) {
    if (!entry.up) {
      problems.push(`${entry.down}: has no matching .up.sql`);
      continue;
    }
    const other = seen.get(entry.version);
    if (other) {
      problems.push(
        `${entry.up}: version ${entry.version} is already used by ${other}; versions are unique across both folders`,
      );
      continue;
    }
    seen.set(entry.version, entry.up);
    const up = await readSql(files, entry.up, entry.scope, checksums, problems);
    const down = entry.down ? await readSql(files, entry.down, entry.scope, checksums, problems) : undefined;
    if (!up || (entry.down && !down)) continue;
    if (up.statements.length === 0 && !opts.allowEmpty)
      problems.push(`${entry.up}: is empty; write its SQL or delete the pair`);
    migrations.push({ version: entry.version, name: entry.name, scope: entry.scope, up, down });
  }
  if (problems.length) {
    throw new UsageError(
      `Invalid migration files: ${problems.join('; ')}`,
      'fix or rename the files named',
      'BAD_MIGRATION_FILES',
    );
  }
  migrations.sort((a, b) => (a.version < b.version ? -1 : a.version > b.version ? 1 : 0));
  return { dir, migrations, checksums };
}

/**
 * Every file's bytes, read synchronously, before any is checked. Small files read one after
 * another with readFileSync take a fraction of the time of readFile all at once (docs/performance.md,
 * "Figures behind the code"): each asynchronous read is an open, a stat, a read and a close queued
 * in turn on libuv's four threads. The event loop waits those few milliseconds once per load. A failure is
 * kept for readSql, which reports it in order.
 */
function readAll(dir: string, rels: string[]): Map<string, Promise<Buffer>> {
  const reads = new Map<string, Promise<Buffer>>();
  for (const rel of rels) {
    try {
      reads.set(rel, Promise.resolve(readFileSync(join(dir, rel))));
    } catch (error) {
      const failed = Promise.reject(error as Error);
      failed.catch(() => {}); // seen by readSql
      reads.set(rel, failed);
    }
  }
  return reads;
}

/** Reads, checks and splits one file; undefined (with a problem) when it is not text to run. */
async function readSql(
  files: Map<string, Promise<Buffer>>,
  rel: string,
  scope: Scope,
  checksums: Map<string, string>,
  problems: string[],
): Promise<MigrationSql | undefined> {
  let bytes: Buffer;
  try {
    bytes = await files.get(rel)!;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM') throw error;
    problems.push(`${rel}: cannot be read (${code}); let the user that runs migrate-tool read it`);
    return undefined;
  }
  const text = decodeSql(rel, bytes, problems);
  if (text === undefined) return undefined;
  const sum = checksum(text);
  checksums.set(rel, sum);
  const split = splitSql(text);
  problems.push(...sqlProblems(rel, scope, split));
  const noTransaction = split.noTransactionMarkers.leading.length > 0;
  const contract = split.contractMarkers.leading.length > 0;
  for (const line of split.contractMarkers.late)
    problems.push(
      `${rel}:${line}: -- migrate:contract after SQL is not read; move it to the top of the file, before the first statement`,
    );
  const read = { file: rel, text, checksum: sum, noTransaction, contract, statements: split.statements };
  if (!split.backfillMarkers.length) return read;
  // The parser is loaded only for a folder that has a backfill.
  const backfill = await parseBackfill(text);
  if (typeof backfill === 'string') problems.push(`${rel}: ${backfill}`);
  else if (noTransaction)
    problems.push(
      `${rel}: -- migrate:backfill and -- migrate:no-transaction together; keep -- migrate:backfill (each batch is its own transaction)`,
    );
  return typeof backfill === 'string' ? read : { ...read, backfill };
}
