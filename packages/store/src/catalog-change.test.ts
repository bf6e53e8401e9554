import { defaultCatalog, defineCatalog } from '@statuskit/core';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from './open-store.js';
import { openTestStore, testEngines } from './testing.js';

const withGold = defineCatalog({
  statuses: [...defaultCatalog.toJSON().statuses, { value: 'Gold', type: 'paying', plan: 'gold' }],
});

describe.each(testEngines())('a catalog change on %s', (engine) => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore(engine);
  });
  afterAll(async () => {
    await store?.close();
  });

  it('rewrites no account, counts who it re-classifies, and every reader sees the new meaning at once', async () => {
    const id = (await store.createTenant({ id: `cat${Date.now().toString(36)}`, name: 'c' })).id;
    await store.applyStatusUpdates(
      id,
      Array.from({ length: 3000 }, (_, i) => ({
        accountId: `a${String(i).padStart(4, '0')}`,
        status: ['Gold', 'Pro', 'Trial'][i % 3] ?? null,
      })),
    );
    // Where each row physically is: an UPDATE would move it (a new row version).
    const places = async () =>
      (
        await sql<{ account_id: string; place: string }>`
          SELECT account_id, ctid::text AS place FROM accounts WHERE tenant_id = ${id} ORDER BY account_id`.execute(
          store.db,
        )
      ).rows;
    const before = await places();
    expect(
      (await store.listAccounts(id, { statusType: 'unknown' }, undefined, 5000)).map((a) => a.status),
    ).toEqual(Array(1000).fill('Gold'));

    const saved = await store.putCatalog(id, withGold);
    expect(saved.reclassified).toBe(1000);
    expect(await places()).toEqual(before);
    expect(await store.listAccounts(id, { statusType: 'unknown' }, undefined, 5000)).toEqual([]);
    const paying = await store.listAccounts(id, { statusType: 'paying' }, undefined, 5000);
    expect(paying.filter((a) => a.status === 'Gold')).toHaveLength(1000);
    expect(paying.filter((a) => a.status === 'Pro')).toHaveLength(1000);
    expect((await store.accountCounts(id)).customers.byPlan).toContainEqual({ plan: 'gold', count: 1000 });
    expect((await store.unknownReport(id)).total).toBe(0);

    // A caller that shows the page with a catalog of its own filters with that one (filter and classes agree).
    const gold = await store.listAccounts(id, { statusType: 'unknown' }, undefined, 5000, defaultCatalog);
    expect(gold.map((a) => a.status)).toEqual(Array(1000).fill('Gold'));

    // Saving the same catalog again re-classifies nobody.
    expect((await store.putCatalog(id, withGold)).reclassified).toBe(0);
  });
});
