// golang-migrate: `<N>_<name>.up.sql` / `.down.sql`, N of any width (sequence numbers or
// timestamps), paired by version. Its history holds one number, the current version.
import type { SourceFolder, SourceMigration } from '../types';
import { listEntries, numericId, readText } from './fs';

const RE = /^(\d+)_(.*)\.(up|down)\.sql$/;

export async function readGolangMigrate(src: string): Promise<SourceFolder> {
  const problems: string[] = [];
  const byVersion = new Map<string, { digits: string; name: string; up?: string; down?: string }>();
  for (const e of await listEntries(src)) {
    const m = e.isFile() ? RE.exec(e.name) : null;
    if (!m) continue; // golang-migrate ignores what does not match its pattern too
    const [, digits, name, direction] = m as unknown as [string, string, string, 'up' | 'down'];
    const id = numericId(digits);
    const entry = byVersion.get(id) ?? { digits, name };
    if (entry[direction]) {
      problems.push(
        `${e.name}: version ${id} has two .${direction}.sql files (${entry[direction]} too); golang-migrate refuses that as well`,
      );
      continue;
    }
    entry[direction] = e.name;
    if (direction === 'up') entry.name = name;
    byVersion.set(id, entry);
  }
  const migrations: SourceMigration[] = [];
  const notes: string[] = [];
  for (const [id, entry] of [...byVersion].sort(([a], [b]) => (BigInt(a) < BigInt(b) ? -1 : 1))) {
    // golang-migrate reads a missing up as an empty migration: it records the version and runs nothing.
    if (!entry.up)
      notes.push(
        `${entry.down}: version ${id} has no .up.sql; golang-migrate treats its up as empty, so it is imported as an empty migration`,
      );
    const up = entry.up
      ? { file: entry.up, text: await readText(src, entry.up) }
      : { file: entry.down!.replace(/\.down\.sql$/, '.up.sql'), text: '' };
    const down = entry.down ? { file: entry.down, text: await readText(src, entry.down) } : undefined;
    migrations.push({ id, version: id, name: entry.name, up, down });
  }
  return { migrations, problems, notes };
}
