#!/usr/bin/env node
// Runs every benchmark of the workspace (packages/*/bench/*.bench.mjs, apps/*/bench/*.bench.mjs), one
// process each so they do not share a heap, against the built dist/ of each package.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const only = process.argv[2];
const files = [];
for (const group of ['packages', 'apps']) {
  for (const pkg of readdirSync(join(root, group))) {
    const dir = join(root, group, pkg, 'bench');
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) {
      if (f.endsWith('.bench.mjs') && (!only || `${pkg}/${f}`.includes(only))) files.push(join(dir, f));
    }
  }
}
let failed = 0;
for (const file of files) {
  const r = spawnSync(process.execPath, ['--expose-gc', file], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
