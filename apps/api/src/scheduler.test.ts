import { randomBytes } from 'node:crypto';
import { openStore, type Store } from '@statuskit/store';
import { openTestStore } from '@statuskit/store/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHealthScheduler } from './scheduler.js';
import { capturedLogger } from './testing/captured-logger.js';

async function seed(store: Store, tenantId: string) {
  await store.createTenant({ id: tenantId, name: tenantId });
  await store.applyStatusUpdates(tenantId, [
    { accountId: 'a', status: 'Pro' },
    { accountId: 'b', status: 'Cancelled' },
  ]);
}

describe('daily health-run scheduler', () => {
  // One PGlite store for the file (each test uses tenants of its own).
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore('pglite');
  });
  afterAll(async () => {
    await store?.close();
  });

  it('waits for the configured UTC hour, then runs each tenant once that day', async () => {
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

  it('survives a database that cannot list the tenants: the look is logged and counted as failed, not a crash', async () => {
    const broken: Store = {
      ...store,
      listTenants: async () => {
        throw new Error('connection refused');
      },
    };
    const log = capturedLogger();
    const ticks: string[] = [];
    const scheduler = startHealthScheduler(broken, {
      hourUtc: 0,
      intervalMs: 3_600_000,
      logger: log.logger,
      onTick: (result) => ticks.push(result),
    });
    await scheduler.tick(); // resolves: the first look failed the same way, and the interval's looks would too
    expect(ticks).toEqual(['error']);
    expect(log.lines()[0]).toMatchObject({ level: 'error', err: { message: 'connection refused' } });
    await scheduler.stop();
  });

  it('stops after the run in progress, or at once when told to abandon it', async () => {
    await seed(store, 'slow');
    /** A store whose health runs wait for `release` before they start. */
    const gated = () => {
      const gate = { entered: () => {}, release: () => {}, tenants: [] as string[] };
      const inRun = new Promise<void>((resolve) => {
        gate.entered = resolve;
      });
      const held = new Promise<void>((resolve) => {
        gate.release = resolve;
      });
      const slow: Store = {
        ...store,
        runHealth: async (...args) => {
          gate.tenants.push(args[0]);
          gate.entered();
          await held;
          return store.runHealth(...args);
        },
      };
      return { slow, inRun, release: () => gate.release(), tenants: gate.tenants };
    };

    const waited = gated();
    const day1 = () => new Date('2026-03-03T05:00:00Z');
    const first = startHealthScheduler(waited.slow, { hourUtc: 2, intervalMs: 3_600_000, now: day1 });
    await waited.inRun;
    let stopped = false;
    const stopping = first.stop().then((finished) => {
      stopped = true;
      return finished;
    });
    await Promise.resolve();
    expect(stopped).toBe(false);
    waited.release();
    expect(await stopping).toBe(true);
    // stop() came back after the run in progress was recorded, and started no other.
    expect(waited.tenants).toHaveLength(1);
    const runs = await store.listHealthRuns(waited.tenants[0] as string);
    expect(runs.map((r) => [r.day, r.state])).toContainEqual(['2026-03-03', 'done']);

    const abandoned = gated();
    const day2 = () => new Date('2026-03-04T05:00:00Z');
    const second = startHealthScheduler(abandoned.slow, { hourUtc: 2, intervalMs: 3_600_000, now: day2 });
    await abandoned.inRun;
    const abandon = new AbortController();
    const giving = second.stop(abandon.signal);
    abandon.abort();
    expect(await giving).toBe(false);
    abandoned.release();
    await second.tick(); // the abandoned run, let go, ends before the store closes
  });
});
