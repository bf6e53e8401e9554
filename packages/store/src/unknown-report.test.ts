import { type Catalog, classifyStatus, defaultCatalog, defineCatalog } from '@statuskit/core';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from './open-store.js';
import { unknownReport } from './reports.js';
import { openTestStore, testEngines } from './testing.js';

/** Every account read and classified on its own with the tenant's catalog, grouped by raw value. */
async function straightforwardReport(store: Store, tenantId: string, limit: number) {
  const { catalog } = await store.getCatalog(tenantId);
  const rows = await sql<{ raw_status: string | null; n: number; samples: string[] }>`
    SELECT raw_status, count(*)::int AS n, (array_agg(account_id ORDER BY account_id))[1:5] AS samples
    FROM accounts WHERE tenant_id = ${tenantId} GROUP BY raw_status ORDER BY raw_status NULLS FIRST
  `.execute(store.db);
  const unknown = rows.rows
    .map((r) => ({ ...r, c: classifyStatus(r.raw_status ?? undefined, catalog) }))
    .filter((r) => r.c.statusType === 'unknown')
    .sort((a, b) => b.n - a.n); // stable: ties keep the database's order of values
  const byReason: Record<string, number> = { missing: 0, empty: 0, 'not-in-catalog': 0, 'not-a-string': 0 };
  let total = 0;
  for (const r of unknown) {
    const reason = r.c.unknownReason ?? 'missing';
    byReason[reason] = (byReason[reason] ?? 0) + r.n;
    total += r.n;
  }
  return {
    total,
    byReason,
    values: unknown.slice(0, limit).map((r) => ({
      value: r.raw_status,
      reason: r.c.unknownReason,
      count: r.n,
      sampleAccountIds: r.samples,
    })),
  };
}

function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { int: (n: number) => Math.floor(next() * n), next };
}

describe.each(testEngines())('the Unknown report on %s', (engine) => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore(engine);
  });
  afterAll(async () => {
    await store?.close();
  });

  it.each([1, 2, 3])(
    'counts and samples as the straightforward query on a random tenant (seed %i)',
    async (seed) => {
      const rnd = random(seed);
      const tenantId = (await store.createTenant({ name: `unknown ${seed}` })).id;
      const statuses = [
        null,
        '',
        'Gold',
        'Silver',
        'gold',
        'Pro',
        'Cancelled',
        'Trial',
        ...Array.from({ length: 30 }, (_, i) => `v${i}`),
      ];
      const updates = Array.from({ length: 800 }, (_, i) => ({
        accountId: `a${rnd.int(1e9).toString(36)}${i}`,
        // Skewed, so counts differ and some values tie.
        status: statuses[Math.min(rnd.int(statuses.length), rnd.int(statuses.length))] as string | null,
      }));
      for (let i = 0; i < updates.length; i += 200)
        await store.applyStatusUpdates(tenantId, updates.slice(i, i + 200));
      const expectSame = async () => {
        for (const limit of [100, 3]) {
          const report = await store.unknownReport(tenantId, limit);
          expect(report).toEqual(await straightforwardReport(store, tenantId, limit));
        }
        return store.unknownReport(tenantId);
      };
      const before = await expectSame();
      expect(before.byReason.missing).toBeGreaterThan(0);
      expect(before.byReason.empty).toBeGreaterThan(0);
      expect(before.values.some((v) => v.sampleAccountIds.length === 5)).toBe(true);
      // A catalog change re-classifies: Gold becomes known, the report follows.
      const gold: Catalog = defineCatalog({
        statuses: [...defaultCatalog.toJSON().statuses, { value: 'Gold', type: 'paying' }],
      });
      await store.putCatalog(tenantId, gold);
      const after = await expectSame();
      expect(after.values.some((v) => v.value === 'Gold')).toBe(false);
    },
  );

  it('takes any limit as before: not a whole number, Infinity or NaN answer as slice(0, limit) would', async () => {
    const tenantId = (await store.createTenant({ name: 'unknown limits' })).id;
    await store.applyStatusUpdates(tenantId, [
      { accountId: 'a', status: 'Gold' },
      { accountId: 'b', status: 'Silver' },
      { accountId: 'c', status: null },
    ]);
    const all = (await store.unknownReport(tenantId)).values;
    expect(all).toHaveLength(3);
    for (const limit of [Number.POSITIVE_INFINITY, 1e20, 2.5, 0.5, Number.NaN, 0, -1])
      expect((await store.unknownReport(tenantId, limit)).values, String(limit)).toEqual(
        all.slice(0, Math.max(0, limit)),
      );
  });
});

describe.skipIf(!process.env.DATABASE_URL)('the Unknown report while accounts change (PostgreSQL)', () => {
  it('reads counts and samples in one snapshot: a change committed between them does not show in one only', async () => {
    const store = await openTestStore('postgres');
    try {
      const tenantId = (await store.createTenant({ name: 'unknown snapshot' })).id;
      await store.applyStatusUpdates(tenantId, [{ accountId: 'g1', status: 'Gold' }]);
      // Right after the report's first statement, another connection moves g1 off Gold and adds g2, g3.
      let moved = false;
      const db = store.db.withPlugin({
        transformQuery: (args) => args.node,
        transformResult: async (args) => {
          if (!moved) {
            moved = true;
            await store.applyStatusUpdates(tenantId, [
              { accountId: 'g1', status: 'Pro' },
              { accountId: 'g2', status: 'Silver' },
              { accountId: 'g3', status: 'Silver' },
            ]);
          }
          return args.result;
        },
      });
      const report = await unknownReport(db, tenantId, defaultCatalog);
      expect(moved).toBe(true);
      // Whichever state it reads, each value's samples are its accounts in that same state.
      for (const v of report.values)
        expect(v.sampleAccountIds, String(v.value)).toHaveLength(Math.min(v.count, 5));
      expect(report.total).toBe(report.values.reduce((n, v) => n + v.count, 0));
    } finally {
      await store.close();
    }
  });
});
