import { defineCatalog } from '@statuskit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from './open-store.js';
import { openTestStore, testEngines } from './testing.js';

let seq = 0;

describe.each(testEngines())('account counts on %s', (engine) => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore(engine);
  });
  afterAll(async () => {
    await store?.close();
  });

  const tenant = async () =>
    (await store.createTenant({ id: `counts${Date.now().toString(36)}-${++seq}`, name: 'Counts' })).id;

  it('counts customers by type and plan, non-customers apart, Unknown by reason', async () => {
    const id = await tenant();
    const statuses = [
      ...Array.from({ length: 3 }, () => 'Trial'),
      ...Array.from({ length: 4 }, () => 'pro'),
      'Enterprise',
      'Cancelled',
      ...Array.from({ length: 2 }, () => 'Internal-use'),
      'Gold',
      'Gold',
      '  ',
      null,
    ];
    await store.applyStatusUpdates(
      id,
      statuses.map((status, i) => ({ accountId: `a${String(i).padStart(2, '0')}`, status })),
    );
    const counts = await store.accountCounts(id);
    expect(counts).toMatchObject({
      total: 15,
      byType: { free: 5, paying: 5, cancelled: 1, unknown: 4 },
      customers: {
        total: 9,
        byType: { free: 3, paying: 5, cancelled: 1 },
        trial: 3,
        byPlan: [
          { plan: 'Personal', count: 0 },
          { plan: 'Pro', count: 4 },
          { plan: 'Enterprise', count: 1 },
        ],
      },
      nonCustomers: { total: 2, byType: { free: 2, paying: 0, cancelled: 0 } },
      unknown: { total: 4, byReason: { missing: 1, empty: 1, 'not-in-catalog': 2, 'not-a-string': 0 } },
    });
    expect(counts.statuses.map((s) => [s.status, s.count])).toEqual([
      ['Trial', 3],
      ['Internal-use', 2],
      ['Personal', 0],
      ['Pro', 4],
      ['Enterprise', 1],
      ['Cancelled', 1],
    ]);
    expect(counts.statuses[1]).toEqual({
      status: 'Internal-use',
      type: 'free',
      plan: null,
      trial: false,
      nonCustomer: true,
      count: 2,
    });
  });

  it('follows a catalog change: plans shared by two statuses add up, new statuses leave Unknown', async () => {
    const id = await tenant();
    await store.applyStatusUpdates(id, [
      { accountId: 'g', status: 'Gold' },
      { accountId: 'p', status: 'Pro' },
      { accountId: 'q', status: 'Pro' },
    ]);
    const { catalog } = await store.getCatalog(id);
    await store.putCatalog(
      id,
      defineCatalog({
        statuses: [...catalog.toJSON().statuses, { value: 'Gold', type: 'paying', plan: 'Pro' }],
      }),
    );
    const counts = await store.accountCounts(id);
    expect(counts.unknown.total).toBe(0);
    expect(counts.customers.byPlan).toContainEqual({ plan: 'Pro', count: 3 });
    expect(counts.statuses.at(-1)).toMatchObject({ status: 'Gold', plan: 'Pro', count: 1 });
  });

  it('answers zeros for a tenant without accounts', async () => {
    const counts = await store.accountCounts(await tenant());
    expect(counts.total).toBe(0);
    expect(counts.customers.byPlan.every((p) => p.count === 0)).toBe(true);
    expect(counts.statuses).toHaveLength(6);
  });
});
