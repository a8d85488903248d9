// Moved to db/catalog.ts, where drift uses it too; kept so that imports stay short.
export { takeSnapshot, type Snapshot, type Queryable } from '../db/catalog';
