// `import TOOL SRC`: another tool's migration folder converted into this tool's layout. Everything
// is read, converted and checked first; only a folder with no problem at all is written, so a
// refusal leaves the migrations folder exactly as it was.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors';
import { addToSum } from '../migrations/create';
import { FILE_RE, loadMigrations, TENANT_DIR, type Scope } from '../migrations/files';
import { convertSql, isEmptySql, needsNoTransaction, type Converted } from './convert';
import { loadParser } from './loops';
import { downByScope, splitAtLoops } from './parts';
import { importHeader } from './header';
import { ownTableNotes } from './own-table';
import { parseSearchPath, withSearchPath } from './search-path';
import { readAtlas } from './sources/atlas';
import { readDbmate } from './sources/dbmate';
import { readGolangMigrate } from './sources/golang-migrate';
import { readNodePgMigrate } from './sources/node-pg-migrate';
import { readPrisma } from './sources/prisma';
import type { SourceFolder, SourceMigration, Tool } from './types';
import { assignVersions } from './versions';

const READERS: Record<Tool, (src: string) => Promise<SourceFolder>> = {
  'golang-migrate': readGolangMigrate,
  atlas: readAtlas,
  dbmate: readDbmate,
  prisma: readPrisma,
  'node-pg-migrate': readNodePgMigrate,
};

export interface ImportedFile {
  /** The source file(s), as the tool names them. */
  from: string;
  /** Path relative to the migrations folder. */
  to: string;
  version: string;
  scope: Scope;
  /** What was done to it: removed wrapper, no-transaction, renumbered, ... */
  changes: string[];
  text: string;
}

export interface ImportResult {
  tool: Tool;
  files: ImportedFile[];
  notes: string[];
  dryRun: boolean;
}

export interface ImportOptions {
  tenant?: boolean;
  dryRun?: boolean;
  /** The tenant schemas' LIKE pattern: loops over it in global files become tenant migrations. */
  tenantPattern?: string;
  /** The search_path the source tool ran its files with (`a,b`); global imports only. */
  searchPath?: string;
}

export async function importFolder(
  tool: Tool,
  src: string,
  dir: string,
  opts: ImportOptions = {},
): Promise<ImportResult> {
  const scope: Scope = opts.tenant ? 'tenant' : 'global';
  const searchPath = opts.searchPath === undefined ? undefined : parseSearchPath(opts.searchPath);
  if (searchPath && scope === 'tenant')
    throw new UsageError(
      'A search path cannot be given for tenant migrations',
      'they run with search_path set to each tenant schema; import them without one',
      'BAD_SEARCH_PATH',
    );
  const source = await READERS[tool](src);
  const problems = [...source.problems];
  const notes = [...source.notes, ...source.migrations.flatMap((m) => ownTableNotes(tool, m.up))];
  const files: ImportedFile[] = [];
  if (scope === 'global' && source.migrations.some((m) => /^\s*do\b/im.test(m.up.text))) await loadParser();
  const items = source.migrations.flatMap((m) =>
    migrationParts(m, scope, opts.tenantPattern ?? DEFAULT_PATTERN, problems),
  );
  for (const item of assignVersions(items, problems)) {
    const { m, version } = item;
    const name = fileName(m.name);
    const base = `${item.scope === 'tenant' ? `${TENANT_DIR}/` : ''}${version}_${name}`;
    if (name !== m.name)
      item.up.changes.unshift(
        `named ${name}: "${m.name}" is not a file name on every platform; adopt still matches "${m.id}"`,
      );
    const header = (file: string) => importHeader(tool, m.id, file.replace(/ \((up|down)\)$/, ''), item.tenantPart);
    const path = item.scope === 'global' ? searchPath : undefined;
    const up = fileText(tool, header(m.up.file), item.up, true, path);
    files.push({
      from: m.up.file,
      to: `${base}.up.sql`,
      version,
      scope: item.scope,
      changes: [...(item.renumbered ? [item.renumbered] : []), ...up.changes],
      text: up.text,
    });
    if (m.down && item.down) {
      const down = fileText(tool, header(m.down.file), item.down, false, path);
      files.push({
        from: m.down.file,
        to: `${base}.down.sql`,
        version,
        scope: item.scope,
        changes: down.changes,
        text: down.text,
      });
    }
  }
  await checkOverlap(dir, files, problems);
  if (problems.length) {
    throw new UsageError(
      `Cannot import ${src} (${tool}); nothing was written: ${problems.join('; ')}`,
      'fix the files named in the source folder (or the migrations folder), then import again',
      'IMPORT_REFUSED',
    );
  }
  if (!opts.dryRun) await writeAll(dir, files);
  return { tool, files, notes, dryRun: Boolean(opts.dryRun) };
}

const DEFAULT_PATTERN = 'company_%';

