import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from './open-store.js';
import { openTestStore, testEngines } from './testing.js';

describe.each(testEngines())('a health run in chunks on %s', (engine) => {
  let store: Store;
  let tenantId: string;
  const ACCOUNTS = 3000;
  beforeAll(async () => {
    store = await openTestStore(engine);
    tenantId = (await store.createTenant({ id: `atomic${Date.now().toString(36)}`, name: 'Atomic' })).id;
    await store.applyStatusUpdates(
      tenantId,
      Array.from({ length: ACCOUNTS }, (_, i) => ({
        accountId: `a${String(i).padStart(5, '0')}`,
        status: i % 3 === 0 ? 'Cancelled' : 'Pro',
      })),
    );
  });
  afterAll(async () => {
    await store?.close();
  });

  it('is seen whole or not at all: a running run lists no exclusions, a done one all of them', async () => {
    const seen: { state: string; exclusions: number }[] = [];
    let finished = false;
    const running = store.runHealth(tenantId, { trigger: 'manual', pageSize: 100 }).finally(() => {
      finished = true;
    });
    while (!finished) {
      const [run] = await store.listHealthRuns(tenantId, 1);
      if (!run) continue;
      const listed = await store.healthRunExclusions(tenantId, run, undefined, ACCOUNTS);
      seen.push({ state: run.state, exclusions: listed.length });
    }
    const run = await running;
    expect(run?.state).toBe('done');
    expect(run?.summary?.excluded).toBe(ACCOUNTS / 3);
    // The readers did look while the run was going (its pages interleave with them).
    expect(seen.some((s) => s.state === 'running')).toBe(true);
    for (const s of seen) expect(s.exclusions).toBe(s.state === 'done' ? ACCOUNTS / 3 : 0);
    expect(await store.healthRunExclusions(tenantId, run as never, undefined, ACCOUNTS)).toHaveLength(
      ACCOUNTS / 3,
    );
  });
});
