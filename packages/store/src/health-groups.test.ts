import {
  classifyStatus,
  type Eligibility,
  type EligibilityRule,
  evaluate,
  HealthTally,
} from '@statuskit/core';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from './open-store.js';
import { openTestStore, testEngines } from './testing.js';

/** A small seeded PRNG (mulberry32), so a failing case can be replayed. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)] as T,
  };
}

const DAY = 86_400_000;
const STATUSES = ['Trial', 'Internal-use', 'Personal', 'Pro', 'Enterprise', 'Cancelled'];
const UNKNOWN = ['Gold', 'Silver', '', 'gold ', 'Platinum'];

const RULES: Record<string, EligibilityRule> = {
  demo: {
    name: 'demo accounts',
    conditions: { all: [{ fact: 'attributes', path: '$.demo', operator: 'equal', value: true }] },
    event: { type: 'exclude', params: { reason: 'demo account' } },
  },
  failing: {
    name: 'filter',
    conditions: { all: [{ fact: 'attributes', path: '$[?(@.x.y)]', operator: 'equal', value: 1 }] },
    event: { type: 'exclude', params: { reason: 'x' } },
  },
  failingToo: {
    name: 'filter too',
    priority: 2,
    conditions: { all: [{ fact: 'attributes', path: '$[?(@.x.y > 1)]', operator: 'notEqual', value: 5 }] },
    event: { type: 'include', params: { reason: 'y' } },
  },
  stale: {
    name: 'stale trials',
    priority: 3,
    conditions: {
      all: [
        { fact: 'trial', operator: 'equal', value: true },
        { fact: 'daysInStatus', operator: 'greaterThan', value: 20 },
      ],
    },
    event: { type: 'exclude', params: { reason: 'stale trial' } },
  },
  keepPro: {
    name: 'keep internal pro',
    priority: 2,
    conditions: { all: [{ fact: 'attributes', path: '$.tier', operator: 'greaterThanInclusive', value: 2 }] },
    event: { type: 'include', params: { reason: 'tier' } },
  },
  observed: {
    name: 'observed on a day',
    conditions: { all: [{ fact: 'statusObservedAt', operator: 'greaterThan', value: 0 }] },
    event: { type: 'exclude', params: { reason: 'never' } },
  },
  observedIn: {
    name: 'observed odd',
    conditions: {
      all: [
        { fact: 'statusObservedAt', operator: 'notIn', value: ['2026-01-01T00:00:00.000Z'] },
        { fact: 'plan', operator: 'equal', value: 'Pro' },
      ],
    },
    event: { type: 'exclude', params: { reason: 'pro observed' } },
  },
};

/** The per-account health run as it was before groups: the oracle for the summary and the exclusions. */
async function perAccountRun(store: Store, tenantId: string, now: Date) {
  const [catalog, rules] = [await store.getCatalog(tenantId), await store.getRules(tenantId)];
  const rows = await sql<{
    account_id: string;
    raw_status: string | null;
    attributes: Record<string, unknown> | null;
    observed: number;
  }>`
    SELECT account_id, raw_status, attributes, (extract(epoch FROM status_observed_at) * 1000)::float8 AS observed
    FROM accounts WHERE tenant_id = ${tenantId} ORDER BY account_id
  `.execute(store.db);
  const tally = new HealthTally(catalog.catalog, rules.evaluator, { asOf: now });
  const decisions = new Map<Eligibility, number>();
  const exclusions: { accountId: string; reason: string; decision: number }[] = [];
  for (const r of rows.rows) {
    const account = {
      id: r.account_id,
      status: r.raw_status ?? undefined,
      attributes: r.attributes ?? {},
      statusObservedAt: r.observed,
    };
    const c = classifyStatus(account.status, catalog.catalog);
    const e = evaluate(c, account, rules.evaluator, { asOf: now.getTime() });
    tally.record(account, c, e);
    if (!e.eligible) {
      let d = decisions.get(e);
      if (d === undefined) {
        d = decisions.size;
        decisions.set(e, d);
      }
      exclusions.push({ accountId: r.account_id, reason: e.reason, decision: d });
    }
  }
  const summary = JSON.parse(JSON.stringify({ ...tally.summary(), decisions: [...decisions.keys()] }));
  return { summary, exclusions };
}

