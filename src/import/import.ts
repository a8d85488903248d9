// `import TOOL SRC`: another tool's migration folder converted into this tool's layout. Everything
// is read, converted and checked first; only a folder with no problem at all is written, so a
// refusal leaves the migrations folder exactly as it was.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors';
import { addToSum } from '../migrations/create';
import { FILE_RE, loadMigrations, TENANT_DIR, type Scope } from '../migrations/files';
import { convertSql, isEmptySql } from './convert';
import { importHeader } from './header';
import { readAtlas } from './sources/atlas';
import { readDbmate } from './sources/dbmate';
import { readGolangMigrate } from './sources/golang-migrate';
import { readNodePgMigrate } from './sources/node-pg-migrate';
import { readPrisma } from './sources/prisma';
import type { SourceFolder, SourceSql, Tool } from './types';
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

export async function importFolder(tool: Tool, src: string, dir: string, opts: { tenant?: boolean; dryRun?: boolean } = {}): Promise<ImportResult> {
  const scope: Scope = opts.tenant ? 'tenant' : 'global';
  const source = await READERS[tool](src);
  const problems = [...source.problems];
  const files: ImportedFile[] = [];
  for (const { source: m, version, renumbered } of assignVersions(source.migrations, problems)) {
    const base = `${scope === 'tenant' ? `${TENANT_DIR}/` : ''}${version}_${m.name}`;
    if (!FILE_RE.test(`${version}_${m.name}.up.sql`)) {
      problems.push(`${m.up.file}: name "${m.name}" cannot be a file name on every platform (letters, digits, _, - and . only); rename it in the source first`);
      continue;
    }
    const up = convertFile(tool, m.id, m.up, problems, true);
    files.push({ from: m.up.file, to: `${base}.up.sql`, version, scope, changes: [...(renumbered ? [renumbered] : []), ...up.changes], text: up.text });
    if (m.down) {
      const down = convertFile(tool, m.id, m.down, problems, false);
      files.push({ from: m.down.file, to: `${base}.down.sql`, version, scope, changes: down.changes, text: down.text });
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
  return { tool, files, notes: source.notes, dryRun: Boolean(opts.dryRun) };
}

function convertFile(tool: Tool, id: string, sql: SourceSql, problems: string[], isUp: boolean): { text: string; changes: string[] } {
  const converted = convertSql(sql.text, sql.file, Boolean(sql.noTransaction), problems);
  const changes = [...converted.changes];
  let body = converted.body.replace(/^\s*\n/, '');
  // This tool refuses an empty .up.sql; an empty one from elsewhere is a placeholder that the
  // other tool's history still counts, so it is kept, doing nothing, to keep versions one to one.
  if (isUp && isEmptySql(body)) {
    body = `${body}SELECT 1; -- empty in ${tool}: kept so that its history maps one to one\n`;
    changes.push('empty: kept as SELECT 1');
  }
  const lines = [...(converted.noTransaction ? ['-- migrate:no-transaction'] : []), importHeader(tool, id, sql.file.replace(/ \((up|down)\)$/, ''))];
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
