// vitest fixtures: `db` is a fresh database for the test, `dir` a fresh temporary folder.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test as base } from 'vitest';
import { createDatabase, type TestDatabase } from './db';

export const test = base.extend<{ db: TestDatabase; dir: string }>({
  // eslint-disable-next-line no-empty-pattern
  db: async ({}, use) => {
    const db = await createDatabase();
    await use(db);
    await db.drop();
  },
  // eslint-disable-next-line no-empty-pattern
  dir: async ({}, use) => {
    const dir = await mkdtemp(join(tmpdir(), 'migrate-tool-test-'));
    await use(dir);
    await rm(dir, { recursive: true, force: true });
  },
});

export { expect, describe } from 'vitest';
