// drift's read of the live catalogs runs in a read-only transaction: a failure inside it must end
// that transaction with a rollback, not a commit.
import pg from 'pg';
import { catalogRead } from '../../src/drift/drift';
import { describe, expect, test } from '../support/fixtures';

describe('drift catalog read', () => {
  test('a failure inside the read rolls its transaction back instead of committing it', async ({ db }) => {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      let xid = '';
      const read = catalogRead(c, async () => {
        xid = (await c.query<{ x: string }>('SELECT pg_current_xact_id()::text AS x')).rows[0]!.x;
        throw new Error('the snapshot could not be read');
      });
      await expect(read).rejects.toThrow('the snapshot could not be read');
      const status = await c.query<{ s: string }>('SELECT pg_xact_status($1::xid8) AS s', [xid]);
      expect(status.rows[0]!.s).toBe('aborted');
      expect((await c.query<{ t: string }>("SELECT current_setting('transaction_read_only') AS t")).rows[0]!.t).toBe(
        'off',
      );
    } finally {
      await c.end();
    }
  });
});
