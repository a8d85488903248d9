// backup and restore on a real Citus coordinator. A pg_dump of a coordinator holds the tables and
// the rows of the distributed ones (read from the workers), but not Citus's metadata; restoring it
// would remake the schemas as the session's sharding setting says (the state schema distributed).
// So backup warns, and restore refuses a Citus database before pg_restore touches anything.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { envFor, runCli } from '../support/cli';
import { citusMissing, citusTitle, describe, expect, test } from '../support/citus';
import { createTenants, writeMigrations } from '../support/migrations';
import { FORWARDED } from './support';

describe.skipIf(citusMissing)(citusTitle('backup and restore on a Citus coordinator'), () => {
  test("backup holds the distributed tables' rows and says it cannot be restored by restore; restore refuses, changing nothing", async ({
    db,
    dir,
  }) => {
    const env = {
      ...envFor(db.url),
      MIGRATIONS_DIR: await writeMigrations(dir, FORWARDED),
      BACKUP_DIR: join(dir, 'backups'),
    };
    await createTenants(db, 'company_a', 'company_b');
    expect((await runCli(['up'], { env })).code).toBe(0);
    await db.query(`INSERT INTO company_a.items (title) VALUES ('on-a-worker')`);

    const backup = await runCli(['backup', '--json'], { env });
    expect(backup.code, backup.stderr).toBe(0);
    const result = JSON.parse(backup.stdout) as { file: string; restore: { problem?: string } };
    expect(result.restore.problem).toContain("not Citus's metadata");
    const text = await runCli(['backup'], { env });
    expect(text.stderr).toMatch(
      /warning: this installation cannot restore this backup into this server: a pg_dump of a Citus coordinator/,
    );
    // What the archive holds: the row, read from its worker; no Citus metadata (pg_dist_*, create_distributed_table).
    const sql = execFileSync('pg_restore', ['-f', '-', result.file], { encoding: 'utf8' });
    expect(sql).toMatch(/COPY company_a\.items \(id, title\) FROM stdin;\n\d+\ton-a-worker\n/);
    expect(sql).not.toMatch(/pg_dist_|create_distributed_table|citus_schema_distribute/);

    await db.query(`INSERT INTO company_b.items (title) VALUES ('after-backup')`);
    const restore = await runCli(['restore', result.file, '--yes'], { env });
    expect(restore.code).toBe(1);
    expect(restore.stderr).toContain(`Restore refused: ${db.name} is a Citus database`);
    expect(restore.stderr).toContain('citus_create_restore_point');
    expect((await db.query(`SELECT title FROM company_b.items`)).rows).toEqual([{ title: 'after-backup' }]);
    expect((await db.query(`SELECT count(*)::int AS n FROM pg_dist_schema`)).rows[0].n).toBe(2);
  });
});
