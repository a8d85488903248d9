// `force V`: record V as the current version without running SQL. Every migration up to V counts
// as applied in its scope, every later one as not applied, and the dirty flag is cleared. This is
// how an operator recovers after fixing by hand what a failed no-transaction migration left.
import type pg from 'pg';
import { UsageError } from '../errors';
import type { MigrationFolder } from './files';
import { STATE_TABLE, type SchemaState } from './state';

export interface ForceResult {
  version: string | null;
  schemas: number;
}

/** `0` (or golang-migrate's `-1`) means "nothing applied". */
export function parseForceTarget(folder: MigrationFolder, target: string): string | null {
  if (target === '0' || target === '-1') return null;
  if (!folder.migrations.some((m) => m.version === target)) {
    const known = folder.migrations.map((m) => m.version);
    throw new UsageError(
      `Version ${target} is not a migration in ${folder.dir}`,
      `give one of ${known.length ? `${known[0]} ... ${known.at(-1)}` : '(none)'} or 0 for "nothing applied"`,
      'UNKNOWN_VERSION',
    );
  }
  return target;
}

/** `version` as parseForceTarget returned it; null: nothing applied. */
export async function forceVersion(client: pg.ClientBase, folder: MigrationFolder, scope: SchemaState[], version: string | null): Promise<ForceResult> {
  const upTo = folder.migrations.filter((m) => version !== null && m.version <= version);
  const cols = { schema: [] as string[], version: [] as string[], name: [] as string[], scope: [] as string[], checksum: [] as string[] };
  for (const s of scope) {
    for (const m of upTo) {
      if ((m.scope === 'global') !== (s.schema === 'public')) continue;
      cols.schema.push(s.schema);
      cols.version.push(m.version);
      cols.name.push(m.name);
      cols.scope.push(m.scope);
      cols.checksum.push(m.up.checksum);
    }
  }
  const schemas = scope.map((s) => s.schema);
  await client.query('BEGIN');
  try {
    await client.query(`DELETE FROM ${STATE_TABLE} WHERE schema_name = ANY($1::text[]) AND ($2::text IS NULL OR version > $2)`, [schemas, version]);
    // An existing clean row keeps its checksum and timing; a dirty or missing one is recorded as forced.
    await client.query(
      `INSERT INTO ${STATE_TABLE} AS m (schema_name, version, name, scope, checksum, forced)
       SELECT s, v, n, sc, c, true FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS u(s, v, n, sc, c)
       ON CONFLICT (schema_name, version) DO UPDATE
         SET dirty = false,
             forced = m.forced OR m.dirty,
             checksum = CASE WHEN m.dirty THEN EXCLUDED.checksum ELSE m.checksum END`,
      [cols.schema, cols.version, cols.name, cols.scope, cols.checksum],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
  return { version, schemas: schemas.length };
}
