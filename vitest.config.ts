import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Tests spawn the CLI and talk to PostgreSQL: real processes, so forks and generous timeouts.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
