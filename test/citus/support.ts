// What the Citus tests share: a history whose files hold the DDL that Citus forwards to its workers
// by the text of the query, and a look at the workers' shards.
import type { TestDatabase } from '../support/db';
import type { Files } from '../support/migrations';

export const FORWARDED: Files = {
  '20250101000000_init.up.sql': 'CREATE TABLE companies (id serial PRIMARY KEY, name text NOT NULL);',
  '20250101000000_init.down.sql': 'DROP TABLE companies;',
  'tenant/20250101000100_items.up.sql': 'CREATE TABLE items (id bigserial PRIMARY KEY, name text NOT NULL);',
  'tenant/20250101000100_items.down.sql': 'DROP TABLE items;',
  'tenant/20250101000200_idx.up.sql':
    'CREATE INDEX items_name_idx ON items (name);\nALTER TABLE items ADD CONSTRAINT items_name_short CHECK (length(name) < 20);',
  'tenant/20250101000200_idx.down.sql':
    'ALTER TABLE items DROP CONSTRAINT items_name_short;\nDROP INDEX items_name_idx;',
  'tenant/20250101000300_rename.up.sql': 'ALTER TABLE items RENAME COLUMN name TO title;',
  'tenant/20250101000300_rename.down.sql': 'ALTER TABLE items RENAME COLUMN title TO name;',
  'tenant/20250101000400_concurrently.up.sql':
    '-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY items_title_idx ON items (title);',
  'tenant/20250101000400_concurrently.down.sql': '-- migrate:no-transaction\nDROP INDEX CONCURRENTLY items_title_idx;',
};

const schemaOf = (table: string) => table.split('.')[0]!;

/** How many placements of `table`'s shards hold an index named `index` (the workers' view). */
export async function indexOnWorkers(db: TestDatabase, table: string, index: string): Promise<number> {
  const r = await db.query<{ result: string }>(
    `SELECT result FROM run_command_on_placements($1, $$SELECT count(*) FROM pg_index WHERE indrelid = '%s'::regclass AND starts_with(indexrelid::regclass::text, '${schemaOf(table)}.${index}_')$$)`,
    [table],
  );
  return r.rows.reduce((n, row) => n + Number(row.result), 0);
}
