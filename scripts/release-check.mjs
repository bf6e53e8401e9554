#!/usr/bin/env node
// Proves the release flow in a scratch copy of the repository: a typical release (a minor of core and a
// patch of one mapper) run through `changeset status` and `changeset version` must bump exactly the
// expected packages (the mappers' peer range keeps them out of a core minor) and write changelogs.
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), 'statuskit-release-'));
const sh = (cmd, args) =>
  execFileSync(cmd, args, { cwd: scratch, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const version = (dir) => JSON.parse(readFileSync(join(scratch, dir, 'package.json'), 'utf8')).version;
try {
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
  })
    .split('\n')
    .filter(Boolean);
  for (const f of files) {
    if (!existsSync(join(root, f))) continue;
    mkdirSync(dirname(join(scratch, f)), { recursive: true });
    writeFileSync(join(scratch, f), readFileSync(join(root, f)));
  }
  symlinkSync(join(root, 'node_modules'), join(scratch, 'node_modules'));
  sh('git', ['init', '-q', '-b', 'main']);
  sh('git', ['-c', 'user.name=ci', '-c', 'user.email=ci@example.invalid', 'add', '-A']);
  sh('git', ['-c', 'user.name=ci', '-c', 'user.email=ci@example.invalid', 'commit', '-qm', 'base']);
  // Start from no pending changesets, then the typical release.
  for (const f of readdirSync(join(scratch, '.changeset')))
    if (f.endsWith('.md') && f !== 'README.md') rmSync(join(scratch, '.changeset', f));
  writeFileSync(
    join(scratch, '.changeset/core-minor.md'),
    '---\n"@statuskit/core": minor\n---\n\nA new core feature.\n',
  );
  writeFileSync(
    join(scratch, '.changeset/field-patch.md'),
    '---\n"@statuskit/mapper-field": patch\n---\n\nA field mapper fix.\n',
  );
  const before = Object.fromEntries(
    ['core', 'store', 'client', 'mapper-field', 'mapper-stripe', 'mapper-chargebee'].map((p) => [
      p,
      version(`packages/${p}`),
    ]),
  );
  sh(join(root, 'node_modules/.bin/changeset'), ['status', '--output', 'status.json']);
  const planned = Object.fromEntries(
    JSON.parse(readFileSync(join(scratch, 'status.json'), 'utf8')).releases.map((r) => [r.name, r.type]),
  );
  sh(join(root, 'node_modules/.bin/changeset'), ['version']);
  const after = Object.fromEntries(Object.keys(before).map((p) => [p, version(`packages/${p}`)]));

  const bump = (v, type) => {
    const [a, b, c] = v.split('.').map(Number);
    return type === 'major' ? `${a + 1}.0.0` : type === 'minor' ? `${a}.${b + 1}.0` : `${a}.${b}.${c + 1}`;
  };
  const expected = {
    core: bump(before.core, 'minor'),
    'mapper-field': bump(before['mapper-field'], 'patch'),
    // Depend on core through `dependencies`, whose ^range a core minor leaves: a patch that widens it.
    store: bump(before.store, 'patch'),
    client: bump(before.client, 'patch'),
    // Peer range >=0.1.0 <1.0.0 still holds: untouched.
    'mapper-stripe': before['mapper-stripe'],
    'mapper-chargebee': before['mapper-chargebee'],
  };
  const problems = Object.keys(expected)
    .filter((p) => after[p] !== expected[p])
    .map((p) => `${p}: ${before[p]} -> ${after[p]}, expected ${expected[p]}`);
  for (const p of ['core', 'mapper-field']) {
    const log = join(scratch, 'packages', p, 'CHANGELOG.md');
    if (!existsSync(log) || !readFileSync(log, 'utf8').includes(after[p]))
      problems.push(`${p}: no CHANGELOG entry for ${after[p]}`);
  }
  if (
    [planned['@statuskit/mapper-stripe'], planned['@statuskit/mapper-chargebee']].some(
      (t) => t && t !== 'none',
    )
  )
    problems.push(`changeset status plans mapper bumps: ${JSON.stringify(planned)}`);
  if (problems.length) {
    console.error(`release check failed:\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  console.log(
    `release check: ${Object.entries(after)
      .map(([p, v]) => `${p} ${before[p]}${v === before[p] ? ' (unchanged)' : ` -> ${v}`}`)
      .join(', ')}`,
  );
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
