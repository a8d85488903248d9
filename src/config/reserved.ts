// Names this tool reserves. The state schema is named here, at the bottom, because the tenant
// pattern check (config) and tenant discovery (tenants/) must both leave it out, and neither may
// import the migrations room that owns the table inside it.

/** The schema that holds this tool's own tables (migrations/state/). */
export const STATE_SCHEMA = 'migrate_tool';

/**
 * Spare tenant schemas (migrations/spares.ts) are named with this prefix. They are this tool's,
 * not tenants: discovery, the catalog reads and the invalid-index checks leave them out whatever
 * the tenant pattern.
 */
export const SPARE_PREFIX = 'migrate_tool_spare_';
/** A LIKE pattern (as SQL text) that matches the spare schemas' names: the prefix, its `_` taken literally. */
export const SPARE_LIKE = `'${SPARE_PREFIX.replaceAll('_', '\\_')}%'`;
/** SQL that is true when the name in `column` is not one of this tool's schemas (nor a system one). */
export const notReserved = (column: string) =>
  `${column} NOT LIKE 'pg\\_%' AND ${column} NOT IN ('public', 'information_schema', '${STATE_SCHEMA}') AND ${column} NOT LIKE ${SPARE_LIKE}`;
