// The state module: the only code that writes SQL on this tool's schema (migrate_tool): the DDL of
// its tables, the reads (summary, full, one tenant) and the writes (record, dirty, delete, rename,
// force, adopted), and the record of the last runs.
export * from './state';
export * from './state-summary';
export * from './state-counts';
export * from './runs';
export * from './one-tenant';
export * from './adopted';
export * from './kept-rows';
export * from './spares-table';
export * from './backfills';
