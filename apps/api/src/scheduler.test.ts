import { randomBytes } from 'node:crypto';
import { openStore, type Store } from '@statuskit/store';
import { openTestStore } from '@statuskit/store/testing';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { startHealthScheduler } from './scheduler.js';

async function seed(store: Store, tenantId: string) {
  await store.createTenant({ id: tenantId, name: tenantId });
  await store.applyStatusUpdates(tenantId, [
    { accountId: 'a', status: 'Pro' },
    { accountId: 'b', status: 'Cancelled' },
  ]);
}

describe('daily health-run scheduler', () => {
  it('waits for the configured UTC hour, then runs each tenant once that day', async () => {
    const store = await openTestStore('pglite');
    try {
      await seed(store, 'early');
      let now = new Date('2026-03-01T01:59:00Z');
      const scheduler = startHealthScheduler(store, { hourUtc: 2, intervalMs: 3_600_000, now: () => now });
      await scheduler.tick();
      expect(await store.listHealthRuns('early')).toHaveLength(0);
      now = new Date('2026-03-01T02:00:00Z');
      await scheduler.tick();
      await scheduler.tick();
      now = new Date('2026-03-01T23:00:00Z');
      await scheduler.tick();
      expect((await store.listHealthRuns('early')).map((r) => [r.day, r.trigger])).toEqual([
        ['2026-03-01', 'scheduled'],
      ]);
      now = new Date('2026-03-02T02:30:00Z');
      await scheduler.tick();
      expect(await store.listHealthRuns('early')).toHaveLength(2);
      await scheduler.stop();
    } finally {
      await store.close();
    }
  });

  it.runIf(process.env.DATABASE_URL)(
    'makes one run per tenant and day across API processes sharing PostgreSQL',
    async () => {
      const databaseUrl = process.env.DATABASE_URL as string;
      const schema = `statuskit_sched_${randomBytes(5).toString('hex')}`;
      // Three stores with their own pools stand for three API processes.
      const stores = await Promise.all([1, 2, 3].map(() => openStore({ databaseUrl, schema, poolSize: 2 })));
      try {
        await seed(stores[0] as Store, 'shared');
        const now = () => new Date('2026-03-01T05:00:00Z');
        const schedulers = stores.map((s) =>
          startHealthScheduler(s, { hourUtc: 2, intervalMs: 3_600_000, now }),
        );
        await Promise.all(schedulers.map((s) => s.tick()));
        await Promise.all(schedulers.map((s) => s.tick()));
        await Promise.all(schedulers.map((s) => s.stop()));
        const runs = await (stores[1] as Store).listHealthRuns('shared');
        expect(runs.filter((r) => r.trigger === 'scheduled')).toHaveLength(1);
        expect(runs[0]).toMatchObject({ state: 'done', summary: { total: 2, eligible: 1 } });
      } finally {
        await Promise.all(stores.map((s) => s.close()));
        const admin = new pg.Client({ connectionString: databaseUrl });
        await admin.connect();
        await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await admin.end();
      }
    },
  );
});
