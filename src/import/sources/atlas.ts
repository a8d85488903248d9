// Atlas: `<version>_<name>.sql` files in name order, checked against atlas.sum. No down files.
// `-- atlas:txmode none` runs a file outside a transaction. The history (atlas_schema_revisions)
// records each version.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SourceFolder, SourceMigration } from '../types';
import { listEntries } from './fs';
import { atlasSumProblem, type AtlasFile } from './atlas-sum';

export async function readAtlas(src: string): Promise<SourceFolder> {
  const problems: string[] = [];
  const files: AtlasFile[] = [];
  for (const e of await listEntries(src)) {
    if (e.isFile() && e.name.endsWith('.sql')) files.push({ name: e.name, bytes: await readFile(join(src, e.name)) });
  }
  const sumText = await readFile(join(src, 'atlas.sum'), 'utf8').catch(() => undefined);
  const sumProblem = atlasSumProblem(files, sumText);
  if (sumProblem) problems.push(sumProblem);
  const migrations: SourceMigration[] = [];
  for (const f of files) {
    const stem = f.name.slice(0, -'.sql'.length);
    const [version, name = ''] = stem.split(/_(.*)/s) as [string, string?];
    const text = f.bytes.toString('utf8');
    if (!/^\d+$/.test(version)) {
      problems.push(
        `${f.name}: version "${version}" is not a number; rename it to <digits>_<name>.sql (and rehash) first`,
      );
      continue;
    }
    const directives = fileDirectives(text);
    const unsupported = directives.find((d) => !/^(txmode|nolint|sum)\b/.test(d));
    if (unsupported) problems.push(`${f.name}: directive atlas:${unsupported} cannot be converted`);
    const noTransaction = directives.some((d) => /^txmode\s+none\b/.test(d));
    migrations.push({ id: version, version, name: name || 'migration', up: { file: f.name, text, noTransaction } });
  }
  return { migrations, problems, notes: [] };
}

/** Atlas's file directives: `-- atlas:NAME args` lines at the top, before a blank line. */
function fileDirectives(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('--') && !line.startsWith('#')) break;
    const m = /atlas:(\w+(?: +[ -~]*)?)/.exec(line);
    if (m) out.push(m[1]!.trim());
  }
  return out;
}
