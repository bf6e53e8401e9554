import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, type StatuskitClient } from '@statuskit/client';
import { type ApiProcess, startApi, startProcess } from '@statuskit/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { check } from './check.js';
import { type ConnectorConfig, connectorConfigSchema, loadConnectorConfig } from './config.js';
import { SalesforceClient } from './salesforce-client.js';
import { toId18 } from './salesforce-id.js';
import { sync } from './sync.js';
import { type SalesforceDouble, type SfRecord, startSalesforceDouble } from './testing/salesforce-double.js';

const here = dirname(fileURLToPath(import.meta.url));
const connectorMain = join(here, '..', 'dist', 'main.js');
const env = { SF_CLIENT_ID: 'cid-123', SF_CLIENT_SECRET: 'secret-456' };
const STATUSES = ['Paying - Gold', 'Paying - Silver', 'Free Trial', 'Churned', 'Partner', null];
const MAPPED: Record<string, string> = {
  'Paying - Gold': 'Enterprise',
  'Paying - Silver': 'Pro',
  'Free Trial': 'Trial',
  Churned: 'Cancelled',
};
const T0 = Date.parse('2026-10-01T00:00:00Z');
const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function sfId(i: number): string {
  let s = '';
  for (let n = i * 7919 + 12345, k = 0; k < 12; k++, n = Math.floor(n / 62) + k * 31) s += chars[n % 62];
  return toId18(`001${s}`);
}

function makeRecords(n: number): SfRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    Id: i < 100 ? sfId(i).slice(0, 15) : sfId(i), // a few 15-character ids, as a custom id field may hold them
    Name: `Account ${i}`,
    Customer_Status__c: STATUSES[i % STATUSES.length] ?? null,
    Industry: i % 2 ? 'Retail' : 'Software',
    SystemModstamp: new Date(T0 + i * 60_000).toISOString().replace('Z', '+0000'),
    IsDeleted: false,
  }));
}

const config = (over: Partial<ConnectorConfig> = {}): ConnectorConfig =>
  connectorConfigSchema.parse({
    name: 'sfdc-test',
    salesforce: {
      loginUrl: 'http://127.0.0.1:1',
      auth: { flow: 'client-credentials', clientIdEnv: 'SF_CLIENT_ID', clientSecretEnv: 'SF_CLIENT_SECRET' },
    },
    statusField: 'Customer_Status__c',
    nameField: 'Name',
    attributeFields: ['Industry'],
    values: MAPPED,
    ...over,
  });

