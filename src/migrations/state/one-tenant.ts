// The state of one new tenant (migrateTenant's fast path, new-tenant.ts): public, this schema, and the
// versions unknown to the folder anywhere, not every tenant's rows. A tenant schema "anywhere" is one
// that matches the pattern and exists (tenants/discovery.ts).
import { isTenantSchema, isTenantSchemaSql } from '../../tenants/discovery';
import type { MigrationFolder } from '../files';
import { invalidIndexesIn } from '../invalid-indexes';
import {
  addRows,
  DISTINCT_VERSIONS,
  emptySchema,
  ROW_COLUMNS,
  STATE_TABLE,
  type DatabaseState,
  type SchemaState,
  type StateRow,
} from './state';

import type { Queryable } from '../../db/queryable';

/** The state of public and `schema` (when it is a tenant schema), and the folder's unknown versions anywhere. */
export async function readTenantState(
  db: Queryable,
  tenantPattern: string,
  folder: MigrationFolder,
  schema: string,
): Promise<DatabaseState> {
  const state: DatabaseState = { public: emptySchema('public'), tenants: [] };
  const byName = new Map<string, SchemaState>([['public', state.public]]);
  if (await isTenantSchema(db, tenantPattern, schema)) {
    const s = emptySchema(schema);
    state.tenants.push(s);
    byName.set(schema, s);
  }
  for (const s of byName.values()) s.invalidIndexes.push(...(await invalidIndexesIn(db, s.schema)));
  const exists = await db.query<{ t: string | null }>(`SELECT to_regclass($1) AS t`, [STATE_TABLE]);
  if (!exists.rows[0]?.t) return { ...state, unknownVersions: [] };
  const rows = await db.query<StateRow>(
    `SELECT ${ROW_COLUMNS} FROM ${STATE_TABLE} WHERE schema_name = ANY($1::text[]) ORDER BY schema_name, version`,
    [[...byName.keys()]],
  );
  addRows(byName, rows.rows);
  // Whether each contract file has run in another schema (contract.ts): one index probe per contract version.
  const contracts = folder.migrations.filter((m) => m.up.contract).map((m) => m.version);
  const ran = contracts.length
    ? await db.query<{ v: string }>(
        `SELECT DISTINCT version AS v FROM ${STATE_TABLE} m WHERE m.version = ANY($1::text[]) AND NOT m.dirty AND m.schema_name <> $2
            AND (m.schema_name = 'public' OR (${isTenantSchemaSql('m.schema_name', '$3')}))`,
        [contracts, schema, tenantPattern],
      )
    : { rows: [] };
  state.contractsRun = new Set(ran.rows.map((r) => r.v));
  // Versions the folder lacks, in public or any tenant schema there is: the distinct versions are
  // found by one index probe each (a loose index scan), then each unknown one is looked up.
  const unknown = await db.query<{ v: string }>(
    `${DISTINCT_VERSIONS}
     SELECT d.v FROM d WHERE d.v IS NOT NULL AND NOT (d.v = ANY($1::text[]))
        AND EXISTS (SELECT 1 FROM ${STATE_TABLE} m WHERE m.version = d.v AND (m.schema_name = 'public' OR (${isTenantSchemaSql('m.schema_name', '$2')})))
      ORDER BY d.v`,
    [folder.migrations.map((m) => m.version), tenantPattern],
  );
  return { ...state, unknownVersions: unknown.rows.map((r) => r.v) };
}
