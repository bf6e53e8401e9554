import { parseRules } from '@statuskit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from './open-store.js';
import { openTestStore, testEngines } from './testing.js';

describe.each(testEngines())('health-run exclusions on %s', (engine) => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore(engine);
  });
  afterAll(async () => {
    await store?.close();
  });

  it("pages one reason's excluded accounts, and all of them without a reason", async () => {
    const id = (await store.createTenant({ id: `excl${Date.now().toString(36)}`, name: 'Exclusions' })).id;
    await store.putRules(
      id,
      parseRules([
        {
          name: 'demo',
          conditions: { all: [{ fact: 'attributes', path: '$.demo', operator: 'equal', value: true }] },
          event: { type: 'exclude', params: { reason: 'demo tenant' } },
        },
      ]),
    );
    await store.applyStatusUpdates(
      id,
      Array.from({ length: 12 }, (_, i) => ({
        accountId: `a${String(i).padStart(2, '0')}`,
        status: i % 3 === 0 ? 'Cancelled' : 'Pro',
        attributes: { demo: i % 3 === 1 },
      })),
    );
    const run = await store.runHealth(id, { trigger: 'manual', now: new Date('2026-03-01T03:00:00Z') });
    if (!run) throw new Error('no run');
    expect(run.summary?.excludedByReason).toEqual({ cancelled: 4, 'demo tenant': 4 });

    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await store.healthRunExclusions(id, run, cursor, 3, { reason: 'demo tenant' });
      pages.push(page.map((x) => x.accountId));
      expect(page.every((x) => x.reason === 'demo tenant' && x.eligibility.rule === 'demo')).toBe(true);
      cursor = page.length === 3 ? page.at(-1)?.accountId : undefined;
    } while (cursor);
    expect(pages).toEqual([['a01', 'a04', 'a07'], ['a10']]);
    expect(await store.healthRunExclusions(id, run, undefined, 10, { reason: 'nobody' })).toEqual([]);
    expect(await store.healthRunExclusions(id, run, undefined, 100)).toHaveLength(8);
  });
});
