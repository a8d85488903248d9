// `test` on a folder whose history was collapsed with `diff --baseline`: the part up to the
// baseline is built once, through it, and what comes after is round-tripped as usual.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { baselined } from '../diff/baseline-support';
import { cli } from '../diff/support';
import { describe, expect, test } from '../support/fixtures';

describe('test with a baseline', () => {
  test('builds through the baseline once, then round-trips the migrations after it', async ({ db, dir }) => {
    const { migrations } = await baselined(db, dir);
    await writeFile(
      join(migrations, 'tenant/29990101000000_employee_email.up.sql'),
      'ALTER TABLE employees ADD COLUMN email text;\n',
    );
    await writeFile(
      join(migrations, 'tenant/29990101000000_employee_email.down.sql'),
      'ALTER TABLE employees DROP COLUMN email;\n',
    );
    expect((await cli(['hash'], { url: db.url, dir })).code).toBe(0);

    const r = await cli(['test'], { url: db.url, dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /Migrations up to baseline \d{14}_init are applied once, through the baseline, as the start/,
    );
    expect(r.stdout).toContain('ok    29990101000000_employee_email: up, down: back to the schema before it');
    expect(r.stdout).toContain(
      'Round trip passed: 1 migration after the first 6 (applied once), in public and 2 tenant schemas',
    );
  });
});
