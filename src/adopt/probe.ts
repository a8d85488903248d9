// Which of the tenant parts (the guide's loops, converted) each tenant schema really has. A loop
// reached the companies that existed when it ran: one created between two loops has the first and
// not the second, and public's one history cannot say so. So the parts are run, in order, in a
// probe schema inside a transaction that is rolled back, and after each the probe's catalog digest
// is taken (db/catalog.ts, the schema's own name left out); a tenant schema whose digest equals the
// probe's after k parts has exactly those k. Nothing of the probe is kept.
import { catalogHashes } from '../db/catalog';
import { withTransaction } from '../db/transaction';
import type { Migration } from '../migrations/files';
import type { Queryable } from '../db/queryable';

const PROBE = 'migrate_tool_adopt_probe';

export interface Prefixes {
  /** Per tenant schema, how many of the parts (in order) its catalog shows; absent: it matches none. */
  applied: Map<string, number>;
  /** Why the probe could not be built, if it could not. */
  error?: string;
}

export async function tenantPrefixes(db: Queryable, parts: Migration[], schemas: string[]): Promise<Prefixes> {
  const applied = new Map<string, number>();
  if (parts.length === 0 || schemas.length === 0) return { applied };
  try {
    // Everything the probe builds is rolled back, whether the parts ran or failed.
    await withTransaction(
      db,
      async () => {
        await db.query(`CREATE SCHEMA ${PROBE}`);
        const byDigest = new Map<string, number>();
        const digest = async () => (await catalogHashes(db, { names: [PROBE] })).get(PROBE)!;
        byDigest.set(await digest(), 0);
        for (const [k, m] of parts.entries()) {
          await db.query(`SET LOCAL search_path TO ${PROBE}`);
          for (const st of m.up.statements) await db.query(st.text);
          byDigest.set(await digest(), k + 1); // a part that changes no catalog counts as applied with the one before
        }
        for (const [schema, hash] of await catalogHashes(db, { names: schemas })) {
          const k = byDigest.get(hash);
          if (k !== undefined) applied.set(schema, k);
        }
      },
      { rollback: true },
    );
    return { applied };
  } catch (error) {
    return { applied, error: (error as Error).message };
  }
}
