import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type ApiProcess, startApi, startProcess } from '@statuskit/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliMain, cliSandbox } from './testing/cli-process.js';

const main = cliMain;
const sandbox = cliSandbox();
const { dir, cli, run, file } = sandbox;
afterAll(sandbox.remove);
const csvRows = (out: string) => out.trim().split(/\r?\n/);

describe('statuskit CLI', () => {
  it('documents commands and exit codes, and exits 2 on usage errors', () => {
    const help = cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('classify');
    expect(help.stdout).toContain('3  --fail-on-unknown tripped');
    expect(cli(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(cli(['classify', '--help']).stdout).toContain('statuskit classify accounts.csv -o classified.csv');
    expect(cli(['frobnicate']).code).toBe(2);
    const missing = cli(['classify', 'nope.csv']);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe('statuskit: no such file: nope.csv');
    expect(cli(['classify', 'x.txt']).stderr).toContain('add --format');
  });

  it('classifies CSV with a BOM, CRLF line ends, quoted commas and embedded newlines', () => {
    const input = file(
      'accounts.csv',
      '\uFEFFid,name,status,seats\r\n' +
        'a1,"Acme, Inc.",Pro,5\r\n' +
        'a2,"Multi\r\nline ""quoted"" name", trial ,1\r\n' +
        'a3,Globex,Gold,2\r\n' +
        'a4,Initech,,3\r\n',
    );
    const r = cli(['classify', input, '--as-of', '2026-11-25']);
    expect(r.code).toBe(0);
    const rows = csvRows(r.stdout);
    expect(rows[0]).toBe('id,name,rawStatus,seats,statusType,status,plan,unknownReason,eligible,reasons');
    expect(rows[1]).toBe('a1,"Acme, Inc.",Pro,5,paying,Pro,Pro,,true,active-customer');
    expect(r.stdout).toContain(
      'a2,"Multi\r\nline ""quoted"" name"," trial ",1,free,Trial,,,true,active-customer',
    );
    expect(r.stdout).toContain(
      'a3,Globex,Gold,2,unknown,,,not-in-catalog,false,unknown-status:not-in-catalog',
    );
    expect(r.stdout).toContain('a4,Initech,,3,unknown,,,empty,false,unknown-status:empty');
    expect(r.stderr).toContain('classified 4 records');
  });

  it('reads a file of many chunks: exact lines for malformed rows, quoting kept, nothing lost', () => {
    const statuses = ['Pro', 'Trial', 'Cancelled', 'Gold'];
    let text = 'id,name,status,seats\r\n';
    let line = 2;
    const badLines: number[] = [];
    for (let i = 0; i < 50_000; i++) {
      const name =
        i % 997 === 0 ? `"Multi\r\nline ${i}"` : i % 50 === 0 ? `"Acme, ""Intl"" ${i}"` : `Co ${i}`;
      if (i === 12_345 || i === 49_999) {
        text += `b${i},${name},Pro,1,extra\r\n`;
        badLines.push(line);
      } else text += `a${i},${name},${statuses[i % 4]},${i % 9}\r\n`;
      line += name.includes('\n') ? 2 : 1;
    }
    const input = file('many.csv', text);
    expect(text.length).toBeGreaterThan(1 << 20);

    const r = cli(['classify', input, '--as-of', '2026-11-25']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`many.csv:${badLines[0]}: skipped: expected 4 fields, found 5\n`);
    expect(r.stderr).toContain(`many.csv:${badLines[1]}: skipped: expected 4 fields, found 5\n`);
    expect(r.stderr).toContain('classified 49,998 records');
    expect(r.stderr).toContain('2 malformed records skipped');
    expect(r.stdout.split('\n').filter((l) => l.startsWith('a'))).toHaveLength(49_998);
    expect(r.stdout).toContain('a19940,"Multi\r\nline 19940",Pro,5,paying,Pro,Pro,,true,active-customer\n');
    expect(r.stdout).toContain('a29950,"Acme, ""Intl"" 29950",Cancelled,7,cancelled,Cancelled,');

    const report = cli(['report', input, '--json']);
    expect(report.code).toBe(1);
    expect(report.stderr).toContain(`many.csv:${badLines[1]}: skipped: expected 4 fields, found 5\n`);
    expect(JSON.parse(report.stdout).total).toBe(49_998);

    const fail = cli(['classify', input, '--on-error', 'fail', '-o', 'never.csv']);
    expect(fail.code).toBe(1);
    expect(fail.stderr.trim()).toBe(`statuskit: many.csv:${badLines[0]}: expected 4 fields, found 5`);
  });

  // `script` (util-linux) runs the CLI on a pseudo-terminal: the only way to see what a person at a terminal sees.
  const hasScript = spawnSync('script', ['--version']).status === 0;
  it.skipIf(!hasScript)(
    'draws progress with rows/s and an ETA on a terminal only, and not with --quiet',
    () => {
      const input = file('progress.csv', `id,status\n${'a,Pro\n'.repeat(20_000)}`);
      const onTerminal = (args: string) =>
        spawnSync('script', ['-qec', `'${process.execPath}' '${main}' ${args}`, '/dev/null'], {
          cwd: dir,
          encoding: 'utf8',
        });
      const shown = onTerminal(`classify ${input} -o progress-out.csv`);
      expect(shown.status).toBe(0);
      expect(shown.stdout).toMatch(/100% \| 20,000 rows \| ([\d,]+ rows\/s|\d\.\d\d s) \| ETA 0s/);
      expect(shown.stdout).toContain('classified 20,000 records');
      const quiet = onTerminal(`classify ${input} -o progress-out.csv --quiet`);
      expect(quiet.status).toBe(0);
      expect(quiet.stdout.trim()).toBe('');
      const piped = cli(['classify', input, '-o', 'progress-out.csv']);
      expect(piped.stderr).not.toContain('rows/s |');
      expect(piped.stderr).toMatch(/^classified 20,000 records in [\d.]+ s( \([\d,]+ rows\/s\))?\n$/);
    },
  );

  it('skips a broken NDJSON line with its line number and exits 1, or stops with --on-error fail', () => {
    const input = file(
      'accounts.ndjson',
      '{"id":"a","status":"Pro"}\n{"id":"b","status":"Trial"}\n{"id":"c", status: oops}\n{"id":"d","status":"Cancelled"}\n',
    );
    const r = cli(['classify', input]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('accounts.ndjson:3: skipped: invalid JSON');
    expect(r.stderr).toContain('1 malformed record skipped');
    expect(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).id),
    ).toEqual(['a', 'b', 'd']);
    const strict = cli(['classify', input, '--on-error', 'fail']);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain('statuskit: accounts.ndjson:3: invalid JSON');
  });

  it('reads gzip, JSON arrays and stdin, and writes gzip', () => {
    const gz = file('accounts.csv.gz', gzipSync('id,status\nz1,Enterprise\nz2,Internal-use\n'));
    const r = cli(['classify', gz, '-o', 'out.ndjson.gz']);
    expect(r.code).toBe(0);
    const out = spawnSync('gunzip', ['-c', join(dir, 'out.ndjson.gz')], { encoding: 'utf8' }).stdout;
    expect(
      out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).eligible),
    ).toEqual([true, false]);
    const json = file(
      'accounts.json',
      '[\n {"id": "j1", "status": "Pro", "tags": ["a", "]"]},\n {"id": "j2", "status": "Cancelled"}\n]\n',
    );
    expect(
      cli(['classify', json])
        .stdout.trim()
        .split('\n')
        .map((l) => JSON.parse(l).statusType),
    ).toEqual(['paying', 'cancelled']);
    const piped = cli(['classify', '-', '--format', 'csv'], { input: 'id,status\ns1,Pro\n' });
    expect(csvRows(piped.stdout)[1]).toContain('s1,Pro,paying');
  });

  it('reports counts and gates a pipeline with --fail-on-unknown', () => {
    const input = file('report.csv', 'id,status\n1,Pro\n2,Gold\n3,Gold\n4,\n5,Cancelled\n');
    const json = cli(['report', input, '--json']);
    expect(json.code).toBe(0);
    const s = JSON.parse(json.stdout);
    expect(s).toMatchObject({
      total: 5,
      eligible: 1,
      unknown: {
        total: 3,
        byValue: [
          { value: 'Gold', count: 2 },
          { value: '', count: 1 },
        ],
      },
    });
    expect(cli(['report', input]).stdout).toContain('"Gold" (not-in-catalog)');
    const tripped = cli(['report', input, '--fail-on-unknown']);
    expect(tripped.code).toBe(3);
    expect(tripped.stderr).toContain('3 accounts are Unknown');
    expect(cli(['report', input, '--fail-on-unknown=3']).code).toBe(0);
  });

  it('validates catalogs and rules with the JSON path of each problem', () => {
    const bad = file(
      'catalog.json',
      JSON.stringify({
        statuses: [
          { value: 'Pro', type: 'paying' },
          { value: 'Gold', type: 'premium' },
        ],
      }),
    );
    const r = cli(['catalog', 'validate', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('statuses[1].type');
    const rules = file(
      'rules.json',
      JSON.stringify([
        {
          name: 'x',
          conditions: { all: [{ fact: 'plan', operator: 'in', value: 'Professional' }] },
          event: { type: 'exclude', params: { reason: 'r' } },
        },
      ]),
    );
    const ok = cli(['rules', 'validate', rules]);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toContain('substring test');
    const broken = file('broken.json', '{ nope');
    expect(cli(['rules', 'validate', broken]).code).toBe(2);
  });

  it('classifies, reports and validates catalogs with aliases (other spellings of a status)', () => {
    const catalog = {
      statuses: [
        { value: 'Trial', type: 'free', trial: true, aliases: ['Trail', 'Free trial'] },
        { value: 'Pro', type: 'paying', aliases: ['Professional'] },
      ],
    };
    const config = file('aliases.config.json', JSON.stringify({ catalog }));
    const input = file('aliases.csv', 'id,status\n1,Trail\n2, free TRIAL \n3,professional\n4,Gold\n');
    const classified = cli(['classify', input, '--config', config, '--as-of', '2026-11-25']);
    expect(classified.code).toBe(0);
    expect(csvRows(classified.stdout).map((row) => row.split(',').slice(0, 5).join(','))).toEqual([
      'id,rawStatus,statusType,status,plan',
      '1,Trail,free,Trial,',
      '2, free TRIAL ,free,Trial,',
      '3,professional,paying,Pro,Pro',
      '4,Gold,unknown,,',
    ]);
    const report = JSON.parse(cli(['report', input, '--config', config, '--json']).stdout);
    expect(report).toMatchObject({ total: 4, unknown: { total: 1, byValue: [{ value: 'Gold', count: 1 }] } });

    const valid = cli(['catalog', 'validate', config]);
    expect(valid.code).toBe(0);
    expect(valid.stdout).toContain('free: Trial (also Trail, Free trial); paying: Pro (also Professional)');
    const takenCatalog = {
      statuses: [...catalog.statuses, { value: 'Enterprise', type: 'paying', aliases: ['trail'] }],
    };
    const bad = cli(['catalog', 'validate', file('aliases-bad.json', JSON.stringify(takenCatalog))]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(
      'statuses[2].aliases[0]: alias "trail" is already an alias of statuses[0] ("Trial")',
    );
    const badConfig = file('aliases-bad.config.json', JSON.stringify({ catalog: takenCatalog }));
    const refused = cli(['classify', input, '--config', badConfig]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('statuses[2].aliases[0]');
  });

  it('init writes a config the other commands use, and tests rules against the current ones', () => {
    const init = cli(['init']);
    expect(init.code).toBe(0);
    expect(init.stdout).toContain('Next:');
    expect(cli(['init']).code).toBe(2);
    const input = file('rt.csv', 'id,status,region\nr1,Pro,TEST\nr2,Pro,EU\nr3,Cancelled,EU\n');
    const next = file(
      'next-rules.json',
      JSON.stringify([
        {
          name: 'test-region',
          conditions: { all: [{ fact: 'attributes', path: '$.region', operator: 'equal', value: 'TEST' }] },
          event: { type: 'exclude', params: { reason: 'test tenant' } },
        },
      ]),
    );
    const current = file('current-rules.json', '[]');
    const r = cli(['rules', 'test', input, '--rules', next, '--compare', current, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      total: 3,
      eligible: 1,
      rules: [{ rule: 'test-region', fired: 1, decided: 1, examples: ['r1'] }],
      compare: { entering: 0, leaving: 1, leavingExamples: ['r1'] },
    });
    rmSync(join(dir, 'statuskit.config.json'));
  });

  it('maps Stripe subscriptions and reports skips by reason; loads a mapper module; refuses unknown mappers', () => {
    const sub = (id: string, customer: string, status: string, lookup: string) =>
      JSON.stringify({
        id,
        object: 'subscription',
        status,
        customer,
        livemode: true,
        created: 1767225600,
        items: {
          object: 'list',
          data: [{ price: { id: `price_${lookup}`, lookup_key: lookup, product: 'prod_1' } }],
        },
      });
    const input = file(
      'subs.ndjson',
      [
        sub('sub_1', 'cus_1', 'active', 'pro'),
        sub('sub_2', 'cus_1', 'trialing', 'pro'),
        sub('sub_3', 'cus_2', 'active', 'gold'),
        '{"object":"subscription"}',
      ].join('\n'),
    );
    const config = file('stripe.json', JSON.stringify({ plans: [{ status: 'Pro', lookupKeys: ['pro'] }] }));
    const r = cli(['map', '--mapper', 'stripe', '--config', config], {
      input: readFileSync(join(dir, input), 'utf8'),
    });
    expect(r.code).toBe(0);
    expect(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toMatchObject([{ accountId: 'cus_1', status: 'Pro', source: 'mapper:stripe' }]);
    expect(r.stderr).toContain('skipped unmapped-price: 1');
    expect(r.stderr).toContain('skipped invalid-input: 1');
    mkdirSync(join(dir, 'mappers'), { recursive: true });
    file(
      'mappers/tiers.mjs',
      "import { defineMapper } from '@statuskit/core/mapper';\nimport { z } from 'zod';\nexport default defineMapper({ name: 'tiers', input: z.object({ who: z.string(), tier: z.string() }), map: (r) => ({ accountId: r.who, status: r.tier === 'gold' ? 'Enterprise' : 'Pro' }) });\n",
    );
    const tiers = file('tiers.csv', 'who,tier\nw1,gold\nw2,silver\n');
    const mod = cli(['map', '--mapper', './mappers/tiers.mjs', tiers]);
    expect(mod.code).toBe(0);
    expect(
      mod.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).status),
    ).toEqual(['Enterprise', 'Pro']);
    const unknown = cli(['map', '--mapper', 'paypal', tiers]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown mapper paypal');
  });
});

describe('statuskit push against the real API', () => {
  let api: ApiProcess;
  let url = '';
  let key = '';
  beforeAll(async () => {
    api = await startApi();
    url = api.url;
    key = api.key as string;
  });
  afterAll(() => api?.stop());

  const account = async (id: string) =>
    (
      await fetch(`${url}/v1/accounts/${id}`, { headers: { authorization: `Bearer ${key}` } })
    ).json() as Promise<{ status: string; history: unknown[] }>;

  it('pushes in batches; after an interrupted push, a re-run sends nothing twice', async () => {
    const lines = Array.from({ length: 5000 }, (_, i) =>
      JSON.stringify({
        accountId: `p${i}`,
        status: i % 2 ? 'Pro' : 'Trial',
        observedAt: '2026-11-01T00:00:00Z',
        source: 'file',
      }),
    );
    const input = file('updates.ndjson', `${lines.join('\n')}\n{"accountId":"","status":"Pro"}\n`);
    // A proxy that forwards two batches, then answers every later batch by closing the connection without
    // a response: the push is cut off after exactly two applied batches, however fast the machine is.
    let forwarded = 0;
    const proxy: Server = createServer((req, res) => {
      if (req.url?.startsWith('/v1/statuses:batch') && ++forwarded > 2) {
        req.resume();
        req.once('end', () => req.socket.destroy());
        return;
      }
      const target = new URL(req.url ?? '/', url);
      const forward = httpRequest(
        target,
        { method: req.method, headers: req.headers, agent: false },
        (upstream) => {
          res.writeHead(upstream.statusCode ?? 502, upstream.headers);
          upstream.pipe(res);
        },
      );
      forward.once('error', () => res.destroy());
      req.pipe(forward);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    const cut = startProcess(
      process.execPath,
      [main, 'push', input, '--url', proxyUrl, '--key', key, '--retries', '1'],
      {
        cwd: dir,
      },
    );
    const cutCode = await cut.exited;
    const cutErr = cut.stderr;
    await new Promise((r) => proxy.close(r));
    expect(cutCode).toBe(4);
    expect(cutErr).toContain('unreachable');
    expect((await account('p0')).status).toBe('Trial');
    expect(
      (await fetch(`${url}/v1/accounts/p4999`, { headers: { authorization: `Bearer ${key}` } })).status,
    ).toBe(404);

    const rerun = await run(['push', input, '--url', url, '--key', key]);
    expect(rerun.code).toBe(1); // the one invalid record is skipped and counted
    expect(rerun.stderr).toContain(
      'pushed 5,000 updates in 5 batches (2 batches, 2,000 updates, were sent by an earlier run and not applied again)',
    );
    expect(rerun.stderr, rerun.stderr).toContain('3000 created, 0 changed, 0 unchanged, 0 stale');
    expect(rerun.stderr).toContain('updates.ndjson:5001: skipped: accountId');
    for (const id of ['p0', 'p1999', 'p2000', 'p4999']) expect((await account(id)).history).toHaveLength(1);

    const again = await run(['push', input, '--url', url, '--key', key, '--quiet']);
    expect(again.code).toBe(1);
    expect((await account('p10')).history).toHaveLength(1);
    expect((await run(['push', input, '--dry-run'])).stderr).toContain(
      'dry run: 5,000 updates in 5 batches would be sent',
    );
    const noKey = await run(['push', input], { env: { STATUSKIT_URL: '', STATUSKIT_API_KEY: '' } });
    expect(noKey.code).toBe(2);
    expect(readFileSync(join(dir, input), 'utf8').length).toBeGreaterThan(0);
  });

  it('exits 4 when the API is unreachable or rejects the key', async () => {
    const input = file('one.ndjson', '{"accountId":"x","status":"Pro"}\n');
    const down = await run(['push', input, '--url', 'http://127.0.0.1:9', '--key', key, '--retries', '0']);
    expect(down.code).toBe(4);
    const rejected = await run([
      'push',
      input,
      '--url',
      url,
      '--key',
      'sk_0000000000000000_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    ]);
    expect(rejected.code).toBe(4);
    expect(rejected.stderr).toContain('rejected batch 1');
  });
});
