// Checksums of migration files and the migrate.sum file that records them. Line endings are
// normalised first, so a checkout on Windows and one on Linux agree.
import { createHash, randomUUID } from 'node:crypto';
import { readFile, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors';
import { operation, remedy } from '../remedy';

export const SUM_FILE = 'migrate.sum';

export function checksum(text: string): string {
  const normalised = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  return `sha256:${createHash('sha256').update(normalised).digest('hex')}`;
}

const HEADER = [
  '# migrate.sum: the checksum of every migration file (sha256, line endings normalised).',
  '# Written by `migrate-tool hash`, `create` and `diff`. `up` refuses a folder that disagrees with it.',
];

export function formatSum(checksums: Map<string, string>): string {
  const lines = [...checksums].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([file, sum]) => `${file} ${sum}`);
  return [...HEADER, ...lines, ''].join('\n');
}

export async function writeSum(dir: string, checksums: Map<string, string>): Promise<string> {
  const path = join(dir, SUM_FILE);
  // Write then rename: a half-written migrate.sum would block every later run. The temporary
  // name is this writer's own, so two writers at once do not rename each other's file away.
  const tmp = `${path}.${randomUUID()}.tmp`;
  await writeFile(tmp, formatSum(checksums));
  await rename(tmp, path);
  return path;
}

export async function readSum(dir: string): Promise<Map<string, string> | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, SUM_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const sums = new Map<string, string>();
  for (const [n, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(\S+)\s+(sha256:[0-9a-f]{64})$/.exec(line);
    if (!m)
      throw new UsageError(
        `${SUM_FILE} line ${n + 1} is malformed`,
        remedy`run ${operation('rewriteSum')} to rewrite it`,
        'BAD_SUM',
      );
    sums.set(m[1]!, m[2]!);
  }
  return sums;
}

/** Refuses a folder whose files differ from migrate.sum, naming each difference. */
export async function verifySum(dir: string, actual: Map<string, string>): Promise<void> {
  const recorded = await readSum(dir);
  if (!recorded) {
    if (actual.size === 0) return;
    throw new UsageError(
      `${SUM_FILE} is missing from ${dir}`,
      remedy`review the migrations, then run ${operation('rewriteSum')} to write it`,
      'SUM_MISMATCH',
    );
  }
  const problems: string[] = [];
  for (const [file, sum] of actual) {
    const was = recorded.get(file);
    if (!was) problems.push(`${file} is not in ${SUM_FILE}`);
    else if (was !== sum) problems.push(`${file} has changed since ${SUM_FILE} was written`);
  }
  for (const file of recorded.keys())
    if (!actual.has(file)) problems.push(`${file} is in ${SUM_FILE} but missing from the folder`);
  if (problems.length) {
    throw new UsageError(
      `Migrations folder and ${SUM_FILE} disagree: ${problems.join('; ')}`,
      remedy`if two branches both added migrations, rebase and re-version yours; once the folder is right, run ${operation('rewriteSum')}`,
      'SUM_MISMATCH',
    );
  }
}
