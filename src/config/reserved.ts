// Names this tool reserves. The state schema is named here, at the bottom, because the tenant
// pattern check (config) and tenant discovery (tenants/) must both leave it out, and neither may
// import the migrations room that owns the table inside it.

/** The schema that holds this tool's own tables (migrations/state.ts). */
export const STATE_SCHEMA = 'migrate_tool';
