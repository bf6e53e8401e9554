import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChunkSizer } from './chunking.js';
import type { Store } from './open-store.js';
import { type RuleInputGroup, type RuleReads, ruleInputGroups } from './rule-groups.js';
import { openTestStore, testEngines } from './testing.js';

/** Every account read on its own and grouped here: the oracle. */
async function straightforwardGroups(store: Store, tenantId: string, reads: RuleReads) {
  const rows = await sql<{ raw_status: string | null; attributes: Record<string, unknown>; ms: number }>`
    SELECT raw_status, attributes, floor(extract(epoch FROM status_observed_at) * 1000)::float8 AS ms
    FROM accounts WHERE tenant_id = ${tenantId}`.execute(store.db);
  const groups = new Map<string, number>();
  for (const r of rows.rows) {
    const key = JSON.stringify([
      r.raw_status,
      reads.attributes ? r.attributes : {},
      reads.observed ? Number(r.ms) : 0,
    ]);
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  return groups;
}

const asMap = (groups: readonly RuleInputGroup[]) =>
  new Map(groups.map((g) => [JSON.stringify([g.status, g.attributes, g.observedMs]), g.accounts]));

describe.each(testEngines())('accounts grouped by what rules read on %s', (engine) => {
  let store: Store;
  let tenantId: string;
  beforeAll(async () => {
    store = await openTestStore(engine);
    tenantId = (await store.createTenant({ id: `groups${Date.now().toString(36)}`, name: 'g' })).id;
    const statuses = ['Pro', 'Trial', null, '', 'Gold'];
    await store.applyStatusUpdates(
      tenantId,
      Array.from({ length: 500 }, (_, i) => ({
        accountId: `a${String(i).padStart(4, '0')}`,
        status: statuses[i % statuses.length] ?? null,
        attributes: { region: ['eu', 'us'][i % 2], seats: i % 3 },
        observedAt: new Date(Date.UTC(2026, 0, 1 + (i % 4))),
      })),
    );
  });
  afterAll(async () => {
    await store?.close();
  });

  it.each([
    { attributes: false, observed: false },
    { attributes: true, observed: false },
    { attributes: false, observed: true },
    { attributes: true, observed: true },
  ])('equal one pass over every account, whatever the page size (reads %o)', async (reads) => {
    const expected = await straightforwardGroups(store, tenantId, reads);
    for (const pageSize of [7, 100, 499, 500, 501, 100_000]) {
      const sizer = new ChunkSizer(Number.POSITIVE_INFINITY, pageSize, pageSize, pageSize);
      expect(asMap(await ruleInputGroups(store.db, tenantId, reads, sizer)), `pages of ${pageSize}`).toEqual(
        expected,
      );
    }
  });
});
