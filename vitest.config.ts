import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { defines } from './scripts/build.js';

// Tests that need no server and spawn no CLI: file loading, splitting, checksums, configuration,
// argument parsing, rendering. Listed here rather than moved, so that test folders stay by subject;
// a new file of that kind can also be named *.unit.test.ts.
const UNIT = [
  'test/engine/config.test.ts',
  'test/engine/files.test.ts',
  'test/engine/sql-split.test.ts',
  'test/seed/files.test.ts',
  'test/**/*.unit.test.ts',
];

export default defineConfig({
  // What the bundles get at build time, for tests that import the sources directly.
  define: defines,
  test: {
    // Tests talk to PostgreSQL and run the CLI in their process (changing its folder): forks, and generous timeouts.
    pool: 'forks',
    // The tests mostly wait (on PostgreSQL, pg_dump, timeouts): more files at a time than cores keeps
    // the cores busy. On 2 cores, 3 at a time took half the time of vitest's default (cores - 1 = 1).
    maxWorkers: Math.max(3, availableParallelism() - 1),
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // After the summary: the tests that could not run here, why, and what to do (test/support/not-run.ts).
    reporters: ['default', './test/support/not-run-reporter.ts'],
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: UNIT,
          // Builds the CLI and starts (or finds) the PostgreSQL server; the unit project needs neither.
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
    ],
  },
});
