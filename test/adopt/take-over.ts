// Taking over a database another tool built: import its folder, adopt its history, check that `up`
// has nothing to do, and that an empty database migrated from the imported folder gets the same
// catalog as the one the tool built.
import { join } from 'node:path';
import { expect } from '../support/fixtures';
import { createDatabase, type TestDatabase } from '../support/db';
import { envFor, runCli } from '../support/cli';
import { catalog } from '../import/support';
import { createTenants } from '../support/migrations';

/** import, adopt, `up` (nothing to do), and a fresh database built by `up` compared with `db`. */
export async function takeOver(
  tool: string,
  src: string,
  db: TestDatabase,
  dir: string,
  history: string[],
  importArgs: string[] = [],
  tenants: string[] = [],
): Promise<{ imported: string; adopted: string }> {
  const root = join(dir, 'migrations');
  const env = { ...envFor(db.url), MIGRATIONS_DIR: root };
  const imported = await runCli(['import', tool, src, ...importArgs], { cwd: dir, env });
  expect(imported.code, imported.stderr).toBe(0);
  const adopted = await runCli(['adopt', tool], { cwd: dir, env });
  expect(adopted.code, adopted.stderr).toBe(0);
  expect((await runCli(['up'], { cwd: dir, env })).stdout).toContain('no change');
  const fresh = await createDatabase();
  try {
    await createTenants(fresh, ...tenants);
    const built = await runCli(['up'], { cwd: dir, env: { ...envFor(fresh.url), MIGRATIONS_DIR: root } });
    expect(built.code, built.stderr).toBe(0);
    expect(await catalog(fresh.url, history)).toBe(await catalog(db.url, history));
  } finally {
    await fresh.drop();
  }
  return { imported: imported.stdout, adopted: adopted.stdout };
}
