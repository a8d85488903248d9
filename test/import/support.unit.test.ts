// The tests' own pg_dump runs keep the password off the command line, as the product's do: a
// recording pg_dump first on PATH sees the password in PGPASSWORD and nowhere in its arguments.
import { afterEach } from 'vitest';
import { wrappers } from '../backup/support';
import { describe, expect, test } from '../support/fixtures';
import { catalog } from './support';

const PATH = process.env.PATH;
afterEach(() => void (process.env.PATH = PATH));

describe("the import tests' catalog dump", () => {
  test('gives pg_dump the password through its environment, never its arguments', async ({ dir }) => {
    const w = await wrappers(dir, { body: { pg_dump: 'exit 0' } });
    process.env.PATH = `${w.bin}:${PATH}`;
    await catalog('postgres://app:Catalog-Pw-3b8e@127.0.0.1:6101/appdb');
    const [run] = await w.log();
    expect(run).toMatch(/^pg_dump argv=\[.*--schema-only.*\] PGPASSWORD=\[Catalog-Pw-3b8e\]$/);
    expect(run!.replace('PGPASSWORD=[Catalog-Pw-3b8e]', '')).not.toContain('Catalog-Pw-3b8e');
  });
});
