import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChunkSizer } from './chunking.js';
import type { Store } from './open-store.js';
import { openTestStore } from './testing.js';
import { inLane } from './work-context.js';

describe('chunk sizes on PGlite', () => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore('pglite');
  });
  afterAll(async () => {
    await store?.close();
  });

  it('learn from the statement alone, not from the time it waited behind other work for the connection', async () => {
    const sizer = new ChunkSizer(100, 1000, 1, 1_000_000);
    // Another request holds the one connection for 300 ms; the chunk's own statement takes about 1 ms.
    const other = inLane('write', () => sql`SELECT pg_sleep(0.3)`.execute(store.db));
    const started = performance.now();
    const chunk = inLane('bulk', () =>
      sizer.time('read', 1000, () => sql`SELECT 1 AS one`.execute(store.db)),
    );
    await Promise.all([other, chunk]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    // Timed with the wait, 1000 rows in 300 ms would have halved the next chunk (100 ms target); alone the
    // statement is far under its target, so the next chunk is twice as large.
    expect(sizer.size).toBe(2000);
  });

  it('still shrink when the statement itself is slow', async () => {
    const sizer = new ChunkSizer(100, 1000, 1, 1_000_000);
    await inLane('bulk', () => sizer.time('read', 1000, () => sql`SELECT pg_sleep(0.3)`.execute(store.db)));
    expect(sizer.size).toBe(500);
  });
});
