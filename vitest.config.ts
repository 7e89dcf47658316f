import { defineConfig } from 'vitest/config';

// Local services every developer and CI machine has (see README "Testing"); override per environment.
const serviceEnv = {
  AEGIS_TEST_DATABASE_URL: process.env.AEGIS_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  AEGIS_TEST_REDIS_URL: process.env.AEGIS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
};

export default defineConfig({
  test: {
    pool: 'forks',
    env: serviceEnv,
    // The summary reporter prints one plain "N passed, N failed, N skipped" line that closes the run.
    reporters: ['default', './packages/testkit/src/reporters/summary-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts'] },
      },
      {
        extends: true,
        test: { name: 'integration', include: ['test/**/*.test.ts'] },
      },
    ],
  },
});
