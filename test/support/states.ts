// Recorded states as the state readers build them, for the planner's pure unit tests.
import type { Migration } from '../../src/migrations/files';
import type { AppliedRow, SchemaState } from '../../src/migrations/state';

/** `name` with `applied` recorded, cleanly (not dirty, not forced). */
export function schemaState(name: string, applied: Migration[] = [], extra: Partial<SchemaState> = {}): SchemaState {
  const rows = applied.map((m): [string, AppliedRow] => [
    m.version,
    {
      version: m.version,
      name: m.name,
      checksum: m.up.checksum,
      appliedAt: new Date(0),
      durationMs: 1,
      dirty: false,
      forced: false,
    },
  ]);
  return { schema: name, applied: new Map(rows), invalidIndexes: [], ...extra };
}
