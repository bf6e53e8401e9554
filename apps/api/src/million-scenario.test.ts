import {
  type Catalog,
  classifyStatus,
  compileRules,
  type EligibilityRule,
  evaluate,
  RuleErrorTally,
} from '@statuskit/core';
import { coreAccount, type Store } from '@statuskit/store';
import { openTestStore, testEngines } from '@statuskit/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from './app.js';
import { caller } from './testing/in-process.js';
import { catalogWithGold, loadScenario, scenarioCatalog } from './testing/million-scenario.mjs';
import { eligibilityView } from './views.js';

// Issue #14's large-tenant scenario at a small size, as a correctness check (the timed run is
// bench/million.bench.mjs): every operation the bench times answers what the straightforward
// computation over each account and each event gives.
const ACCOUNTS = 1200;
const NOW = new Date('2026-06-15T12:00:00Z');
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);

describe.each(testEngines())('the million-account scenario, small, on %s', (engine) => {
  let store: Store;
  let app: App;
  let key: string;
  const tenant = `million${Date.now().toString(36)}`;
  const call = async (method: string, path: string, body?: unknown) => {
    const answer = await caller(app)(method, path, { key, ...(body !== undefined ? { body } : {}) });
    expect(answer.status, JSON.stringify(answer.json)).toBeLessThan(300);
    return answer.json;
  };
  beforeAll(async () => {
    store = await openTestStore(engine);
    app = createApp({ store, now: () => NOW });
    await store.createTenant({ id: tenant, name: 'Million', catalog: scenarioCatalog });
    key = (await store.createApiKey(tenant)).key;
    await loadScenario(
      (sql: string, parameters: unknown[]) => store.db.executeQuery({ sql, parameters } as never),
      tenant,
      ACCOUNTS,
      NOW,
    );
  });
  afterAll(async () => {
    await store?.close();
  });

  const accounts = async () => {
    const all = [];
    for await (const page of store.iterateAccounts(tenant)) all.push(...page);
    return all;
  };

  /** Per day: each account's newest change up to the day's end, and that day's transitions, in plain JS. */
  async function straightforwardMetrics(catalog: Catalog, fromMs: number, toMs: number) {
    const events = await store.accountHistory(tenant, 'acct-00000001');
    expect(events.length).toBeGreaterThan(0);
    const rows = await store.db
      .selectFrom('status_events')
      .select(['account_id', 'event_id', 'from_status', 'to_status', 'observed_at'])
      .where('tenant_id', '=', tenant)
      .where('kind', '=', 'change')
      .orderBy('observed_at')
      .orderBy('event_id')
      .execute();
    const days = [];
    for (let day = fromMs; day <= toMs; day += DAY) {
      const state = new Map<string, string | null>();
      const byType = { free: 0, paying: 0, cancelled: 0, unknown: 0 };
      const byStatus: Record<string, number> = {};
      let conversions = 0;
      let churn = 0;
      let reactivations = 0;
      let planChanges = 0;
      for (const r of rows) {
        const at = new Date(r.observed_at).getTime();
        if (at >= day + DAY) break;
        state.set(r.account_id, r.to_status);
        if (at >= day && r.from_status !== null) {
          const a = classifyStatus(r.from_status, catalog);
          const b = classifyStatus(r.to_status ?? undefined, catalog);
          if (a.statusType === 'free' && b.statusType === 'paying') conversions++;
          if (a.statusType === 'paying' && b.statusType === 'cancelled') churn++;
          if (a.statusType === 'cancelled' && (b.statusType === 'paying' || b.statusType === 'free'))
            reactivations++;
          if (a.statusType === 'paying' && b.statusType === 'paying' && a.plan !== b.plan) planChanges++;
        }
      }
      for (const raw of state.values()) {
        const c = classifyStatus(raw ?? undefined, catalog);
        byType[c.statusType]++;
        if (c.status !== undefined) byStatus[c.status] = (byStatus[c.status] ?? 0) + 1;
      }
      days.push({
        day: iso(day),
        byStatus,
        byType,
        unknown: byType.unknown,
        conversions,
        churn,
        reactivations,
        planChanges,
      });
    }
    return days;
  }

  /** The preview as it was computed before groups: every account evaluated with both rule sets. */
  async function straightforwardPreview(rules: EligibilityRule[]) {
    const { catalog } = await store.getCatalog(tenant);
    const { evaluator: current } = await store.getRules(tenant);
    const proposed = compileRules(rules);
    const options = { asOf: NOW.getTime() };
    const out = { total: 0, eligibleNow: 0, eligibleWithProposed: 0, entering: 0, leaving: 0 };
    const samples = { entering: [] as unknown[], leaving: [] as unknown[] };
    const ruleErrors = new RuleErrorTally();
    for (const stored of await accounts()) {
      const account = coreAccount(stored);
      const cls = classifyStatus(account.status, catalog);
      const before = evaluate(cls, account, current, options);
      const after = evaluate(cls, account, proposed, options);
      ruleErrors.record(stored.id, after);
      out.total++;
      if (before.eligible) out.eligibleNow++;
      if (after.eligible) out.eligibleWithProposed++;
      const sample = { accountId: stored.id, status: stored.status, eligibility: eligibilityView(after) };
      if (!before.eligible && after.eligible) {
        out.entering++;
        if (samples.entering.length < 20) samples.entering.push(sample);
      } else if (before.eligible && !after.eligible) {
        out.leaving++;
        if (samples.leaving.length < 20) samples.leaving.push(sample);
      }
    }
    return { ...out, samples, ruleErrors: ruleErrors.list() };
  }

  it('metrics for 365 days equal the per-account computation', async () => {
    const to = Date.UTC(2026, 5, 14);
    const from = to - 364 * DAY;
    const fast = await call('GET', `/v1/metrics?from=${iso(from)}&to=${iso(to)}`);
    expect(fast.days).toEqual(await straightforwardMetrics(scenarioCatalog, from, to));
    expect(fast.days.at(-1).byType.paying).toBeGreaterThan(0);
  });

  it('the rules preview equals evaluating every account, for rules on attributes, on time and on the status', async () => {
    const ruleSets: EligibilityRule[][] = [
      [
        {
          name: 'demo accounts',
          conditions: { all: [{ fact: 'attributes', path: '$.demo', operator: 'equal', value: true }] },
          event: { type: 'exclude', params: { reason: 'demo account' } },
        },
      ],
      [
        {
          name: 'win-back',
          conditions: {
            all: [
              { fact: 'statusType', operator: 'equal', value: 'cancelled' },
              { fact: 'daysInStatus', operator: 'lessThan', value: 200 },
            ],
          },
          event: { type: 'include', params: { reason: 'win-back' } },
        },
      ],
      [
        {
          name: 'sandbox in',
          conditions: { all: [{ fact: 'status', operator: 'equal', value: 'Sandbox' }] },
          event: { type: 'include', params: { reason: 'sandbox' } },
        },
        {
          name: 'big eu',
          priority: 2,
          conditions: {
            all: [
              { fact: 'attributes', path: '$.region', operator: 'equal', value: 'eu' },
              { fact: 'attributes', path: '$.seats', operator: 'greaterThan', value: 15 },
            ],
          },
          event: { type: 'exclude', params: { reason: 'big eu' } },
        },
      ],
    ];
    for (const rules of ruleSets) {
      const fast = await call('POST', '/v1/rules/preview', rules);
      const { warnings: _w, ...answer } = fast;
      expect(answer).toEqual(await straightforwardPreview(rules));
    }
    expect((await call('POST', '/v1/rules/preview', ruleSets[0])).leaving).toBeGreaterThan(0);
  });

  it('a catalog change re-classifies exactly the accounts whose raw status means something new', async () => {
    const before = await accounts();
    const gold = before.filter((a) => a.status === 'Gold').length;
    const saved = await call('PUT', '/v1/catalog', catalogWithGold.toJSON());
    expect(saved.reclassified).toBe(gold);
    // Every reader sees the new meaning at once: the Gold accounts are listed as paying on plan gold.
    const goldIds = before.filter((a) => a.status === 'Gold').map((a) => a.id);
    const paying: { id: string; classification: { statusType: string; plan: string | null } }[] = [];
    for (let cursor: string | undefined; ; ) {
      const page = await call(
        'GET',
        `/v1/accounts?statusType=paying&limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
      );
      paying.push(...page.accounts);
      cursor = page.nextCursor ?? undefined;
      if (!cursor) break;
    }
    const expected = before.filter(
      (a) => classifyStatus(a.status ?? undefined, catalogWithGold).statusType === 'paying',
    );
    expect(paying.map((a) => a.id)).toEqual(expected.map((a) => a.id));
    expect(paying.filter((a) => a.classification.plan === 'gold').map((a) => a.id)).toEqual(goldIds);
    expect(new Set(paying.map((a) => a.classification.statusType))).toEqual(new Set(['paying']));
    const to = Date.UTC(2026, 5, 14);
    const fast = await call('GET', `/v1/metrics?from=${iso(to - 29 * DAY)}&to=${iso(to)}`);
    expect(fast.days).toEqual(await straightforwardMetrics(catalogWithGold, to - 29 * DAY, to));
  });

  it('the health run and the Unknown report count every account once', async () => {
    const all = await accounts();
    const run = await call('POST', '/v1/health-runs');
    expect(run.state).toBe('done');
    expect(run.summary.eligible + run.summary.excluded).toBe(all.length);
    const { catalog } = await store.getCatalog(tenant);
    const unknown = all.filter(
      (a) => classifyStatus(a.status ?? undefined, catalog).statusType === 'unknown',
    );
    const report = await call('GET', '/v1/reports/unknown');
    expect(report.total).toBe(unknown.length);
    for (const v of report.values) {
      const ids = unknown.filter((a) => a.status === v.value).map((a) => a.id);
      expect(v.count).toBe(ids.length);
      expect(v.sampleAccountIds).toEqual(ids.slice(0, 5));
    }
  });
});
