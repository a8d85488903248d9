// Prisma Migrate: `migrations/<timestamp>_<name>/migration.sql` and `migration_lock.toml`. Prisma
// orders the folders by name, whatever the names are, and records each folder name in
// _prisma_migrations. No down files.
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { SourceFolder, SourceMigration } from '../types';
import { listEntries, readText } from './fs';

const FOLDER_RE = /^(\d{14})_(.+)$/;

export async function readPrisma(srcGiven: string): Promise<SourceFolder> {
  // `prisma/` or `prisma/migrations/`: both name the same history.
  const src = (await exists(join(srcGiven, 'migrations', 'migration_lock.toml')))
    ? join(srcGiven, 'migrations')
    : srcGiven;
  const problems: string[] = [];
  const notes: string[] = [];
  const lock = (await exists(join(src, 'migration_lock.toml')))
    ? await readText(src, 'migration_lock.toml')
    : undefined;
  if (lock === undefined) notes.push('migration_lock.toml is missing: assumed provider "postgresql"');
  else if (!/provider\s*=\s*"postgres(ql)?"/.test(lock))
    problems.push(`migration_lock.toml: provider is not "postgresql"; only PostgreSQL histories can be imported`);
  const migrations: SourceMigration[] = [];
  // Prisma's own order: folder names compared as strings, whatever the names are.
  for (const e of await listEntries(src)) {
    if (!e.isDirectory()) continue;
    const file = `${e.name}/migration.sql`;
    if (!(await exists(join(src, file)))) {
      const inside = (await listEntries(join(src, e.name))).map((f) => f.name);
      problems.push(
        inside.some((f) => f.endsWith('.json'))
          ? `${e.name}/: holds ${inside.join(', ')}, Prisma's newer migration format (steps as JSON, no migration.sql); only SQL migrations can be imported: write the folder's SQL into ${file} first`
          : `${file}: missing; Prisma refuses such a folder too`,
      );
      continue;
    }
    const m = FOLDER_RE.exec(e.name);
    const text = await readText(src, file);
    if (m) {
      migrations.push({ id: e.name, version: m[1]!, name: m[2]!, up: { file, text } });
      continue;
    }
    // Prisma applies it where its name sorts; its version is the next free one after the folder before it.
    const before = migrations.at(-1)?.version ?? '0';
    const placed = `folder name is not <14-digit timestamp>_<name>: placed where Prisma applies it (folder names sorted), after ${migrations.at(-1)?.id ?? 'nothing'}`;
    migrations.push({ id: e.name, version: before, name: e.name, placed, up: { file, text } });
  }
  return { migrations, problems, notes };
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
