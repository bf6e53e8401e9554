import { defineConfig } from 'vitest/config';

/** `npx vitest` from the root runs every package's project at once. */
export default defineConfig({ test: { projects: ['packages/*', 'apps/*', 'examples/*'] } });
