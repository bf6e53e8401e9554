import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, watch } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { cliMain, cliSandbox } from './testing/cli-process.js';

const box = cliSandbox();
const { cli, file, dir } = box;
afterAll(box.remove);

/** The first half of a gzip file: a truncated download. */
const halfOf = (gz: Buffer) => gz.subarray(0, gz.length >> 1);
const lines = (out: string) => out.trim().split(/\r?\n/);
const ndjson = (out: string) => lines(out).map((l) => JSON.parse(l) as Record<string, unknown>);
const read = (name: string) => readFileSync(join(dir, name), 'utf8');
/** Files of the sandbox other than the ones a test wrote itself: a temporary left behind shows here. */
const strays = () => readdirSync(dir).filter((n) => /tmp|statuskit-/.test(n));

const stripeSub = (id: string, customer: string, status: string, lookup: string, extra = {}) => ({
  id,
  object: 'subscription',
  status,
  customer,
  livemode: true,
  created: 1_767_225_600,
  items: {
    object: 'list',
    data: [{ price: { id: `price_${lookup}`, lookup_key: lookup, product: 'prod_1' } }],
  },
  ...extra,
});
const stripeEvent = (type: string, created: number, object: unknown) => ({
  id: `evt_${created}`,
  object: 'event',
  type,
  created,
  data: { object },
});
const stripeConfig = file(
  'stripe.json',
  JSON.stringify({
    plans: [
      { status: 'Pro', lookupKeys: ['pro'] },
      { status: 'Personal', lookupKeys: ['personal'] },
    ],
  }),
);
const OCT_25 = Date.UTC(2026, 9, 25) / 1000;
const NOV_12 = Date.UTC(2026, 10, 12) / 1000;

describe("map: ordering of one subscription's events (point 1)", () => {
  it('a deleted event after an older downgrade maps to Cancelled, in either order', () => {
    const downgraded = stripeEvent(
      'customer.subscription.updated',
      OCT_25,
      stripeSub('sub_1', 'cus_1', 'active', 'personal'),
    );
    const deleted = stripeEvent(
      'customer.subscription.deleted',
      NOV_12,
      stripeSub('sub_1', 'cus_1', 'canceled', 'personal', { canceled_at: NOV_12, ended_at: NOV_12 }),
    );
    for (const order of [
      [downgraded, deleted],
      [deleted, downgraded],
    ]) {
      const input = file('events.ndjson', order.map((e) => JSON.stringify(e)).join('\n'));
      const r = cli(['map', '--mapper', 'stripe', '--config', stripeConfig, input]);
      expect(r.code, r.stderr).toBe(0);
      expect(ndjson(r.stdout)).toMatchObject([{ accountId: 'cus_1', status: 'Cancelled' }]);
      expect(r.stderr).toContain('1 superseded by a newer record of the same object');
    }
  });

  it('skips a deleted Chargebee subscription as deleted, and -c can say otherwise', () => {
    const sub = {
      id: 'cb_sub_1',
      customer_id: 'cb_cus_1',
      status: 'active',
      updated_at: 1_768_000_000,
      deleted: true,
      subscription_items: [{ item_price_id: 'pro-USD-Monthly', item_type: 'plan' }],
    };
    const input = file('cb.ndjson', `${JSON.stringify({ subscription: sub })}\n`);
    const config = { plans: [{ status: 'Pro', itemIds: ['pro'] }] };
    const skip = cli(['map', '--mapper', 'chargebee', '-c', file('cb.json', JSON.stringify(config)), input]);
    expect(skip.code).toBe(0);
    expect(skip.stdout).toBe('');
    expect(skip.stderr).toContain('skipped deleted: 1');
    const asCancelled = file('cb-cancel.json', JSON.stringify({ ...config, deleted: 'cancelled' }));
    expect(ndjson(cli(['map', '--mapper', 'chargebee', '-c', asCancelled, input]).stdout)).toMatchObject([
      { status: 'Cancelled' },
    ]);
  });
});

