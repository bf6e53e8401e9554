import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from './open-store.js';
import { staleTables } from './statistics.js';
import { openTestStore, testEngines } from './testing.js';

const reltuples = async (store: Store, table: string) =>
  Number(
    (
      await sql<{ n: number }>`SELECT reltuples::float8 AS n FROM pg_class WHERE relname = ${table}
        AND relnamespace = current_schema()::regnamespace`.execute(store.db)
    ).rows[0]?.n,
  );

describe.each(testEngines())('planner statistics after bulk changes on %s', (engine) => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore(engine);
  });
  afterAll(async () => {
    await store?.close();
  });

  it('a health run right after a bulk load gathers the statistics itself (no manual ANALYZE)', async () => {
    const id = (await store.createTenant({ id: 'bulk', name: 'bulk' })).id;
    await sql`
      INSERT INTO accounts (tenant_id, account_id, raw_status, status_observed_at, last_observed_at, source)
      SELECT ${id}, 'a' || i, 'Pro', now(), now(), 'api' FROM generate_series(1, 5000) i`.execute(store.db);
    expect(await staleTables(store.db, ['accounts'])).toEqual(['accounts']);
    const run = await store.runHealth(id, { trigger: 'manual' });
    expect(run?.summary?.eligible).toBe(5000);
    expect(await reltuples(store, 'accounts')).toBeGreaterThanOrEqual(5000);
    // Not asked again whether the table is stale: PostgreSQL reports a session's row counts up to a second
    // late, so the load's own inserts may land after the store's VACUUM ANALYZE and count as changes since.
  });

  it('a batch through the ingest path that grows the tables by a large share analyzes them', async () => {
    const id = (await store.createTenant({ id: 'batch', name: 'batch' })).id;
    const before = await reltuples(store, 'status_events');
    await store.applyStatusUpdates(
      id,
      Array.from({ length: 3000 }, (_, i) => ({ accountId: `b${i}`, status: 'Trial' })),
    );
    // The gathered statistics count the batch (whether the table still looks stale right after depends on
    // when PostgreSQL reports the batch's row counts: up to a second late).
    expect(await reltuples(store, 'status_events')).toBeGreaterThan(Math.max(before, 0));
  });
});
