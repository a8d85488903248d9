// Prisma Migrate: `migrations/<timestamp>_<name>/migration.sql` and `migration_lock.toml`. Prisma
// orders the folders by name and records each folder name in _prisma_migrations. No down files.
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { SourceFolder, SourceMigration } from '../types';
import { listEntries, readText } from './fs';

const FOLDER_RE = /^(\d{14})_(.+)$/;

export async function readPrisma(srcGiven: string): Promise<SourceFolder> {
  // `prisma/` or `prisma/migrations/`: both name the same history.
  const src = (await exists(join(srcGiven, 'migrations', 'migration_lock.toml'))) ? join(srcGiven, 'migrations') : srcGiven;
  const problems: string[] = [];
  const notes: string[] = [];
  const lock = (await exists(join(src, 'migration_lock.toml'))) ? await readText(src, 'migration_lock.toml') : undefined;
  if (lock === undefined) notes.push('migration_lock.toml is missing: assumed provider "postgresql"');
  else if (!/provider\s*=\s*"postgres(ql)?"/.test(lock))
    problems.push(`migration_lock.toml: provider is not "postgresql"; only PostgreSQL histories can be imported`);
  const migrations: SourceMigration[] = [];
  // Prisma's own order: folder names compared as strings.
  for (const e of await listEntries(src)) {
    if (!e.isDirectory()) continue;
    const m = FOLDER_RE.exec(e.name);
    const file = `${e.name}/migration.sql`;
    if (!m) {
      problems.push(`${e.name}/: not a Prisma migration folder name (<14-digit timestamp>_<name>)`);
      continue;
    }
    if (!(await exists(join(src, file)))) {
      problems.push(`${file}: missing; Prisma refuses such a folder too`);
      continue;
    }
    migrations.push({ id: e.name, version: m[1]!, name: m[2]!, up: { file, text: await readText(src, file) } });
  }
  return { migrations, problems, notes };
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
