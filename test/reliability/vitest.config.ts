import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The reliability suite (`npm run test:reliability`): fault injection, concurrency, fuzzing, guardrails,
 * IAM and secrets. Its files end in `.reliability.ts`, so the default `vitest run` (test/**\/*.test.ts)
 * never picks them up. Each file writes what it measured for scripts/reliability-report.ts.
 *
 * Knobs (environment): ZEO_RELIABILITY_PG_URL uses your PostgreSQL server
 * instead of a throwaway cluster; ZEO_RELIABILITY_READER_SECONDS (20), ZEO_RELIABILITY_FUZZ_SCALE (1),
 * ZEO_RELIABILITY_SEED (fixed) and ZEO_RELIABILITY_RESULTS (the results folder).
 */
const root = fileURLToPath(new URL('../..', import.meta.url));

export default defineConfig({
  root,
  test: {
    root,
    environment: 'node',
    include: ['test/reliability/**/*.reliability.ts'],
    setupFiles: ['test/setup.ts'],
    globalSetup: ['test/reliability/support/global-setup.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    // Every file starts its own embedded stack (two PGlite instances); two at a time fit the machine.
    maxWorkers: 2,
    env: {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING: '1',
    },
  },
});