/**
 * A name that is a file name on every platform (FILE_RE): other characters (a space, `:`) become
 * `_`. Only the file is renamed: the header keeps the tool's exact identifier for `adopt`.
 */
export function fileName(name: string): string {
  const clean = name
    .replace(/[^A-Za-z0-9_.-]+/g, '_')
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/[.]+$/, '');
  return FILE_RE.test(`00000000000000_${clean}.up.sql`) ? clean : 'migration';
}

interface Item {
  m: SourceMigration;
  digits: string;
  file: string;
  placed?: boolean;
  scope: Scope;
  tenantPart: boolean;
  up: Converted;
  down?: Converted;
}

/**
 * One source migration as the migrations it becomes: itself, or, in a global import, the global and
 * tenant parts of a file with loops over the tenant schemas (parts.ts), each with its share of the down.
 */
function migrationParts(m: SourceMigration, scope: Scope, pattern: string, problems: string[]): Item[] {
  const up = convertSql(m.up.text, m.up.file, Boolean(m.up.noTransaction), problems);
  const down = m.down && convertSql(m.down.text, m.down.file, Boolean(m.down.noTransaction), problems);
  if (m.placed) up.changes.unshift(m.placed);
  const one: Item = {
    m,
    digits: m.version,
    file: m.up.file,
    placed: Boolean(m.placed),
    scope,
    tenantPart: false,
    up,
    down,
  };
  if (scope === 'tenant') return [one];
  const upParts = splitAtLoops(up.body, m.up.file, pattern, problems);
  if (!upParts) return [one];
  const downs = down && downByScope(splitAtLoops(down.body, m.down!.file, pattern, problems), down.body);
  const lastOf = (s: Scope) => upParts.findLastIndex((p) => p.scope === s);
  return upParts.map((p, i) => {
    const d = downs && lastOf(p.scope) === i ? downs.get(p.scope) : undefined;
    const changes = [
      ...(upParts.length > 1 ? [`part ${i + 1} of ${upParts.length} (${p.scope})`] : []),
      ...(i === 0 ? up.changes.filter((c) => !c.startsWith('no-transaction')) : []),
      ...p.changes,
    ];
    return {
      m,
      digits: m.version,
      file: m.up.file,
      placed: i > 0 || Boolean(m.placed),
      scope: p.scope,
      tenantPart: p.scope === 'tenant',
      up: {
        body: p.text,
        noTransaction: p.scope === 'global' && needsNoTransaction(p.text, Boolean(m.up.noTransaction)),
        changes,
      },
      down: d && { body: d.text, noTransaction: false, changes: d.changes },
    };
  });
}

function fileText(
  tool: Tool,
  header: string,
  converted: Converted,
  isUp: boolean,
  searchPath?: string[],
): { text: string; changes: string[] } {
  const changes = [...converted.changes];
  let body = converted.body.replace(/^\s*\n/, '');
  // This tool refuses an empty .up.sql; an empty one from elsewhere is a placeholder that the
  // other tool's history still counts, so it is kept, doing nothing, to keep versions one to one.
  if (isUp && isEmptySql(body)) {
    body = `${body}SELECT 1; -- empty in ${tool}: kept so that its history maps one to one\n`;
    changes.push('empty: kept as SELECT 1');
  }
  if (searchPath) body = withSearchPath(body, searchPath, converted.noTransaction);
  const lines = [...(converted.noTransaction ? ['-- migrate:no-transaction'] : []), header];
  return { text: `${lines.join('\n')}\n${body}${body.endsWith('\n') ? '' : '\n'}`, changes };
}

/** Refuses versions the folder already has: two timelines cannot be merged silently. */
async function checkOverlap(dir: string, files: ImportedFile[], problems: string[]): Promise<void> {
  const existing = await loadMigrations(dir, { allowEmpty: true }).catch((error: unknown) => {
    if ((error as UsageError).code === 'NO_MIGRATIONS_DIR') return undefined;
    throw error;
  });
  if (!existing) return;
  const taken = new Map(existing.migrations.map((m) => [m.version, m.up.file]));
  const clash = files.filter((f) => taken.has(f.version));
  if (clash.length) {
    problems.push(
      `the migrations folder already has version${clash.length > 1 ? 's' : ''} ${[...new Set(clash.map((f) => `${f.version} (${taken.get(f.version)}, wanted by ${f.from})`))].join(', ')}; import into an empty folder, or move the existing migrations first`,
    );
  }
}

async function writeAll(dir: string, files: ImportedFile[]): Promise<void> {
  await mkdir(join(dir, TENANT_DIR), { recursive: true });
  for (const f of files) await writeFile(join(dir, f.to), f.text, { flag: 'wx' });
  await addToSum(
    dir,
    files.map((f) => [f.to, f.text]),
  );
}
