import { basename, join } from 'node:path';
import { defineConfig } from 'vitest/config';
import { timeoutScale } from './packages/test-support/src/timeouts.js';

// Computed once, in the process that starts the workers, and handed to them, so every wait in a run
// (vitest's own limits, processes started by tests) uses the same scale.
process.env.STATUSKIT_TEST_TIMEOUT_SCALE ??= timeoutScale().toFixed(2);
const scale = Number(process.env.STATUSKIT_TEST_TIMEOUT_SCALE);

/** Shared by every package: resolve workspace packages to their TypeScript source in tests. */
export default defineConfig({
  resolve: { conditions: ['@statuskit/source'] },
  ssr: { resolve: { conditions: ['@statuskit/source'] } },
  test: {
    // Limits for a quiet machine, scaled (packages/test-support/src/timeouts.ts). They catch hangs only: the
    // slowest test takes a few seconds on a quiet machine.
    testTimeout: Math.ceil(60_000 * scale),
    hookTimeout: Math.ceil(60_000 * scale),
    env: { STATUSKIT_TEST_TIMEOUT_SCALE: String(scale) },
    // `npm test` (scripts/test.mjs) asks every package for its per-test durations, to print the slowest.
    reporters: timingsFile() ? ['default', ['json', { outputFile: timingsFile() }]] : ['default'],
  },
});

/** Where this package's per-test durations go when `npm test` collects them (STATUSKIT_TEST_TIMINGS, a folder). */
function timingsFile(): string | undefined {
  const folder = process.env.STATUSKIT_TEST_TIMINGS;
  // vitest runs in the package's folder, whose name is unique in the workspace (packages/core, apps/api, ...).
  return folder ? join(folder, `${basename(process.cwd())}.json`) : undefined;
}
