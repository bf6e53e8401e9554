import { defaultCatalog } from '@statuskit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkedDailyMetrics } from './metrics-chunks.js';
import type { Store } from './open-store.js';
import { dailyMetrics } from './reports.js';
import { openTestStore, testEngines } from './testing.js';

const STATUSES = ['Trial', 'Pro', 'Enterprise', 'Personal', 'Cancelled', 'Gold', null];

describe.each(testEngines())('metrics over a long range in chunks on %s', (engine) => {
  let store: Store;
  let tenantId: string;
  beforeAll(async () => {
    store = await openTestStore(engine);
    tenantId = (await store.createTenant({ id: `chunks${Date.now().toString(36)}`, name: 'Chunks' })).id;
    // 120 accounts, each changing status every few days over 100 days (backdated, in order).
    for (let day = 0; day < 100; day += 3) {
      await store.applyStatusUpdates(
        tenantId,
        Array.from({ length: 120 }, (_, i) => ({
          accountId: `a${String(i).padStart(3, '0')}`,
          status: STATUSES[(i + day) % STATUSES.length] ?? null,
          observedAt: new Date(Date.UTC(2025, 0, 1 + day, (i * 7) % 24)),
        })),
        { receivedAt: new Date(Date.UTC(2025, 6, 1)) },
      );
    }
  });
  afterAll(async () => {
    await store?.close();
  });

  it('answers exactly what one statement over the whole range answers, whatever the chunk size', async () => {
    const from = new Date(Date.UTC(2024, 11, 20, 15));
    const to = new Date(Date.UTC(2025, 3, 15, 9));
    const whole = await dailyMetrics(store.db, tenantId, defaultCatalog, from, to);
    expect(whole).toHaveLength(117);
    // A tiny target makes one-day chunks; a huge one a single chunk; the store's own picks in between.
    expect(await chunkedDailyMetrics(store.db, tenantId, defaultCatalog, from, to, 0.001)).toEqual(whole);
    expect(await chunkedDailyMetrics(store.db, tenantId, defaultCatalog, from, to, 1e9)).toEqual(whole);
    expect(await store.dailyMetrics(tenantId, from, to)).toEqual(whole);
    const oneDay = new Date(Date.UTC(2025, 1, 3));
    expect(await store.dailyMetrics(tenantId, oneDay, oneDay)).toEqual(
      await dailyMetrics(store.db, tenantId, defaultCatalog, oneDay, oneDay),
    );
  });
});
