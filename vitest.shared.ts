import { defineConfig } from 'vitest/config';

/** Shared by every package: resolve workspace packages to their TypeScript source in tests. */
export default defineConfig({
  resolve: { conditions: ['@statuskit/source'] },
  ssr: { resolve: { conditions: ['@statuskit/source'] } },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
