// atlas.sum, checked the way Atlas checks it (ariga/atlas sql/migrate/dir.go, HashFile): one
// sha256 runs over every .sql file in name order, fed each file's name then its bytes; after each
// file its running digest (base64) is that file's `h1:` hash. The first line is `h1:` and the
// base64 sha256 over each listed name and hash. A file whose first line is an `atlas:sum ignore`
// directive contributes its name only and gets no line. Atlas refuses a folder whose sum differs.
import { createHash } from 'node:crypto';

export interface AtlasFile {
  name: string;
  bytes: Buffer;
}

export function atlasHashFile(files: AtlasFile[]): Array<[string, string]> {
  const h = createHash('sha256');
  const out: Array<[string, string]> = [];
  for (const f of [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    h.update(f.name);
    if (/^[ -~]*atlas:sum +ignore\b/.test(f.bytes.toString('utf8'))) continue;
    h.update(f.bytes);
    out.push([f.name, h.copy().digest('base64')]);
  }
  return out;
}

export function atlasSum(entries: Array<[string, string]>): string {
  const h = createHash('sha256');
  for (const [name, hash] of entries) h.update(name).update(hash);
  return h.digest('base64');
}

export function formatAtlasSum(files: AtlasFile[]): string {
  const entries = atlasHashFile(files);
  return `h1:${atlasSum(entries)}\n${entries.map(([n, h]) => `${n} h1:${h}\n`).join('')}`;
}

/** Why Atlas would refuse this folder with this atlas.sum, or undefined when it accepts it. */
export function atlasSumProblem(files: AtlasFile[], sumText: string | undefined): string | undefined {
  if (sumText === undefined)
    return files.length
      ? 'atlas.sum is missing; Atlas refuses the folder (run `atlas migrate hash` if the files are right)'
      : undefined;
  const lines = sumText.split('\n').filter((l, i, all) => l !== '' || i < all.length - 1);
  const recorded: Array<[string, string]> = [];
  for (const line of lines.slice(1)) {
    const at = line.indexOf('h1:');
    if (at === -1) return 'atlas.sum is malformed (a line without h1:)';
    recorded.push([line.slice(0, at).trim(), line.slice(at + 3)]);
  }
  if ((lines[0] ?? '').replace(/^h1:/, '') !== atlasSum(recorded))
    return 'atlas.sum does not match its own entries (edited by hand?); Atlas refuses it';
  if (atlasSum(atlasHashFile(files)) !== atlasSum(recorded)) {
    const actual = new Map(atlasHashFile(files));
    const first =
      recorded.find(([n, h]) => actual.get(n) !== h)?.[0] ??
      [...actual.keys()].find((n) => !recorded.some(([r]) => r === n));
    return `atlas.sum does not match the folder${first ? ` (first difference: ${first})` : ''}; Atlas refuses it: check the files, then run \`atlas migrate hash\``;
  }
  return undefined;
}