describe.each(testEngines())('a health run by groups on %s', (engine) => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore(engine);
  });
  afterAll(async () => {
    await store?.close();
  });

  const ruleSets: (keyof typeof RULES)[][] = [
    [],
    ['demo'],
    ['demo', 'failing', 'keepPro'],
    ['stale', 'failing', 'failingToo', 'demo'],
    ['observed', 'observedIn', 'stale'],
    ['failing', 'failingToo', 'observedIn', 'keepPro', 'stale', 'demo'],
  ];
  it.each(ruleSets.map((r, i) => [i, r] as const))(
    'gives the per-account summary and exclusions on a random tenant (case %i)',
    async (seed, ruleNames) => {
      const rnd = random(seed * 7919 + (engine === 'postgres' ? 1 : 2));
      const tenantId = (await store.createTenant({ name: `groups ${seed}` })).id;
      await store.putRules(
        tenantId,
        ruleNames.map((n) => RULES[n] as EligibilityRule),
      );
      const now = new Date(Date.UTC(2026, 2, 10, 12, 34, 56, 789));
      const accounts = 300 + rnd.int(300);
      const updates = Array.from({ length: accounts }, () => {
        const u = rnd.next();
        const status =
          u < 0.6 ? rnd.pick(STATUSES) : u < 0.9 ? rnd.pick(UNKNOWN) : u < 0.95 ? `zz${rnd.int(40)}` : null;
        const x = rnd.pick([1, null, { y: rnd.int(3) }, undefined, 'text']);
        return {
          accountId: `acc-${rnd.int(1_000_000).toString(36)}-${rnd.int(100)}`,
          status,
          observedAt: new Date(now.getTime() - rnd.int(40) * DAY - rnd.int(DAY)),
          attributes: {
            ...(rnd.next() < 0.3 ? { demo: true } : {}),
            ...(x !== undefined ? { x } : {}),
            ...(rnd.next() < 0.5 ? { tier: rnd.int(4) } : {}),
          },
        };
      });
      const ids = new Set<string>();
      const unique = updates.filter((u) => !ids.has(u.accountId) && ids.add(u.accountId));
      for (let i = 0; i < unique.length; i += 100)
        await store.applyStatusUpdates(tenantId, unique.slice(i, i + 100));

      const oracle = await perAccountRun(store, tenantId, now);
      expect(oracle.summary.unknown.total).toBeGreaterThan(0);
      if (ruleNames.includes('failing')) expect(oracle.summary.ruleErrors.length).toBeGreaterThan(0);
      for (const pageSize of [undefined, 1 + rnd.int(60)]) {
        const run = await store.runHealth(tenantId, {
          trigger: 'manual',
          now,
          ...(pageSize ? { pageSize } : {}),
        });
        expect(run?.state).toBe('done');
        expect(run?.summary).toEqual(oracle.summary);
        const listed = await store.healthRunExclusions(tenantId, run as never, undefined, accounts + 1);
        expect(listed).toEqual(
          oracle.exclusions.map((x) => ({
            accountId: x.accountId,
            reason: x.reason,
            eligibility: oracle.summary.decisions[x.decision],
          })),
        );
        const raw = await sql<{ account_id: string; decision: number }>`
          SELECT account_id, decision FROM health_run_exclusions WHERE tenant_id = ${tenantId} AND run_id = ${run?.id ?? ''}
          ORDER BY account_id
        `.execute(store.db);
        expect(raw.rows.map((r) => r.decision)).toEqual(oracle.exclusions.map((x) => x.decision));
      }
    },
  );
});
