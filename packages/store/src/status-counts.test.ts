import { defaultCatalog, defineCatalog } from '@statuskit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from './open-store.js';
import { rawStatusCounts } from './status-counts.js';
import { openTestStore, testEngines } from './testing.js';

describe.each(testEngines())('accounts per raw status on %s', (engine) => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore(engine);
  });
  afterAll(async () => {
    await store?.close();
  });

  it('counts every raw value (missing and empty included), moves accounts on change, drops values nobody holds', async () => {
    const id = (await store.createTenant({ id: `counts${Date.now().toString(36)}`, name: 'c' })).id;
    await store.applyStatusUpdates(id, [
      { accountId: 'a1', status: 'Pro', observedAt: new Date('2026-01-01T00:00:00Z') },
      { accountId: 'a2', status: null, observedAt: new Date('2026-01-01T00:00:00Z') },
      { accountId: 'a3', status: '', observedAt: new Date('2026-01-01T00:00:00Z') },
      { accountId: 'a4', status: 'Pro', observedAt: new Date('2026-01-01T00:00:00Z') },
      { accountId: 'a5', status: 'gold', observedAt: new Date('2026-01-01T00:00:00Z') },
      // a5 again in the same batch, then a stale update and an unchanged one: only the change counts.
      { accountId: 'a5', status: 'Trial', observedAt: new Date('2026-01-02T00:00:00Z') },
      { accountId: 'a1', status: 'Cancelled', observedAt: new Date('2025-12-01T00:00:00Z') },
      { accountId: 'a4', status: 'Pro', observedAt: new Date('2026-01-03T00:00:00Z') },
    ]);
    const counts = async () =>
      Object.fromEntries(
        (await rawStatusCounts(store.db, id, defaultCatalog)).map((r) => [
          String(r.raw),
          [r.accounts, r.classification.statusType],
        ]),
      );
    expect(await counts()).toEqual({
      Pro: [2, 'paying'],
      null: [1, 'unknown'],
      '': [1, 'unknown'],
      Trial: [1, 'free'],
    });
    await store.applyStatusUpdates(id, [{ accountId: 'a2', status: 'Pro' }]);
    expect((await counts()).null).toBeUndefined();
    expect((await counts()).Pro).toEqual([3, 'paying']);
    // Classes follow the catalog given, not the one of the writes.
    const gold = defineCatalog({ statuses: [{ value: 'Pro', type: 'free' }] });
    expect(
      (await rawStatusCounts(store.db, id, gold)).find((r) => r.raw === 'Pro')?.classification.statusType,
    ).toBe('free');
  });
});
