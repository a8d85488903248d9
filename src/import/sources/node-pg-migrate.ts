// node-pg-migrate, SQL migrations only: `<prefix>_<name>.sql` with `-- Up Migration` and
// `-- Down Migration` comments, or `.up.sql`/`.down.sql` pairs (its `sql` loader). The history
// (pgmigrations) records the file name without `.sql` (a pair as its `.sql` equivalent).
import type { SourceFolder, SourceMigration, SourceSql } from '../types';
import { listEntries, readText } from './fs';

export async function readNodePgMigrate(src: string): Promise<SourceFolder> {
  const problems: string[] = [];
  const groups = new Map<string, { single?: string; up?: string; down?: string }>();
  for (const e of await listEntries(src)) {
    if (!e.isFile()) continue;
    if (/\.(js|cjs|mjs|ts|cts|mts)$/.test(e.name)) {
      problems.push(
        `${e.name}: a JavaScript/TypeScript migration cannot be converted; only SQL migrations can (write its SQL in a .sql file)`,
      );
      continue;
    }
    const m = /^(.*?)(\.(up|down))?\.sql$/.exec(e.name);
    if (!m) continue;
    const g = groups.get(m[1]!) ?? {};
    g[(m[3] as 'up' | 'down' | undefined) ?? 'single'] = e.name;
    groups.set(m[1]!, g);
  }
  const migrations: SourceMigration[] = [];
  for (const [stem, g] of groups) {
    const prefix = /^(\d+)[_-]?(.*)$/.exec(stem);
    if (!prefix) {
      problems.push(`${g.single ?? g.up ?? g.down}: no numeric prefix; node-pg-migrate cannot order it either`);
      continue;
    }
    if (g.single && (g.up || g.down))
      problems.push(`${stem}: both ${g.single} and an .up/.down.sql pair; node-pg-migrate refuses that too`);
    const sections = g.single ? splitSections(g.single, await readText(src, g.single)) : await pair(src, g);
    if (!sections.up) {
      problems.push(`${g.down}: has no matching .up.sql`);
      continue;
    }
    const digits = prefix[1]!;
    // A 17-digit prefix is its UTC format (YYYYMMDDHHMMSSmmm): the first 14 digits are the time.
    const version = digits.length === 17 ? digits.slice(0, 14) : digits;
    migrations.push({ id: stem, version, name: prefix[2] || 'migration', up: sections.up, down: sections.down });
  }
  migrations.sort((a, b) => order(a.id) - order(b.id) || a.id.localeCompare(b.id, undefined, { numeric: true }));
  return { migrations, problems, notes: [] };
}

/** node-pg-migrate's order: the numeric prefix, a 17-digit one read as a UTC time in ms. */
function order(id: string): number {
  const digits = /^\d+/.exec(id)![0];
  if (digits.length !== 17) return Number(digits);
  const d = digits;
  return Date.parse(
    `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}T${d.slice(8, 10)}:${d.slice(10, 12)}:${d.slice(12, 14)}.${d.slice(14)}Z`,
  );
}

async function pair(src: string, g: { up?: string; down?: string }): Promise<{ up?: SourceSql; down?: SourceSql }> {
  return {
    up: g.up ? { file: g.up, text: await readText(src, g.up) } : undefined,
    down: g.down ? { file: g.down, text: await readText(src, g.down) } : undefined,
  };
}

/** As node-pg-migrate reads it: each section runs from its comment to the other one; no comment: all up. */
function splitSections(file: string, text: string): { up?: SourceSql; down?: SourceSql } {
  const marker = (d: string) => new RegExp(`^\\s*--[\\s-]*${d}\\s+migration`, 'im');
  const upAt = text.search(marker('up'));
  const downAt = text.search(marker('down'));
  const up = upAt >= 0 ? text.slice(upAt, downAt < upAt ? undefined : downAt) : text;
  const down = downAt >= 0 ? text.slice(downAt, upAt < downAt ? undefined : upAt) : undefined;
  return {
    up: { file: `${file} (up)`, text: dropFirstLine(up, upAt >= 0) },
    down: down === undefined ? undefined : { file: `${file} (down)`, text: dropFirstLine(down, true) },
  };
}

/** The section's own marker comment is not carried over: the import header says where it came from. */
function dropFirstLine(text: string, hasMarker: boolean): string {
  return hasMarker ? text.slice(text.indexOf('\n') + 1 || text.length) : text;
}
