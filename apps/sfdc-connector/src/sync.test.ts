import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AccountView, createClient, type StatuskitClient } from '@statuskit/client';
import { type ApiProcess, scaled, startApi, startProcess } from '@statuskit/test-support';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { check, describeCheck } from './check.js';
import { type ConnectorConfig, connectorConfigSchema, loadConnectorConfig } from './config.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { type ClientOptions, SalesforceClient } from './salesforce-client.js';
import { toId18 } from './salesforce-id.js';
import { describeSummary, sync } from './sync.js';
import { expectedAccount, ORG_ATTRIBUTES, ORG_MAPPED, org, stamp } from './testing/org.js';
import {
  type Fault,
  type SalesforceDouble,
  type SfRecord,
  startSalesforceDouble,
} from './testing/salesforce-double.js';

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

  /** What statuskit should hold for a record of the 10,000-account org (unmapped values arrive raw). */
  const wanted = (r: SfRecord) => {
    const v = r.Customer_Status__c ?? null;
    return v === null ? null : (MAPPED[v] ?? v);
  };
  const expectInSync = async (ids: number[]) => {
    for (const i of ids) {
      const r = sf.records[i] as SfRecord;
      const a = await statuskit.getAccount(toId18(r.Id));
      expect(a, `account ${i}`).toBeDefined();
      expect(a?.status, `account ${i}`).toBe(wanted(r));
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
    // Unmapped values arrive as they are (Unknown, not in the catalog), empty ones as null (Unknown, missing).
    expect(first).toMatchObject({ read: 10_000, pushed: 10_000, skipped: {} });
    expect(first.created).toBe(first.pushed);
    expect(sf.queries.filter((q) => q.startsWith('SELECT Id, Customer_Status__c')).length).toBeGreaterThan(0);
    await expectInSync([0, 1, 2, 3, 4, 5, 99, 100, 4321, 9999]);
    expect((await statuskit.getAccount(toId18((sf.records[7] as SfRecord).Id)))?.name).toBe('Account 7');

    const later = Date.parse('2026-11-01T00:00:00Z');
    for (let i = 0; i < 50; i++) {
      const r = sf.records[i * 37] as SfRecord;
      r.Customer_Status__c = 'Churned';
      r.SystemModstamp = new Date(later + i * 1000).toISOString();
    }
    const second = await sync(cfg(), client(), statuskit);
    expect(sf.queries.at(-1)).toMatch(/WHERE SystemModstamp > 2026-10-07T22:34:00Z/);
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
    for (const r of sf.records) expect(inStatuskit.get(toId18(r.Id)), r.Id).toBe(wanted(r));
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

  it('stops with a clear message on a field the object does not have, and on bad credentials', async () => {
    const unknownField = await sync(cfg({ attributeFields: ['Bogus__c'] }), client(), statuskit).catch(
      (e) => e,
    );
    expect(unknownField.message).toMatch(/attributeFields\[0\].*Bogus__c/);
    expect(exitCodeFor(unknownField)).toBe(EXIT.config);
    const bad = new SalesforceClient(cfg(), { env: { ...env, SF_CLIENT_SECRET: 'wrong' } });
    const refused = await bad.describe('Account').catch((e) => e);
    expect(refused.message).toMatch(/refused the login \(invalid_client: invalid client credentials\)/);
    expect(exitCodeFor(refused)).toBe(EXIT.salesforce);
  });

  it('stops before eating more than its share of the daily API allowance', async () => {
    const c = client();
    await c.describe('Account');
    const before = sf.apiUsage.used;
    try {
      sf.apiUsage.used = sf.apiUsage.limit - 1;
      await c.describe('Account'); // the answer reports the new usage...
      const stopped = await c.describe('Account').catch((e) => e); // ...and the next call stops
      expect(stopped.message).toMatch(/its share \(10%\)/);
      expect(exitCodeFor(stopped)).toBe(EXIT.limit);
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

  /** Runs the connector's command and collects what it prints. */
  const run = async (args: string[], extraEnv: Record<string, string> = {}) => {
    const child = startProcess(process.execPath, [connectorMain, ...args], {
      env: { ...process.env, ...env, ...extraEnv },
    });
    const code = await child.exited;
    return { code, stdout: child.stdout, stderr: child.stderr };
  };
  const configFile = (name: string, c: ConnectorConfig | Record<string, unknown>) => {
    const file = join(dataDir, `${name}.json`);
    writeFileSync(file, JSON.stringify(c));
    return file;
  };

  /** Starts `sync --watch` every second. */
  const startWatch = (file: string) =>
    startProcess(
      process.execPath,
      [connectorMain, 'sync', '--config', file, '--url', url, '--key', key, '--watch', '--interval', '1s'],
      { env: { ...process.env, ...env } },
    );
  /** Waits until the watch has logged `n` sync summaries in all. */
  const syncRuns = (watch: ReturnType<typeof startWatch>, name: string, n: number) =>
    watch.waitFor(new RegExp(`(sync ${name}: read[\\s\\S]*){${n}}`), { stream: 'stderr' });

  it('runs as a command: check --strict exits 1 and lists what is not mapped', async () => {
    const file = configFile('check', cfg());
    const out = await run(['check', '--config', file, '--url', url, '--key', key, '--strict']);
    expect(out.code).toBe(EXIT.check);
    expect(out.stdout).toContain('2 values have no mapping: Partner, Legacy');
    expect(out.stdout).toMatch(/"Paying - Gold" \(label "Gold customer"\): [\d,]+ records -> Enterprise/);
  });

  it('runs as a command: sync --dry-run prints the updates and pushes nothing', async () => {
    const file = configFile('dry', cfg({ name: 'sfdc-dry' }));
    const out = await run(['sync', '--config', file, '--dry-run', '--full']);
    expect(out.code).toBe(0);
    const lines = out.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThan(6000);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ source: 'sfdc' });
    expect(out.stderr).toMatch(/sync sfdc-dry: read 10,?000/); // the deleted record too
    expect(await statuskit.getConnectorState('sfdc-dry')).toBeUndefined();
  });

  it('runs as a command: sync --watch keeps syncing until stopped', async () => {
    const watch = startWatch(configFile('connector', cfg()));
    await syncRuns(watch, 'sfdc-test', 2);
    expect(await watch.stop('SIGTERM')).toBe(0);
    expect(watch.stderr).toContain('watermark');
  });

  // ---- Each org below lives in its own Salesforce double, with ids no other test uses. ----

  const doubles: SalesforceDouble[] = [];
  afterEach(async () => {
    for (const d of doubles.splice(0)) await d.close();
  });
  const startOrg = async (records: SfRecord[], options: { pageSize?: number; bulkPolls?: number } = {}) => {
    const d = await startSalesforceDouble({
      clientId: env.SF_CLIENT_ID,
      clientSecret: env.SF_CLIENT_SECRET,
      records,
      ...options,
    });
    doubles.push(d);
    return d;
  };
  type ConfigInput = Partial<Omit<ConnectorConfig, 'salesforce'>> & {
    salesforce?: Partial<ConnectorConfig['salesforce']>;
  };
  const orgCfg = (d: SalesforceDouble, over: ConfigInput = {}): ConnectorConfig => {
    const { salesforce, ...rest } = over;
    return connectorConfigSchema.parse({
      name: 'org',
      salesforce: {
        loginUrl: d.url,
        auth: {
          flow: 'client-credentials',
          clientIdEnv: 'SF_CLIENT_ID',
          clientSecretEnv: 'SF_CLIENT_SECRET',
        },
        ...salesforce,
      },
      statusField: 'Customer_Status__c',
      nameField: 'Name',
      attributeFields: ORG_ATTRIBUTES,
      values: ORG_MAPPED,
      ...rest,
    });
  };
  const sfClient = (c: ConnectorConfig, options: ClientOptions = {}) =>
    new SalesforceClient(c, { env, retryBaseMs: 1, bulkPollMs: 1, ...options });
  const idOf = (r: SfRecord | undefined) => toId18((r as SfRecord).Id);
  const allAccounts = async () => {
    const accounts = new Map<string, AccountView>();
    for await (const a of statuskit.accounts({ limit: 1000 })) accounts.set(a.id, a);
    return accounts;
  };
  /** Every record the filter keeps is in statuskit exactly as Salesforce has it. */
  const expectOrg = async (
    records: SfRecord[],
    c: ConnectorConfig,
    keep: (r: SfRecord) => boolean = () => true,
  ) => {
    const accounts = await allAccounts();
    let compared = 0;
    for (const r of records.filter(keep)) {
      const a = accounts.get(toId18(r.Id));
      const want = expectedAccount(r, {
        attributes: ORG_ATTRIBUTES,
        ...(c.deletedStatus ? { deletedStatus: c.deletedStatus } : {}),
      });
      expect(
        a && { status: a.status, name: a.name, lastObservedAt: a.lastObservedAt, attributes: a.attributes },
        r.Id,
      ).toEqual(want);
      compared++;
    }
    return { accounts, compared };
  };
  const dryRun = async (c: ConnectorConfig, statuskitClient?: StatuskitClient) => {
    const lines: string[] = [];
    const summary = await sync(c, sfClient(c), statuskitClient, {
      dryRun: true,
      write: (l) => lines.push(l),
    });
    return { summary, lines };
  };
  const byAccount = (lines: string[]) =>
    lines
      .map((l) => JSON.parse(l) as { accountId: string })
      .sort((a, b) => a.accountId.localeCompare(b.accountId));

  describe('whatever Salesforce sends', () => {
    it('reads again a body cut off after its headers: token, query pages, Bulk job status and results', async () => {
      const records = org('TRB', 2500);
      const d = await startOrg(records, { pageSize: 1000 });
      const c = orgCfg(d, { name: 'trunc' });
      d.tokenFaults.push({ truncate: 30 });
      d.faults.push({ truncate: 100, match: '/queryAll' }, { truncate: 500, match: '/query/' });
      const summary = await sync(c, sfClient(c), statuskit);
      expect(d.tokenFaults).toEqual([]);
      expect(d.faults).toEqual([]);
      expect(summary).toMatchObject({ read: 2500, pushed: 2500 });
      expect((await expectOrg(records, c)).compared).toBe(2500);

      const rest = await dryRun(orgCfg(d, { name: 'trunc-rest' }));
      d.faults.push({ truncate: 20, match: '/jobs/query/750' }, { truncate: 700, match: '/results' });
      const bulk = await dryRun(orgCfg(d, { name: 'trunc-bulk', bulkThreshold: 10 }));
      expect(bulk.summary.bulk).toBe(true);
      expect(d.faults).toEqual([]);
      expect(byAccount(bulk.lines)).toEqual(byAccount(rest.lines));
    });

    it('does not blame the credentials for a login answer cut off, and names them when Salesforce refuses', async () => {
      const d = await startOrg([]);
      const c = orgCfg(d);
      d.tokenFaults.push({ truncate: 30 });
      const cut = await sfClient(c, { retries: 0 })
        .describe('Account')
        .catch((e) => e);
      expect(cut.message).toMatch(/login endpoint did not answer in full/);
      expect(cut.message).not.toMatch(/credentials/);
      expect(exitCodeFor(cut)).toBe(EXIT.salesforce);
      d.tokenFaults.push({ truncate: 30 }, { status: 503 });
      await expect(sfClient(c, { retries: 2 }).describe('Account')).resolves.toBeDefined();
      const refused = await new SalesforceClient(c, { env: { ...env, SF_CLIENT_ID: 'other' } })
        .describe('Account')
        .catch((e) => e);
      expect(refused.message).toMatch(/refused the login.*SF_CLIENT_ID, SF_CLIENT_SECRET/);
    });

    it('gives up on a hung answer after its own timeout (salesforce.timeoutSeconds), and tries again', async () => {
      const records = org('HNG', 300);
      const d = await startOrg(records, { pageSize: 100 });
      // Long enough for any real answer on this machine (a slow one is retried anyway); the hung ones never come.
      const seconds = Math.ceil(scaled(1000) / 1000);
      const c = orgCfg(d, { salesforce: { timeoutSeconds: seconds } });
      d.faults.push({ hang: 'body', match: '/query/' }, { hang: 'headers', match: '/query/' });
      const { summary } = await dryRun(c);
      expect(summary.read).toBe(300);
      expect(d.faults).toEqual([]);
      d.faults.push({ hang: 'headers', match: '/queryAll' });
      const hung = await sync(c, sfClient(c, { retries: 0 }), undefined, { dryRun: true }).catch((e) => e);
      expect(hung.message).toMatch(new RegExp(`no answer within ${seconds} s`));
      expect(exitCodeFor(hung)).toBe(EXIT.salesforce);
    });

    it('gives the same accounts through Bulk API 2.0 (CSV) as through REST, every attribute typed', async () => {
      const records = org('BLK', 1200, { tie: 3 });
      const d = await startOrg(records, { pageSize: 500 });
      const viaBulk = orgCfg(d, { name: 'blk-bulk', bulkThreshold: 100 });
      const viaRest = orgCfg(d, { name: 'blk-rest' });
      const bulkRun = await dryRun(viaBulk);
      const restRun = await dryRun(viaRest);
      expect(bulkRun.summary.bulk).toBe(true);
      expect(restRun.summary.bulk).toBe(false);
      expect(byAccount(bulkRun.lines)).toEqual(byAccount(restRun.lines));

      // Pushed through Bulk, then again through REST: the same accounts, attribute by attribute.
      await sync(viaBulk, sfClient(viaBulk), statuskit);
      const afterBulk = (await expectOrg(records, viaBulk)).accounts;
      await sync(viaRest, sfClient(viaRest), statuskit, { full: true });
      const afterRest = (await expectOrg(records, viaRest)).accounts;
      for (const r of records) {
        const a = afterBulk.get(toId18(r.Id)) as AccountView;
        const b = afterRest.get(toId18(r.Id)) as AccountView;
        expect({ ...b, updatedAt: a.updatedAt }).toEqual(a);
      }
      const sample = afterRest.get(idOf(records[13])) as AccountView;
      expect(sample.attributes).toEqual({
        Industry: 'Retail',
        NumberOfEmployees: 39,
        AnnualRevenue: 13000,
        Score__c: 1.625,
        Active__c: true,
        Renewal_Date__c: '2027-05-13',
        Last_Login__c: '2026-10-31T00:00:13.000Z',
        Description: null,
      });
    });
  });

  describe('however it is configured', () => {
    it('deletes only within `where`: records outside the filter are never touched', async () => {
      const records = org('DEL', 60);
      const inFilter = (r: SfRecord) => r.Region__c === 'EMEA';
      // An APAC account statuskit knows from another source.
      const known = records[0] as SfRecord;
      await statuskit.setStatus(idOf(known), {
        status: 'Pro',
        source: 'api',
        observedAt: '2026-01-01T00:00:00Z',
      });
      (records[1] as SfRecord).IsDeleted = true; // deleted before the first sync: reported, never created
      const d = await startOrg(records);
      const c = orgCfg(d, {
        name: 'del',
        where: "Region__c = 'EMEA'",
        deletedStatus: 'Cancelled',
        overlapSeconds: 0,
      });
      const first = await sync(c, sfClient(c), statuskit);
      expect(first.deleted).toBe(1);
      expect(await statuskit.getAccount(idOf(records[1]))).toBeUndefined();

      for (const [k, i] of [0, 2, 3, 4, 6].entries()) {
        const r = records[i] as SfRecord;
        r.IsDeleted = true;
        r.SystemModstamp = stamp(1000 + k);
      }
      const second = await sync(c, sfClient(c), statuskit);
      expect(second.deleted).toBe(2); // records 2 and 4; 0, 3 and 6 are APAC
      expect((await statuskit.getAccount(idOf(records[2])))?.status).toBe('Cancelled');
      expect((await statuskit.getAccount(idOf(records[4])))?.status).toBe('Cancelled');
      const { accounts } = await expectOrg(
        records.filter((r) => r !== records[1]),
        c,
        inFilter,
      );
      expect(accounts.get(idOf(known))).toMatchObject({
        status: 'Pro',
        source: 'api',
        lastObservedAt: '2026-01-01T00:00:00.000Z',
      });
      for (const r of records.filter((r) => !inFilter(r) && r !== known))
        expect(accounts.has(toId18(r.Id)), r.Id).toBe(false);
    });

    it("reads field names in any case, pushing Salesforce's own spelling", async () => {
      const records = org('CAS', 30);
      const d = await startOrg(records);
      const canonical = orgCfg(d, { attributeFields: ['Industry', 'NumberOfEmployees'] });
      const lower = orgCfg(d, {
        idField: 'id',
        statusField: 'customer_status__c',
        nameField: 'NAME',
        attributeFields: ['industry', 'numberofemployees'],
      });
      const want = await dryRun(canonical);
      const got = await dryRun(lower);
      expect(got.summary.skipped).toEqual({});
      expect(got.lines).toHaveLength(30);
      expect(got.lines).toEqual(want.lines);
      expect(JSON.parse(got.lines[1] as string)).toMatchObject({
        status: 'Pro',
        name: 'CAS account 1',
        attributes: { Industry: 'Retail', NumberOfEmployees: 3 },
      });
      const report = await check(lower, sfClient(lower), statuskit);
      expect(report).toMatchObject({
        missingFields: [],
        unmapped: [{ value: 'Partner' }, { value: 'Legacy' }],
      });
    });

    it('check flags a status field that is not a picklist, and values in records missing from describe', async () => {
      const records = org('CHK', 40);
      (records[0] as SfRecord).Customer_Status__c = 'Legacy'; // inactive in the picklist
      (records[1] as SfRecord).Customer_Status__c = 'Ghost Value'; // deleted from the picklist
      (records[7] as SfRecord).Customer_Status__c = 'Ghost Value';
      const d = await startOrg(records);
      const picklist = await check(orgCfg(d), sfClient(orgCfg(d)), statuskit);
      expect(picklist.statusField).toEqual({ name: 'Customer_Status__c', type: 'picklist', picklist: true });
      expect(picklist.notInDefinition).toEqual([{ value: 'Ghost Value', count: 2 }]);
      expect(picklist.unmapped.map((u) => u.value)).toEqual(['Partner', 'Legacy', 'Ghost Value']);
      expect(picklist.inRecords.find((v) => v.value === 'Legacy')).toMatchObject({ count: 1 });
      expect(picklist.complete).toBe(false);
      expect(describeCheck(orgCfg(d), picklist)).toMatch(
        /1 value found in records is missing from the picklist definition.*: Ghost Value/,
      );

      const textConfig = orgCfg(d, { statusField: 'Region__c', values: { EMEA: 'Pro', APAC: 'Trial' } });
      const text = await check(textConfig, sfClient(textConfig), statuskit);
      expect(text.statusField).toEqual({ name: 'Region__c', type: 'string', picklist: false });
      expect(text.inRecords.map((v) => [v.value, v.count])).toEqual([
        ['APAC', 14],
        ['EMEA', 26],
      ]);
      expect(text.unmapped).toEqual([]);
      expect(text.complete).toBe(false); // any value can appear at any time
      expect(describeCheck(textConfig, text)).toMatch(/Region__c is a string field, not a picklist/);
    });

    it('a cleared status makes the account Unknown; an unmapped value arrives as it is, unless the config says skip', async () => {
      const records = org('CLR', 12);
      const d = await startOrg(records);
      const c = orgCfg(d, { name: 'clr' });
      await sync(c, sfClient(c), statuskit);
      const classified = async (i: number) => {
        const a = await statuskit.getAccount(idOf(records[i]));
        return [a?.status, a?.classification.statusType, a?.classification.unknownReason];
      };
      expect(await classified(4)).toEqual(['Partner', 'unknown', 'not-in-catalog']);
      expect(await classified(5)).toEqual([null, 'unknown', 'missing']);

      Object.assign(records[0] as SfRecord, { Customer_Status__c: null, SystemModstamp: stamp(500) });
      Object.assign(records[1] as SfRecord, { Customer_Status__c: 'Brand New', SystemModstamp: stamp(501) });
      await sync(c, sfClient(c), statuskit);
      expect(await classified(0)).toEqual([null, 'unknown', 'missing']);
      expect(await classified(1)).toEqual(['Brand New', 'unknown', 'not-in-catalog']);
      const report = await statuskit.unknownReport();
      expect(report.values.find((v) => v.value === 'Brand New')).toMatchObject({
        reason: 'not-in-catalog',
        count: 1,
      });

      Object.assign(records[2] as SfRecord, { Customer_Status__c: 'Another', SystemModstamp: stamp(502) });
      const skipping = orgCfg(d, { name: 'clr', unmapped: 'skip' });
      const summary = await sync(skipping, sfClient(skipping), statuskit);
      expect(summary.skipped).toEqual({ 'unmapped-value': 2 }); // 'Another', and 'Brand New' in the overlap
      expect(await classified(2)).toEqual(['Trial', 'free', null]);
    });
  });

  describe('the watermark', () => {
    it('never passes a group of equal SystemModstamps half pushed, even with overlapSeconds 0', async () => {
      const records = org('TIE', 900, { tie: 300 }); // three groups of 300 records, one stamp each
      const d = await startOrg(records, { pageSize: 200 });
      const c = orgCfg(d, { name: 'tie', overlapSeconds: 0, batchSize: 100 });
      d.faults.push({ truncate: 50, match: '-400' }); // the third page, inside the second group
      const failed = await sync(c, sfClient(c, { retries: 0 }), statuskit).catch((e) => e);
      expect(failed).toBeInstanceOf(Error);
      // Four batches went through (records 0-399); only the first group is complete.
      expect((await statuskit.getConnectorState('tie'))?.watermark).toBe('2026-11-01T00:00:00.000Z');
      const resumed = await sync(c, sfClient(c), statuskit);
      expect(resumed.read).toBe(600);
      expect((await expectOrg(records, c)).compared).toBe(900);
      expect((await statuskit.getConnectorState('tie'))?.watermark).toBe('2026-11-01T00:00:02.000Z');
    });

    it('a dry run reads from the watermark, as the real sync would', async () => {
      const records = org('DRY', 50);
      const d = await startOrg(records);
      const c = orgCfg(d, { name: 'dry', bulkThreshold: 10, overlapSeconds: 0 });
      expect((await sync(c, sfClient(c), statuskit)).bulk).toBe(true);
      const state = await statuskit.getConnectorState('dry');
      Object.assign(records[7] as SfRecord, { Customer_Status__c: 'Churned', SystemModstamp: stamp(1000) });
      const jobs = d.requests.filter((r) => r === 'POST /services/data/v61.0/jobs/query').length;
      const out = await run([
        'sync',
        '--config',
        configFile('dry', c),
        '--dry-run',
        '--url',
        url,
        '--key',
        key,
      ]);
      expect(out.code).toBe(0);
      expect(byAccount(out.stdout.trim().split('\n'))).toEqual([
        expect.objectContaining({ accountId: idOf(records[7]), status: 'Cancelled' }),
      ]);
      expect(d.requests.filter((r) => r === 'POST /services/data/v61.0/jobs/query')).toHaveLength(jobs);
      expect(await statuskit.getConnectorState('dry')).toEqual(state);
    });

    it('queries again from the last pushed watermark when the query cursor expires (INVALID_QUERY_LOCATOR)', async () => {
      const records = org('LOC', 1000, { tie: 2 });
      const d = await startOrg(records, { pageSize: 200 });
      const c = orgCfg(d, { name: 'loc', batchSize: 100 });
      d.faults.push({ expireCursors: true, match: '-600' });
      const summary = await sync(c, sfClient(c), statuskit);
      expect(summary.requeried).toBe(1);
      // Records 0-599 were pushed; 598 and 599 share a stamp with whatever follows, so the group before is the mark.
      expect(d.queries.at(-1)).toMatch(/SystemModstamp > 2026-11-01T00:04:58Z/);
      expect((await expectOrg(records, c)).compared).toBe(1000);
      for (const i of [0, 597, 598, 599, 600, 999]) {
        const history = (await statuskit.getAccount(idOf(records[i])))?.history ?? [];
        expect(
          history.filter((e) => e.kind === 'change'),
          `record ${i}`,
        ).toHaveLength(1);
      }
    });

    it('--full never moves the watermark back, so a --full that stops leaves the next sync incremental', async () => {
      const records = org('FUL', 600);
      const d = await startOrg(records, { pageSize: 200 });
      const c = orgCfg(d, { name: 'full', batchSize: 100 });
      await sync(c, sfClient(c), statuskit);
      const before = (await statuskit.getConnectorState('full'))?.watermark;
      expect(before).toBe('2026-11-01T00:09:59.000Z');
      d.faults.push({ status: 500, match: '-400' });
      await expect(sync(c, sfClient(c, { retries: 0 }), statuskit, { full: true })).rejects.toThrow(
        /HTTP_500|SERVER_ERROR/,
      );
      expect((await statuskit.getConnectorState('full'))?.watermark).toBe(before);
    });

    it('counts the batches the API replayed in the summary', async () => {
      const records = org('RPL', 250);
      const d = await startOrg(records);
      const c = orgCfg(d, { name: 'rpl', batchSize: 100 });
      const first = await sync(c, sfClient(c), statuskit, { full: true });
      expect(first).toMatchObject({ batches: 3, replayed: 0, created: 250 });
      const again = await sync(c, sfClient(c), statuskit, { full: true });
      expect(again).toMatchObject({ pushed: 250, batches: 3, replayed: 3, created: 0 });
      expect(describeSummary(again)).toMatch(/pushed 250 in 3 batches \(3 replayed: already applied/);
    });

    it('deletes each Bulk API 2.0 job once its results are read, and when a sync stops mid-way', async () => {
      const records = org('JOB', 300);
      const d = await startOrg(records);
      const c = orgCfg(d, { name: 'job', bulkThreshold: 10 });
      expect((await dryRun(c)).summary.bulk).toBe(true);
      expect(d.bulkJobs).toEqual([]);
      d.faults.push({ status: 500, match: '/results' });
      await expect(sync(c, sfClient(c, { retries: 0 }), undefined, { dryRun: true })).rejects.toThrow();
      expect(d.bulkJobs).toEqual([]);
      d.faults.push({ status: 500, match: '/jobs/query/750' }); // the first poll: the job is still running
      await expect(sync(c, sfClient(c, { retries: 0 }), undefined, { dryRun: true })).rejects.toThrow();
      expect(d.bulkJobs).toEqual([]);
      expect(d.requests.filter((r) => r.startsWith('PATCH '))).toHaveLength(1); // aborted, then deleted
      expect(d.requests.filter((r) => r.startsWith('DELETE '))).toHaveLength(3);
    });
  });

  describe('as a command', () => {
    it('exits by the one table --help shows, on every failure a user can meet', async () => {
      const help = await run(['--help']);
      for (const [name, code] of Object.entries(EXIT))
        expect(help.stdout, name).toMatch(new RegExp(`^  ${code} `, 'm'));

      const d = await startOrg(org('EXT', 20));
      const base = orgCfg(d, { name: 'exit', salesforce: { retries: 0 } });
      const closed = await startOrg([]); // a port nothing listens on
      const down = closed.url;
      await closed.close();
      const sfAt = (loginUrl: string) => ({ ...base, salesforce: { ...base.salesforce, loginUrl } });
      const cases: {
        name: string;
        args: string[];
        faults?: Fault[];
        tokenFaults?: Fault[];
        env?: Record<string, string>;
        code: number;
        says: RegExp;
      }[] = [
        {
          name: 'ok',
          args: ['sync', '--config', configFile('exit-ok', base), '--url', url, '--key', key],
          code: EXIT.ok,
          says: /sync exit: read 20/,
        },
        {
          name: 'unknown option',
          args: ['sync', '--config', configFile('exit-ok', base), '--bogus'],
          code: EXIT.config,
          says: /unknown option/,
        },
        {
          name: 'broken config',
          args: ['sync', '--config', configFile('exit-broken', { statusField: 1 })],
          code: EXIT.config,
          says: /invalid config/,
        },
        {
          name: 'missing secret',
          args: ['sync', '--config', configFile('exit-ok', base), '--dry-run'],
          env: { SF_CLIENT_SECRET: '' },
          code: EXIT.config,
          says: /SF_CLIENT_SECRET is not set/,
        },
        {
          name: 'unknown field',
          args: [
            'sync',
            '--config',
            configFile('exit-field', { ...base, attributeFields: ['Nope__c'] }),
            '--dry-run',
          ],
          code: EXIT.config,
          says: /attributeFields\[0\]: Account has no field "Nope__c"/,
        },
        {
          name: 'bad where',
          args: [
            'sync',
            '--config',
            configFile('exit-where', { ...base, where: 'Nope__c = 1' }),
            '--dry-run',
          ],
          code: EXIT.config,
          says: /Salesforce rejected the query.*Nope__c.*where/,
        },
        {
          name: 'bad credentials',
          args: ['sync', '--config', configFile('exit-ok', base), '--dry-run'],
          env: { SF_CLIENT_SECRET: 'wrong' },
          code: EXIT.salesforce,
          says: /refused the login \(invalid_client/,
        },
        {
          name: 'login cut off',
          args: ['sync', '--config', configFile('exit-ok', base), '--dry-run'],
          tokenFaults: [{ truncate: 10 }],
          code: EXIT.salesforce,
          says: /login endpoint did not answer in full/,
        },
        {
          name: 'query cut off',
          args: ['sync', '--config', configFile('exit-ok', base), '--dry-run'],
          faults: [{ truncate: 10, match: '/queryAll' }],
          code: EXIT.salesforce,
          says: /did not answer in full/,
        },
        {
          name: 'unreachable',
          args: ['sync', '--config', configFile('exit-down', sfAt(down)), '--dry-run'],
          code: EXIT.salesforce,
          says: new RegExp(`Salesforce is unreachable at ${down}: fetch failed \\(connect ECONNREFUSED`),
        },
        {
          name: 'limit',
          args: ['sync', '--config', configFile('exit-ok', base), '--dry-run'],
          faults: [
            { status: 403, errorCode: 'REQUEST_LIMIT_EXCEEDED', message: 'TotalRequests Limit exceeded.' },
          ],
          code: EXIT.limit,
          says: /REQUEST_LIMIT_EXCEEDED/,
        },
        {
          name: 'statuskit refuses',
          args: ['sync', '--config', configFile('exit-ok', base), '--url', url, '--key', 'sk_wrong'],
          code: EXIT.statuskit,
          says: /statuskit refused the request/,
        },
        {
          name: 'statuskit unreachable',
          args: ['sync', '--config', configFile('exit-ok', base), '--url', down, '--key', key],
          code: EXIT.statuskit,
          says: /statuskit is unreachable: .*could not reach/,
        },
        {
          name: 'check --strict, text field',
          args: [
            'check',
            '--config',
            configFile('exit-text', { ...base, statusField: 'Region__c' }),
            '--strict',
          ],
          code: EXIT.check,
          says: /not a picklist/,
        },
      ];
      for (const t of cases) {
        d.faults.push(...(t.faults ?? []));
        d.tokenFaults.push(...(t.tokenFaults ?? []));
        const out = await run(t.args, t.env);
        expect({ name: t.name, code: out.code }).toEqual({ name: t.name, code: t.code });
        expect(out.stderr + out.stdout, t.name).toMatch(t.says);
        expect(out.stderr, `${t.name}: no stack trace`).not.toMatch(/\n\s+at /);
        d.faults.splice(0);
        d.tokenFaults.splice(0);
      }
    });

    it('--watch reuses the session until it expires, and a failed run does not end it', async () => {
      const records = org('WAT', 20);
      const d = await startOrg(records);
      d.faults.push({ truncate: 40, match: '/queryAll' });
      const watch = startWatch(configFile('watch', orgCfg(d, { name: 'watch', salesforce: { retries: 0 } })));
      await syncRuns(watch, 'watch', 2);
      expect(watch.stderr).toMatch(/sync watch: Salesforce did not answer in full.*\(next try in 1s\)/);
      expect(d.tokenRequests).toBe(1);
      d.expireSessions();
      const seen = (watch.stderr.match(/sync watch: read/g) ?? []).length;
      await syncRuns(watch, 'watch', seen + 2);
      expect(d.tokenRequests).toBe(2);
      expect(await watch.stop('SIGTERM')).toBe(0);
      expect((await expectOrg(records, orgCfg(d))).compared).toBe(20);
    });
  });

  it('done means: a full sync, then an incremental one with ties, deletions under `where`, cleared and unmapped values and a cut-off response, leave the filtered set equal to Salesforce', async () => {
    const records = org('E2E', 3000, { tie: 4 });
    const inFilter = (r: SfRecord) => r.Region__c === 'EMEA';
    const d = await startOrg(records, { pageSize: 200 });
    const c = orgCfg(d, {
      name: 'e2e',
      where: "Region__c = 'EMEA'",
      deletedStatus: 'Cancelled',
      overlapSeconds: 0,
      batchSize: 150,
      bulkThreshold: 1000,
    });
    // Accounts outside the filter that statuskit already knows from another source.
    const outside = records.filter((r) => !inFilter(r)).slice(0, 5);
    for (const r of outside)
      await statuskit.setStatus(toId18(r.Id), {
        status: 'Pro',
        source: 'api',
        observedAt: '2026-06-01T00:00:00Z',
      });
    const outsideBefore = await allAccounts();

    const first = await sync(c, sfClient(c), statuskit);
    expect(first).toMatchObject({ bulk: true, read: 2000 });
    await expectOrg(records, c, inFilter);

    // Salesforce changes: 600 records at one stamp (spanning pages and batches), cleared and unmapped values,
    // deletions on both sides of the filter, attributes changed and cleared.
    const t = 100_000;
    const touched = new Set<SfRecord>();
    const change = (i: number, seconds: number, fields: Partial<SfRecord>) => {
      const r = records[i] as SfRecord;
      Object.assign(r, fields, { SystemModstamp: stamp(t + seconds) });
      touched.add(r);
    };
    for (let i = 0; i < 600; i++)
      change(i * 4 + 1, 0, {
        Customer_Status__c:
          records[i * 4 + 1]?.Customer_Status__c === 'Churned' ? 'Paying - Gold' : 'Churned',
      });
    for (let i = 0; i < 20; i++) change(i * 7 + 2, 1, { Customer_Status__c: null });
    for (let i = 0; i < 20; i++) change(i * 7 + 3, 1, { Customer_Status__c: 'Brand New Value' });
    for (let i = 0; i < 30; i++) change(i * 11 + 2402, 2, { IsDeleted: true });
    for (let i = 0; i < 30; i++)
      change(i * 13 + 2000, 3, { NumberOfEmployees: null, Last_Login__c: stamp(t) });

    // The first incremental run is cut off mid-way (no retries); the next one, with retries, meets another.
    d.faults.push({ truncate: 300, match: '-200' }); // the second page, inside the group of 600
    const failed = await sync(c, sfClient(c, { retries: 0 }), statuskit).catch((e) => e);
    expect(failed.message).toMatch(/did not answer in full/);
    d.faults.push({ truncate: 300, match: '/query/' });
    const second = await sync(c, sfClient(c), statuskit);
    expect(d.faults).toEqual([]);
    expect(second.bulk).toBe(false);

    const { accounts, compared } = await expectOrg(records, c, inFilter);
    expect(compared).toBe(2000);
    // Nothing outside the filter touched: the five known ones as they were, the others never created.
    for (const r of records.filter((r) => !inFilter(r))) {
      const id = toId18(r.Id);
      if (outside.includes(r)) expect(accounts.get(id), id).toEqual(outsideBefore.get(id));
      else expect(accounts.has(id), id).toBe(false);
    }
    // Nothing applied twice: every change event moves to a new value at a new observation.
    for (const r of [...touched].filter(inFilter)) {
      const changes = ((await statuskit.getAccount(toId18(r.Id)))?.history ?? [])
        .filter((e) => e.kind === 'change')
        .reverse();
      for (const [k, e] of changes.entries()) {
        if (k === 0) continue;
        const prev = changes[k - 1] as (typeof changes)[number];
        expect(e.to, r.Id).not.toBe(prev.to);
        expect(e.observedAt > prev.observedAt, r.Id).toBe(true);
      }
      expect(changes.length, r.Id).toBeLessThanOrEqual(2);
    }
  });
});
