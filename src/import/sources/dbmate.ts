// dbmate: `<version>_<name>.sql`, one file with `-- migrate:up` and `-- migrate:down` sections;
// `-- migrate:up transaction:false` runs the section outside a transaction. Its history holds one
// row per applied version, as written in the file name.
import type { SourceFolder, SourceMigration, SourceSql } from '../types';
import { listEntries, readText } from './fs';

const RE = /^(\d+)_(.+)\.sql$/;
const MARKER = /^--\s*migrate:(up|down)\b(.*)$/gm;

export async function readDbmate(src: string): Promise<SourceFolder> {
  const problems: string[] = [];
  const migrations: SourceMigration[] = [];
  const seen = new Map<string, string>();
  for (const e of await listEntries(src)) {
    const m = e.isFile() ? RE.exec(e.name) : null;
    if (!m) continue;
    const [, version, name] = m as unknown as [string, string, string];
    if (seen.has(version)) {
      problems.push(`${e.name}: version ${version} is also used by ${seen.get(version)}`);
      continue;
    }
    seen.set(version, e.name);
    const sections = splitSections(e.name, await readText(src, e.name));
    if (!sections.up) {
      problems.push(`${e.name}: has no -- migrate:up section`);
      continue;
    }
    migrations.push({ id: version, version, name, up: sections.up, down: sections.down });
  }
  migrations.sort((a, b) =>
    BigInt(a.version) < BigInt(b.version) ? -1 : BigInt(a.version) > BigInt(b.version) ? 1 : 0,
  );
  return { migrations, problems, notes: [] };
}

function splitSections(file: string, text: string): { up?: SourceSql; down?: SourceSql } {
  const markers = [...text.matchAll(MARKER)];
  const out: { up?: SourceSql; down?: SourceSql } = {};
  markers.forEach((m, i) => {
    const start = m.index! + m[0].length;
    const end = markers[i + 1]?.index ?? text.length;
    const direction = m[1] as 'up' | 'down';
    out[direction] = {
      file: `${file} (${direction})`,
      text: text.slice(start, end).replace(/^\r?\n/, ''),
      noTransaction: /\btransaction:false\b/.test(m[2]!),
    };
  });
  return out;
}
