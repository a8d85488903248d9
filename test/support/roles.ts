// A login role granted only the state table's rows (no CREATE, not the owner): what a locked-down
// production role may be. Dropped with what it owns when `fn` ends.
import type { TestDatabase } from './db';

export async function withRowsOnlyRole(
  db: TestDatabase,
  fn: (url: string, role: string) => Promise<void>,
): Promise<void> {
  const role = `rows_only_${db.name}`;
  await db.query(`CREATE ROLE ${role} LOGIN PASSWORD 'rows-only-pw'`);
  try {
    await db.query(
      `GRANT USAGE ON SCHEMA migrate_tool TO ${role}; GRANT SELECT, INSERT, UPDATE, DELETE ON migrate_tool.migrations TO ${role}`,
    );
    const url = new URL(db.url);
    url.username = role;
    url.password = 'rows-only-pw';
    await fn(url.toString(), role);
  } finally {
    await db.query(`DROP OWNED BY ${role}; DROP ROLE ${role}`);
  }
}
