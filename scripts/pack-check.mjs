#!/usr/bin/env node
// Packs @statuskit/core and @statuskit/mapper-stripe with `npm pack`, installs the tarballs into a fresh
// project outside the workspace, type-checks a consumer against the published .d.ts, and maps a record:
// proof that the published packages work on their own, without workspace links. Needs a build first.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'statuskit-pack-'));
const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
try {
  const tarballs = ['packages/core', 'packages/mapper-stripe'].map((dir) => {
    const out = run('npm', ['pack', '--json', '--pack-destination', work], join(root, dir));
    return join(work, JSON.parse(out)[0].filename);
  });
  const app = join(work, 'app');
  execFileSync('mkdir', ['-p', app]);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify(
      { name: 'pack-check', private: true, type: 'module', dependencies: { zod: '4.6.7' } },
      null,
      2,
    ),
  );
  run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      ...tarballs,
      `typescript@5.9.3`,
      '@types/node@20',
    ],
    app,
  );
  writeFileSync(
    join(app, 'main.ts'),
    `import { classify, combineUpdates, defaultCatalog, type StatusUpdate } from '@statuskit/core';
import { stripeMapper } from '@statuskit/mapper-stripe';

const mapper = stripeMapper({ plans: [{ status: 'Pro', lookupKeys: ['pro_monthly'] }] });
const result = mapper.map({
  object: 'event', id: 'evt_1', type: 'customer.subscription.updated', created: 1767225600,
  data: { object: { id: 'sub_1', object: 'subscription', status: 'active', customer: 'cus_1', livemode: true, created: 1767225000,
    items: { object: 'list', data: [{ price: { id: 'price_1', lookup_key: 'pro_monthly', product: 'prod_1' } }] } } },
});
if (result.kind !== 'update') throw new Error('expected an update, got ' + JSON.stringify(result));
const updates: StatusUpdate[] = combineUpdates(mapper, [result.update]);
const c = classify({ status: updates[0]?.status }, defaultCatalog);
console.log(JSON.stringify({ accountId: result.update.accountId, status: result.update.status, statusType: c.statusType }));
`,
  );
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        strict: true,
        exactOptionalPropertyTypes: true,
        noEmit: true,
        skipLibCheck: false,
        types: ['node'],
      },
      files: ['main.ts'],
    }),
  );
  run(join(app, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], app);
  run(
    join(app, 'node_modules/.bin/tsc'),
    ['-p', 'tsconfig.json', '--noEmit', 'false', '--outDir', 'out'],
    app,
  );
  const out = run('node', [join(app, 'out/main.js')], app).trim();
  const expected = '{"accountId":"cus_1","status":"Pro","statusType":"paying"}';
  if (out !== expected) throw new Error(`pack check printed ${out}, expected ${expected}`);
  console.log(
    `pack check: core and mapper-stripe installed from tarballs, type-checked strictly, mapped a record: ${out}`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
