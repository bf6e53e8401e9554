#!/usr/bin/env node
// The `statuskit` bin. npm links bins when it installs (`npm ci`), before anything is built, and makes no
// link to a file that does not exist yet: so the bin is this committed file, which loads the build.
import { existsSync } from 'node:fs';

const built = new URL('../dist/statuskit.js', import.meta.url);
if (!existsSync(built)) {
  process.stderr.write('statuskit is not built yet: run `npm run build` in the repository first\n');
  process.exit(2);
}
await import(built.href);
