// A small project for seed and backup tests: the fixture migrations (the sample models' system
// tables plus a tenant table) and seed files, copied into a test's folder; and a snapshot of
// every table's rows, to compare a database before and after.
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { rewriteSum } from '../../src/migrations/create';
import { envFor } from '../support/cli';
import type { TestDatabase } from '../support/db';

export const FIXTURES = fileURLToPath(new URL('./fixtures', import.meta.url));

export interface Project {
  migrations: string;
  seeds: string;
  /** The CLI's environment for this project and database. */
  env: Record<string, string>;
}

export async function project(dir: string, db: TestDatabase, extra: Record<string, string> = {}): Promise<Project> {
  const migrations = join(dir, 'migrations');
  const seeds = join(dir, 'seeds');
  await cp(join(FIXTURES, 'migrations'), migrations, { recursive: true });
  await cp(join(FIXTURES, 'seeds'), seeds, { recursive: true });
  await rewriteSum(migrations);
  return {
    migrations,
    seeds,
    env: {
      ...envFor(db.url),
      MIGRATIONS_DIR: migrations,
      SEEDS_DIR: seeds,
      BACKUP_DIR: join(dir, 'backups'),
      ...extra,
    },
  };
}

export async function readSet(
  seeds: string,
  file: string,
): Promise<{ rows: Array<Record<string, unknown>> } & Record<string, unknown>> {
  return JSON.parse(await readFile(join(seeds, file), 'utf8'));
}

export async function editSet(
  seeds: string,
  file: string,
  edit: (doc: { rows: Array<Record<string, unknown>> }) => void,
): Promise<void> {
  const doc = await readSet(seeds, file);
  edit(doc);
  await writeFile(join(seeds, file), JSON.stringify(doc, null, 2));
}

/** Every user table's row count and a digest of its rows, and every sequence's position. */
export async function snapshot(db: TestDatabase, { sequences = true } = {}): Promise<Record<string, string>> {
  const rels = await db.query<{ schema: string; name: string; kind: string }>(
    `SELECT n.nspname AS schema, c.relname AS name, c.relkind AS kind
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = ANY($1::"char"[]) AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
      ORDER BY 1, 2`,
    [sequences ? ['r', 'S'] : ['r']],
  );
  const out: Record<string, string> = {};
  for (const r of rels.rows) {
    const t = `${pg.escapeIdentifier(r.schema)}.${pg.escapeIdentifier(r.name)}`;
    const q =
      r.kind === 'S'
        ? `SELECT last_value::text || '/' || is_called::text AS v FROM ${t}`
        : `SELECT count(*)::text || ' rows, ' || md5(coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '')) AS v FROM ${t} x`;
    out[`${r.schema}.${r.name}`] = (await db.query<{ v: string }>(q)).rows[0]!.v;
  }
  return out;
}