describe('Salesforce connector against a Salesforce double and the real API', () => {
  let api: ApiProcess;
  let sf: SalesforceDouble;
  let statuskit: StatuskitClient;
  let url = '';
  let key = '';
  const dataDir = mkdtempSync(join(tmpdir(), 'statuskit-sfdc-'));
  const cfg = (over: Partial<ConnectorConfig> = {}) =>
    config({ salesforce: { ...config().salesforce, loginUrl: sf.url }, ...over });
  const client = (retries = 5) => new SalesforceClient(cfg(), { env, retries, retryBaseMs: 1 });

  beforeAll(async () => {
    sf = await startSalesforceDouble({
      clientId: env.SF_CLIENT_ID,
      clientSecret: env.SF_CLIENT_SECRET,
      records: makeRecords(10_000),
    });
    api = await startApi();
    url = api.url;
    key = api.key as string;
    statuskit = createClient({ url, apiKey: key });
  });
  afterAll(async () => {
    await api?.stop();
    await sf?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const expectInSync = async (ids: number[]) => {
    for (const i of ids) {
      const r = sf.records[i] as SfRecord;
      const a = await statuskit.getAccount(toId18(r.Id));
      const want = r.Customer_Status__c ? MAPPED[r.Customer_Status__c] : undefined;
      if (want === undefined) expect(a, `account ${i}`).toBeUndefined();
      else expect(a?.status, `account ${i}`).toBe(want);
    }
  };

  it('checks mapping coverage: unmapped picklist values, with their labels', async () => {
    const report = await check(cfg(), client(), statuskit);
    expect(report.missingFields).toEqual([]);
    expect(report.unmapped).toEqual([
      { value: 'Partner', label: 'Partner' },
      { value: 'Legacy', label: 'Legacy' },
    ]);
    expect(report.picklist.find((p) => p.value === 'Paying - Gold')).toMatchObject({
      label: 'Gold customer',
      status: 'Enterprise',
    });
    expect(report.complete).toBe(false);
  });

  it('a dry run prints what it would push and changes nothing', async () => {
    const lines: string[] = [];
    const summary = await sync(cfg(), client(), undefined, { dryRun: true, write: (l) => lines.push(l) });
    expect(summary.read).toBe(10_000);
    expect(lines.length).toBe(summary.pushed);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      accountId: toId18((sf.records[0] as SfRecord).Id),
      source: 'sfdc',
    });
    expect(await statuskit.getConnectorState('sfdc-test')).toBeUndefined();
  });

  it('syncs 10,000 accounts (paging past 2,000), pushing 18-character ids, then only what changed', async () => {
    const first = await sync(cfg(), client(), statuskit);
    expect(first).toMatchObject({ read: 10_000, skipped: { 'unmapped-value': 1666, 'missing-value': 1666 } });
    expect(first.created).toBe(first.pushed);
    expect(sf.queries.filter((q) => q.startsWith('SELECT Id, Customer_Status__c')).length).toBeGreaterThan(0);
    await expectInSync([0, 1, 2, 3, 99, 100, 4321, 9999]);
    expect((await statuskit.getAccount(toId18((sf.records[7] as SfRecord).Id)))?.name).toBe('Account 7');

    const later = Date.parse('2026-11-01T00:00:00Z');
    for (let i = 0; i < 50; i++) {
      const r = sf.records[i * 37] as SfRecord;
      r.Customer_Status__c = 'Churned';
      r.SystemModstamp = new Date(later + i * 1000).toISOString();
    }
    const second = await sync(cfg(), client(), statuskit);
    expect(sf.queries.at(-2)).toMatch(/WHERE SystemModstamp > 2026-10-07T22:34:00Z/);
    // The 50 changed records plus the few inside the overlap window behind the watermark.
    expect(second.read).toBeGreaterThanOrEqual(50);
    expect(second.read).toBeLessThan(60);
    expect(second.created + second.changed + second.unchanged).toBe(second.pushed);
    await expectInSync(Array.from({ length: 50 }, (_, i) => i * 37));
  });

  it('survives 500s, a dropped connection and REQUEST_LIMIT_EXCEEDED, by retrying or on the next run, applying nothing twice', async () => {
    const mark = Date.parse('2026-11-10T00:00:00Z');
    const changed = Array.from({ length: 3000 }, (_, k) => 3000 + k);
    for (const [k, i] of changed.entries()) {
      const r = sf.records[i] as SfRecord;
      r.Customer_Status__c = r.Customer_Status__c === 'Free Trial' ? 'Paying - Silver' : 'Free Trial';
      r.SystemModstamp = new Date(mark + k * 1000).toISOString();
    }
    // With retries: one run gets through all three faults.
    sf.faults.push({ status: 500 }, { drop: true }, { status: 403, errorCode: 'REQUEST_LIMIT_EXCEEDED' });
    sf.faultAfter = 2;
    const survived = await sync(cfg(), client(5), statuskit);
    expect(sf.faults).toHaveLength(0);
    expect(survived.read).toBeGreaterThanOrEqual(3000);
    await expectInSync([3000, 4500, 5999]);

    // Without retries: each fault stops a run mid-way; the next run resumes from the watermark.
    for (const [k, i] of changed.entries()) {
      const r = sf.records[i] as SfRecord;
      r.Customer_Status__c = r.Customer_Status__c === 'Free Trial' ? 'Paying - Silver' : 'Free Trial';
      r.SystemModstamp = new Date(mark + 86_400_000 + k * 1000).toISOString();
    }
    const failures: string[] = [];
    for (const [n, fault] of [
      { status: 500 },
      { drop: true as const },
      { status: 403, errorCode: 'REQUEST_LIMIT_EXCEEDED' },
    ].entries()) {
      sf.faults.push(fault);
      sf.faultAfter = n === 0 ? 2 : 0; // the first run fails mid-way (after two pages), the next ones at once
      await sync(cfg(), client(0), statuskit).catch((e: Error) => failures.push(e.message));
    }
    expect(failures).toHaveLength(3);
    const last = await sync(cfg(), client(0), statuskit);
    expect(last.read).toBeLessThan(3000);
    // Every account in statuskit matches Salesforce.
    const inStatuskit = new Map<string, string | null>();
    for await (const a of statuskit.accounts({ limit: 1000 })) inStatuskit.set(a.id, a.status);
    let mapped = 0;
    for (const r of sf.records) {
      const want = r.Customer_Status__c ? MAPPED[r.Customer_Status__c] : undefined;
      if (want === undefined) continue;
      mapped++;
      expect(inStatuskit.get(toId18(r.Id)), r.Id).toBe(want);
    }
    expect(mapped).toBeGreaterThan(6000);
    for (const i of [3000, 3001, 4500, 5998, 5999]) {
      const changes = (
        (await statuskit.getAccount(toId18((sf.records[i] as SfRecord).Id)))?.history ?? []
      ).filter((e) => e.kind === 'change');
      // At most: created, first flip, second flip; and never the same observation applied twice.
      expect(changes.length).toBeLessThanOrEqual(3);
      expect(new Set(changes.map((e) => e.observedAt)).size).toBe(changes.length);
    }
  });

  it('logs in again once when the session expires', async () => {
    const c = client();
    await c.describe('Account');
    sf.expireSessions();
    await expect(c.describe('Account')).resolves.toBeDefined();
  });

  it('stops with a clear message on INVALID_FIELD and on bad credentials', async () => {
    await expect(sync(cfg({ attributeFields: ['Bogus__c'] }), client(), statuskit)).rejects.toThrow(
      /INVALID_FIELD.*Bogus__c/,
    );
    const bad = new SalesforceClient(cfg(), { env: { ...env, SF_CLIENT_SECRET: 'wrong' } });
    await expect(bad.describe('Account')).rejects.toThrow(/login failed/);
  });

  it('stops before eating more than its share of the daily API allowance', async () => {
    const c = client();
    await c.describe('Account');
    const before = sf.apiUsage.used;
    try {
      sf.apiUsage.used = sf.apiUsage.limit - 1;
      await c.describe('Account'); // the answer reports the new usage...
      await expect(c.describe('Account')).rejects.toThrow(/its share \(10%\)/); // ...and the next call stops
    } finally {
      sf.apiUsage.used = before;
    }
  });

  it('reads a large first sync through Bulk API 2.0 (CSV results paged by Sforce-Locator)', async () => {
    const lines: string[] = [];
    const summary = await sync(cfg({ bulkThreshold: 5000 }), client(), undefined, {
      dryRun: true,
      full: true,
      write: (l) => lines.push(l),
    });
    expect(summary).toMatchObject({ bulk: true, read: 10_000 });
    expect(lines.length).toBe(summary.pushed);
  });

  it('reports deleted records and sets them to the configured status', async () => {
    const gone = sf.records[6000] as SfRecord;
    gone.IsDeleted = true;
    gone.SystemModstamp = new Date(Date.parse('2026-11-20T00:00:00Z')).toISOString();
    const summary = await sync(cfg({ deletedStatus: 'Cancelled' }), client(), statuskit);
    expect(summary.deleted).toBe(1);
    expect((await statuskit.getAccount(toId18(gone.Id)))?.status).toBe('Cancelled');
  });

  it('logs in with the refresh-token and password flows too', async () => {
    const base = cfg().salesforce;
    const refresh = new SalesforceClient(
      cfg({
        salesforce: {
          ...base,
          auth: { flow: 'refresh-token', clientIdEnv: 'SF_CLIENT_ID', refreshTokenEnv: 'SF_REFRESH' },
        },
      }),
      { env: { ...env, SF_REFRESH: 'r-1' } },
    );
    await expect(refresh.describe('Account')).resolves.toBeDefined();
    const password = new SalesforceClient(
      cfg({
        salesforce: {
          ...base,
          auth: {
            flow: 'password',
            clientIdEnv: 'SF_CLIENT_ID',
            clientSecretEnv: 'SF_CLIENT_SECRET',
            usernameEnv: 'SF_USER',
            passwordEnv: 'SF_PASS',
          },
        },
      }),
      { env: { ...env, SF_USER: 'u@acme.test', SF_PASS: 'pw+token' } },
    );
    await expect(password.describe('Account')).resolves.toBeDefined();
    const missing = new SalesforceClient(cfg(), { env: {} });
    await expect(missing.describe('Account')).rejects.toThrow(/SF_CLIENT_ID is not set/);
  });

  it('rejects a broken config file with the path of each problem', () => {
    const file = join(dataDir, 'broken.json');
    writeFileSync(
      file,
      JSON.stringify({ salesforce: { loginUrl: 'not a url', auth: { flow: 'magic' } }, values: {} }),
    );
    expect(() => loadConnectorConfig(file)).toThrow(/salesforce\.loginUrl[\s\S]*statusField/);
  });

  it('runs as a command: check --strict exits 1 and lists what is not mapped', async () => {
    const file = join(dataDir, 'check.json');
    writeFileSync(file, JSON.stringify(cfg()));
    const child = startProcess(
      process.execPath,
      [connectorMain, 'check', '--config', file, '--url', url, '--key', key, '--strict'],
      { env: { ...process.env, ...env } },
    );
    expect(await child.exited).toBe(1);
    const out = child.stdout;
    expect(out).toContain('2 picklist values have no mapping: Partner, Legacy');
    expect(out).toContain('"Paying - Gold" (label "Gold customer") -> Enterprise');
  });

  it('runs as a command: sync --dry-run prints the updates and pushes nothing', async () => {
    const file = join(dataDir, 'dry.json');
    writeFileSync(file, JSON.stringify(cfg({ name: 'sfdc-dry' })));
    const child = startProcess(
      process.execPath,
      [connectorMain, 'sync', '--config', file, '--dry-run', '--full'],
      {
        env: { ...process.env, ...env },
      },
    );
    expect(await child.exited).toBe(0);
    const out = child.stdout;
    const err = child.stderr;
    const lines = out.trim().split('\n');
    expect(lines.length).toBeGreaterThan(6000);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ source: 'sfdc' });
    expect(err).toMatch(/sync sfdc-dry: read 9,?999/); // one record was deleted by an earlier test
    expect(await statuskit.getConnectorState('sfdc-dry')).toBeUndefined();
  });

  it('runs as a command: sync --watch keeps syncing until stopped', async () => {
    const file = join(dataDir, 'connector.json');
    writeFileSync(
      file,
      JSON.stringify({ ...JSON.parse(JSON.stringify(cfg())), salesforce: { ...cfg().salesforce } }),
    );
    const child = startProcess(
      process.execPath,
      [connectorMain, 'sync', '--config', file, '--url', url, '--key', key, '--watch', '--interval', '1s'],
      { env: { ...process.env, ...env } },
    );
    await child.waitFor(/(sync sfdc-test: read[\s\S]*){2}/, { stream: 'stderr' });
    expect(await child.stop('SIGTERM')).toBe(0);
    const err = child.stderr;
    expect(err).toContain('watermark');
  });
});