describe('map: list objects and webhook bodies as input (point 3)', () => {
  const subs = [
    stripeSub('sub_a', 'cus_a', 'active', 'pro'),
    stripeSub('sub_b', 'cus_b', 'trialing', 'pro'),
    stripeSub('sub_c', 'cus_c', 'active', 'gold'),
  ];

  it("reads Stripe's list object, pretty-printed, streaming its data", () => {
    const input = file(
      'stripe-page.json',
      JSON.stringify({ object: 'list', data: subs, has_more: true, url: '/v1/subscriptions' }, null, 2),
    );
    const r = cli(['map', '--mapper', 'stripe', '-c', stripeConfig, input, '-o', 'page-out.ndjson']);
    expect(r.code, r.stderr).toBe(0);
    expect(ndjson(read('page-out.ndjson')).map((u) => [u.accountId, u.status])).toEqual([
      ['cus_a', 'Pro'],
      ['cus_b', 'Trial'],
    ]);
    expect(r.stderr).toContain('skipped unmapped-price: 1');
    expect(r.stderr).toContain('stripe-page.json:1 data[2]: skip unmapped-price (cus_c)');
  });

  it("reads Chargebee's list pages: a file, and one page per NDJSON line", () => {
    const entry = (id: string, status: string) => ({
      subscription: {
        id: `s_${id}`,
        customer_id: id,
        status,
        updated_at: 1_768_000_000,
        subscription_items: [{ item_price_id: 'pro-USD-Monthly', item_type: 'plan' }],
      },
      customer: { id },
    });
    const config = file('cb-plans.json', JSON.stringify({ plans: [{ status: 'Pro', itemIds: ['pro'] }] }));
    const page = { list: [entry('c1', 'active'), entry('c2', 'in_trial')], next_offset: '["1768000000000"]' };
    const one = cli([
      'map',
      '--mapper',
      'chargebee',
      '-c',
      config,
      file('cb-page.json', JSON.stringify(page)),
    ]);
    expect(one.code, one.stderr).toBe(0);
    expect(ndjson(one.stdout).map((u) => u.status)).toEqual(['Pro', 'Trial']);
    const pages = file(
      'cb-pages.ndjson',
      `${JSON.stringify(page)}\n${JSON.stringify({ list: [entry('c3', 'cancelled')] })}\n`,
    );
    const many = cli(['map', '--mapper', 'chargebee', '-c', config, pages]);
    expect(ndjson(many.stdout).map((u) => u.accountId)).toEqual(['c1', 'c2', 'c3']);
  });

  it('reads a single webhook event body (a JSON object, or one NDJSON line on stdin)', () => {
    const body = JSON.stringify(
      stripeEvent('customer.subscription.updated', NOV_12, stripeSub('sub_w', 'cus_w', 'active', 'pro')),
      null,
      2,
    );
    const r = cli(['map', '--mapper', 'stripe', '-c', stripeConfig, file('webhook.json', body)]);
    expect(r.code, r.stderr).toBe(0);
    expect(ndjson(r.stdout)).toMatchObject([{ accountId: 'cus_w', status: 'Pro' }]);
    const piped = cli(['map', '--mapper', 'stripe', '-c', stripeConfig, '--format', 'json'], { input: body });
    expect(ndjson(piped.stdout)).toMatchObject([{ accountId: 'cus_w' }]);
  });

  it('still refuses a JSON object where a command reads accounts, and says what it accepts', () => {
    const r = cli(['classify', file('obj.json', '{"id":"a","status":"Pro"}')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('must be an array of objects');
  });
});

describe('classify: ragged CSV rows (point 4)', () => {
  it('reads short rows as records with empty trailing fields, warns once with the first lines; longer rows stay malformed', () => {
    const input = file(
      'ragged.csv',
      'id,name,region,status\n' +
        'a1,Acme,EU,Pro\n' +
        'a2,Globex\n' +
        'a3,Initech,US\n' +
        'a4,Umbrella,EU,Trial,extra\n' +
        'a5\n' +
        `${Array.from({ length: 8 }, (_, i) => `b${i},B${i}`).join('\n')}\n`,
    );
    const r = cli(['classify', input, '--as-of', '2026-11-25']);
    expect(r.code).toBe(1); // the long row
    const rows = lines(r.stdout);
    expect(rows[0]).toBe('id,name,region,rawStatus,statusType,status,plan,unknownReason,eligible,reasons');
    expect(rows).toContain('a2,Globex,,,unknown,,,missing,false,unknown-status:missing');
    expect(rows).toContain('a3,Initech,US,,unknown,,,missing,false,unknown-status:missing');
    expect(rows).toContain('a5,,,,unknown,,,missing,false,unknown-status:missing');
    expect(rows.filter((l) => l.startsWith('a4'))).toEqual([]);
    expect(r.stderr).toContain('ragged.csv:5: skipped: expected 4 fields, found 5');
    const warnings = r.stderr.split('\n').filter((l) => l.includes('fewer fields'));
    expect(warnings).toEqual([
      'warning: ragged.csv: 11 rows have fewer fields than the header; their missing trailing fields are read as empty (lines 3, 4, 6, 7, 8, and 6 more)',
    ]);
    expect(r.stderr).toContain('classified 12 records');

    const json = cli(['classify', input, '--output-format', 'ndjson']);
    const a2 = ndjson(json.stdout).find((x) => x.id === 'a2');
    expect(a2).toMatchObject({ name: 'Globex', unknownReason: 'missing' });
    expect(a2).not.toHaveProperty('region');
    expect(a2).not.toHaveProperty('rawStatus');
    const report = cli(['report', input, '--json']);
    expect(JSON.parse(report.stdout).unknown.byReason.missing).toBe(11);
    expect(report.stderr).toContain('11 rows have fewer fields');
  });

  it('exits 0 when the only irregular rows are short ones', () => {
    const r = cli(['classify', file('short.csv', 'id,status,region\nx1,Pro\nx2,Trial,EU\n')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('1 row has fewer fields than the header');
    expect(lines(r.stdout)[1]).toBe('x1,Pro,,paying,Pro,Pro,,true,active-customer');
  });
});

describe('classify, report, rules test: a column that is not in the header (point 5)', () => {
  const input = file('cols.csv', 'Id,Name,Customer_Status__c\n1,Acme,Pro\n');

  it('exits 2 naming the column and listing the header, with "did you mean" for a case-only difference', () => {
    const r = cli([
      'classify',
      input,
      '--status-field',
      'customer_status__c',
      '--id-field',
      'Id',
      '-o',
      'c.csv',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      'statuskit: cols.csv has no column customer_status__c (--status-field); its columns: Id, Name, Customer_Status__c. Did you mean Customer_Status__c?',
    );
    expect(existsSync(join(dir, 'c.csv'))).toBe(false);
    const id = cli(['report', input, '--status-field', 'Customer_Status__c', '--id-field', 'id']);
    expect(id.code).toBe(2);
    expect(id.stderr).toContain('has no column id (--id-field)');
    expect(id.stderr).toContain('Did you mean Id?');
    const typo = cli(['rules', 'test', input, '--status-field', 'Status']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain(
      'has no column Status (--status-field); its columns: Id, Name, Customer_Status__c',
    );
    expect(typo.stderr).not.toContain('Did you mean');
  });

  it('names the default status column too, and a column named in the config', () => {
    const r = cli(['classify', input]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('has no column status (the default; set --status-field)');
    const config = file(
      'cols.config.json',
      JSON.stringify({ fields: { id: 'Id', status: 'Customer_Status' } }),
    );
    const c = cli(['classify', input, '--config', config]);
    expect(c.code).toBe(2);
    expect(c.stderr).toContain('has no column Customer_Status (fields.status in cols.config.json)');
    const ok = cli(['classify', input, '--status-field', 'Customer_Status__c', '--id-field', 'Id']);
    expect(ok.code).toBe(0);
  });

  it('warns, for NDJSON, when no record has the field, with the key that differs only in case', () => {
    const nd = file('cols.ndjson', '{"Id":"1","Status":"Pro"}\n{"Id":"2"}\n');
    const r = cli(['report', nd, '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      'warning: no record of cols.ndjson has a field status (the default; set --status-field); did you mean Status?\n',
    );
    expect(cli(['report', nd, '--status-field', 'Status']).stderr).toBe('');
  });
});

describe('classify: added columns never collide with input columns (point 6)', () => {
  it('keeps every input column and value; an added column that collides is prefixed statuskit_', () => {
    const input = file(
      'collide.csv',
      'id,status,plan,eligible,rawStatus,statuskit_plan,reasons\n' + 'k1,Pro,gold-legacy,yes,old,x,none\n',
    );
    const r = cli(['classify', input]);
    expect(r.code).toBe(0);
    const [header, row] = lines(r.stdout).map((l) => l.split(','));
    expect(new Set(header).size).toBe(header?.length);
    expect(header).toEqual([
      'id',
      'statuskit_rawStatus',
      'plan',
      'eligible',
      'rawStatus',
      'statuskit_plan',
      'reasons',
      'statusType',
      'status',
      'statuskit_statuskit_plan',
      'unknownReason',
      'statuskit_eligible',
      'statuskit_reasons',
    ]);
    expect(row).toEqual([
      'k1',
      'Pro',
      'gold-legacy',
      'yes',
      'old',
      'x',
      'none',
      'paying',
      'Pro',
      'Pro',
      '',
      'true',
      'active-customer',
    ]);

    const json = cli(['classify', input, '--output-format', 'ndjson']);
    const [record] = ndjson(json.stdout);
    expect(record).toMatchObject({
      plan: 'gold-legacy',
      eligible: 'yes',
      rawStatus: 'old',
      statuskit_rawStatus: 'Pro',
      statuskit_plan: 'x',
      statuskit_statuskit_plan: 'Pro',
      statuskit_eligible: true,
      reasons: 'none',
      statusType: 'paying',
      status: 'Pro',
    });
    expect(record?.statuskit_reasons).toEqual([expect.objectContaining({ code: 'active-customer' })]);
  });

  it('does the same for NDJSON input, record by record', () => {
    const input = file(
      'collide.ndjson',
      '{"id":"n1","status":"Trial","statusType":"vip"}\n{"id":"n2","status":"Pro"}\n',
    );
    const out = ndjson(cli(['classify', input]).stdout);
    expect(out[0]).toMatchObject({ statusType: 'vip', statuskit_statusType: 'free', rawStatus: 'Trial' });
    expect(out[1]).toMatchObject({ statusType: 'paying' });
    expect(out[1]).not.toHaveProperty('statuskit_statusType');
  });
});

describe('-o: written beside the target and renamed on success (point 7)', () => {
  const previous = 'the previous output\n';

  it('replaces the file on success', () => {
    file('ok-out.csv', previous);
    const r = cli(['classify', file('ok.csv', 'id,status\n1,Pro\n'), '-o', 'ok-out.csv']);
    expect(r.code).toBe(0);
    expect(read('ok-out.csv')).toContain('1,Pro,paying');
    expect(strays()).toEqual([]);
  });

  it('leaves the previous file untouched and no temporary after --on-error fail, a bad input, a crash', () => {
    file('bad.csv', 'id,status\n1,Pro\n2,Pro,extra\n');
    file(
      'crash.mjs',
      "import { defineMapper } from '@statuskit/core/mapper';\nimport { z } from 'zod';\nexport default defineMapper({ name: 'crash', input: z.object({ id: z.string() }), map: (r) => ({ accountId: r.id, status: 'Pro' }), combine: () => { throw new Error('combine blew up'); } });\n",
    );
    const runs = [
      ['classify', 'bad.csv', '--on-error', 'fail', '-o', 'kept.csv'],
      [
        'map',
        '--mapper',
        'stripe',
        '-c',
        stripeConfig,
        file('not-json.json', '{"object":"list","data":[1,'),
        '-o',
        'kept.csv',
      ],
      ['map', '--mapper', './crash.mjs', file('two.ndjson', '{"id":"a"}\n{"id":"a"}\n'), '-o', 'kept.csv'],
      [
        'classify',
        file(
          'trunc.csv.gz',
          halfOf(gzipSync(`id,status\n${Array.from({ length: 50_000 }, (_, i) => `z${i},Pro\n`).join('')}`)),
        ),
        '-o',
        'kept.csv.gz',
      ],
    ];
    for (const args of runs) {
      file('kept.csv', previous);
      file('kept.csv.gz', previous);
      const r = cli(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).not.toBe(0);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(read('kept.csv')).toBe(previous);
      expect(read('kept.csv.gz')).toBe(previous);
      expect(strays(), args.join(' ')).toEqual([]);
    }
  });

  it('removes its temporary when stopped by a signal', async () => {
    file('sig-out.csv', previous);
    // Its own process group, stopped as a whole; stdin stays open, so the run waits for input.
    const child = spawn(
      process.execPath,
      [cliMain, 'classify', '-', '--format', 'csv', '-o', 'sig-out.csv'],
      { cwd: dir, stdio: ['pipe', 'ignore', 'pipe'], detached: true },
    );
    // Ready once the temporary exists beside the target (or failed, if the process ends first).
    await new Promise<void>((resolve, reject) => {
      const watcher = watch(dir);
      const done = (error?: Error) => {
        watcher.close();
        child.off('exit', exited);
        if (error) reject(error);
        else resolve();
      };
      const exited = () => done(new Error('the CLI ended before it made its temporary'));
      const check = () => {
        if (strays().length > 0) done();
      };
      child.once('exit', exited);
      watcher.on('change', check);
      check();
    });
    child.stdin.write('id,status\n1,Pro\n');
    process.kill(-(child.pid as number), 'SIGTERM');
    const code = await new Promise((resolve) => child.once('exit', (c, signal) => resolve(c ?? signal)));
    expect(code).toBe(143);
    expect(read('sig-out.csv')).toBe(previous);
    expect(strays()).toEqual([]);
  });
});

describe('a truncated gzip input (point 8)', () => {
  it('exits 1 naming the file, the cause and the rows read, without a stack trace', () => {
    const rows = Array.from({ length: 200_000 }, (_, i) => `t${i},Pro\n`).join('');
    const input = file('cut.csv.gz', halfOf(gzipSync(`id,status\n${rows}`)));
    for (const command of ['classify', 'report']) {
      const r = cli([command, input]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(
        /^statuskit: cut\.csv\.gz: the gzip data ends early \(unexpected end of file\): the file is truncated; [\d,]+ rows were read before it\n$/m,
      );
      expect(r.stderr).not.toContain('unexpected error');
    }
    const nd = file(
      'cut.ndjson.gz',
      halfOf(gzipSync(Array.from({ length: 50_000 }, (_, i) => `{"id":"a${i}","status":"Pro"}\n`).join(''))),
    );
    const m = cli([
      'map',
      '--mapper',
      'field',
      '-c',
      file('f.json', JSON.stringify({ field: 'status', values: { Pro: 'Pro' } })),
      nd,
    ]);
    expect(m.code).toBe(1);
    expect(m.stderr).toContain('cut.ndjson.gz: the gzip data ends early');
    const corrupt = cli(['classify', file('corrupt.csv.gz', 'not gzip at all')]);
    expect(corrupt.code).toBe(1);
    expect(corrupt.stderr).toContain(
      'corrupt.csv.gz: not gzip data (incorrect header check); 0 rows were read',
    );
  });
});

describe('map with a built-in mapper and no --config (point 9)', () => {
  it('asks for --config and shows a minimal config that works', () => {
    for (const mapper of ['stripe', 'chargebee', 'field']) {
      const r = cli(['map', '--mapper', mapper, file('empty.ndjson', '')]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`the ${mapper} mapper needs --config <file>`);
      expect(r.stderr).not.toContain('Invalid input');
      const example = /for example:\n([\s\S]+?\n)\(/.exec(r.stderr)?.[1];
      expect(example, r.stderr).toBeDefined();
      const config = file(`minimal-${mapper}.json`, example as string);
      expect(cli(['map', '--mapper', mapper, '-c', config, 'empty.ndjson']).code).toBe(0);
    }
  });
});

describe('wording (point 11)', () => {
  it('says 1 rule, 1 warning, 1 batch, 1 record; no rows/s for a run under a second', () => {
    const rules = file(
      'one-rule.json',
      JSON.stringify([
        {
          name: 'x',
          conditions: { all: [{ fact: 'plan', operator: 'in', value: 'Professional' }] },
          event: { type: 'exclude', params: { reason: 'r' } },
        },
      ]),
    );
    expect(cli(['rules', 'validate', rules]).stdout).toBe('one-rule.json: 1 rule, valid (1 warning)\n');
    const updates = file('one-update.ndjson', '{"accountId":"a","status":"Pro"}\n');
    expect(cli(['push', updates, '--dry-run']).stderr).toBe(
      'dry run: 1 update in 1 batch would be sent; nothing was sent\n',
    );
    const classified = cli(['classify', file('five.csv', 'id,status\n1,Pro\n2,Pro\n3,Pro\n4,Pro\n5,Pro\n')]);
    expect(classified.stderr).toMatch(/^classified 5 records in 0\.\d\d s\n$/);
    expect(cli(['classify', file('single.csv', 'id,status\n1,Pro\n')]).stderr).toMatch(
      /^classified 1 record in/,
    );
    const cat = file('one-cat.json', JSON.stringify({ statuses: [{ value: 'Pro', type: 'paying' }] }));
    expect(cli(['catalog', 'validate', cat]).stdout).toContain('1 status.');
  });
});

describe('exit codes', () => {
  it('are the same in --help and in the README', () => {
    const help = cli(['--help']).stdout;
    const documented = [...help.matchAll(/^ {2}(\d) {2}(.+)$/gm)].map((m) => [m[1], m[2]]);
    expect(documented.map(([code]) => code)).toEqual(['0', '1', '2', '3', '4']);
    const readme = readFileSync(join(dirname(cliMain), '..', 'README.md'), 'utf8');
    for (const [code, meaning] of documented) expect(readme).toContain(`| ${code} | ${meaning} |`);
  });
});

describe('npx statuskit and npx statuskit-sfdc from the repository (point 10)', () => {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  it('run the built CLIs through the bin links npm makes at npm ci', () => {
    for (const [bin, expected] of [
      ['statuskit', /^\d+\.\d+\.\d+\n$/],
      ['statuskit-sfdc', /^Usage: statuskit-sfdc/],
    ] as const) {
      const r = spawnSync('npx', ['--no', '--', bin, bin === 'statuskit' ? '--version' : '--help'], {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, npm_config_offline: 'true' },
      });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(expected);
    }
  });
});
