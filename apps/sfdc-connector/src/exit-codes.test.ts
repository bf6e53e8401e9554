import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EXIT, EXIT_MEANINGS, exitCodeHelp } from './exit-codes.js';

const readme = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'README.md'), 'utf8');
const section = (title: string) => {
  const start = readme.indexOf(`\n## ${title}\n`);
  expect(start, `README section ${title}`).toBeGreaterThan(-1);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
};
const rows = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| ---'))
    .slice(1)
    .map((l) => l.slice(2, -2).split(' | '));

describe('exit codes', () => {
  it('the README table is the table --help prints', () => {
    expect(Object.fromEntries(rows(section('Exit codes')).map(([code, meaning]) => [code, meaning]))).toEqual(
      Object.fromEntries(Object.entries(EXIT_MEANINGS)),
    );
    for (const [code, meaning] of Object.entries(EXIT_MEANINGS))
      expect(exitCodeHelp()).toContain(`${code.padEnd(2)} ${meaning}`);
    expect(Object.values(EXIT).sort()).toEqual(Object.keys(EXIT_MEANINGS).map(Number).sort());
  });

  it('troubleshooting lists failures for every code but 0, each with its code', () => {
    const codes = new Set(rows(section('Troubleshooting')).map((cells) => Number(cells.at(-2))));
    expect([...codes].sort((a, b) => a - b)).toEqual(Object.values(EXIT).filter((c) => c !== EXIT.ok));
  });
});
