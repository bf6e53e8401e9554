import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));

it('the README example runs as written and prints what its comment says', () => {
  const readme = readFileSync(join(here, '../../../README.md'), 'utf8');
  const block = /<!-- example:core[^>]*-->\s*```js\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(block, 'README has an example:core block').toBeDefined();
  const code = block as string;
  expect(code.trim().split('\n').length).toBeLessThanOrEqual(16);
  const expected = /\/\/ (.*)\s*$/.exec(code.trim())?.[1];
  // Written inside the package so `@statuskit/core` resolves the way a user's import does (the built dist).
  const dir = mkdtempSync(join(here, '..', '.readme-'));
  try {
    writeFileSync(join(dir, 'example.mjs'), code);
    const out = execFileSync(process.execPath, [join(dir, 'example.mjs')], { encoding: 'utf8' });
    expect(out.trim()).toBe(expected);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
