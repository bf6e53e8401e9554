// Bundles the compiled CLI (dist/main.js and all it imports) into dist/statuskit.js plus chunks loaded per
// command (dist/bundle/): a run loads a few files instead of ~150 modules, and only its command's code.
// Measured here: a one-row `classify` starts in about 0.17 s instead of 0.30 s (node itself: 0.08 s).
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

const dist = new URL('../dist/', import.meta.url).pathname;
rmSync(`${dist}bundle`, { recursive: true, force: true });
await build({
  entryPoints: { statuskit: `${dist}main.js` },
  outdir: dist,
  chunkNames: 'bundle/[name]-[hash]',
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // CommonJS dependencies (papaparse, commander) call require for Node's own modules.
  banner: {
    js: "import { createRequire as __statuskitRequire } from 'node:module';\nconst require = __statuskitRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
