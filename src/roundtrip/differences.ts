// Moved to db/catalog-differences.ts, where drift uses it too; kept so that imports stay short.
export { compareSnapshots, describeDifferences, type Difference } from '../db/catalog-differences';
