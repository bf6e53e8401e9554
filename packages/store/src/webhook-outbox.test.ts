import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from './open-store.js';
import type { ClaimedDelivery, RetryPolicy } from './outbound-deliveries.js';
import { openTestStore, testEngines } from './testing.js';
import { statusEventTypes } from './webhook-outbox.js';

const policy: RetryPolicy = { delayMs: () => 0, retryForMs: 60_000, failingAfter: 2 };
const ok = { ok: true, statusCode: 204, startedAt: new Date(), durationMs: 3 };
const failed = { ok: false, statusCode: 500, startedAt: new Date(), durationMs: 3 };

describe('statusEventTypes', () => {
  it('derives the transitions the daily metrics count', () => {
    expect(statusEventTypes('free', 'paying')).toEqual(['account.status_changed', 'account.converted']);
    expect(statusEventTypes('paying', 'cancelled')).toEqual(['account.status_changed', 'account.churned']);
    expect(statusEventTypes('cancelled', 'paying')).toEqual([
      'account.status_changed',
      'account.reactivated',
    ]);
    expect(statusEventTypes('cancelled', 'free')).toEqual(['account.status_changed', 'account.reactivated']);
    expect(statusEventTypes('paying', 'unknown')).toEqual(['account.status_changed', 'account.unknown']);
    expect(statusEventTypes(null, 'unknown')).toEqual(['account.status_changed', 'account.unknown']);
    expect(statusEventTypes('unknown', 'unknown')).toEqual(['account.status_changed']);
    expect(statusEventTypes('paying', 'paying')).toEqual(['account.status_changed']);
    expect(statusEventTypes(null, 'paying')).toEqual(['account.status_changed']);
  });
});

describe.each(testEngines())('webhook outbox on %s', (engine) => {
  let store: Store;
  let n = 0;
  const newTenant = async () =>
    (await store.createTenant({ id: `wh${Date.now().toString(36)}${n++}`, name: 'Webhooks' })).id;
  beforeAll(async () => {
    store = await openTestStore(engine);
  });
  afterAll(async () => {
    await store?.close();
  });
  /** Claims and acknowledges everything due, in claim order, until nothing is due. */
  const drain = async (answer = ok): Promise<ClaimedDelivery[]> => {
    const all: ClaimedDelivery[] = [];
    for (;;) {
      const claimed = await store.claimWebhookDeliveries({ limit: 50, leaseMs: 60_000 });
      if (claimed.length === 0) return all;
      for (const c of claimed) await store.recordWebhookAttempt(c, answer, policy);
      all.push(...claimed);
    }
  };

  it('writes one delivery per matching subscription and event, with the change, in the same transaction', async () => {
    const t = await newTenant();
    const all = await store.createWebhookSubscription(t, {
      url: 'https://example.com/all',
      events: ['account.status_changed'],
    });
    expect(all.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const churn = await store.createWebhookSubscription(t, {
      url: 'https://example.com/churn',
      events: ['account.churned', 'account.converted'],
    });
    await store.createWebhookSubscription(t, {
      url: 'https://example.com/off',
      events: ['account.status_changed'],
      enabled: false,
    });
    await store.applyStatusUpdates(t, [
      { accountId: 'a', status: 'Trial' },
      { accountId: 'a', status: 'Pro' },
      { accountId: 'a', status: 'Pro' },
      { accountId: 'a', status: 'Cancelled' },
    ]);
    // A stale update is recorded but is not a change: no webhook event.
    await store.applyStatusUpdates(t, [
      { accountId: 'a', status: 'Trial', observedAt: '2001-01-01T00:00:00Z' },
    ]);
    const sent = await drain();
    const bySub = (id: string) => sent.filter((c) => c.subscriptionId === id);
    expect(bySub(all.id).map((c) => JSON.parse(c.payload).data.to.status)).toEqual([
      'Trial',
      'Pro',
      'Cancelled',
    ]);
    expect(bySub(churn.id).map((c) => c.eventType)).toEqual(['account.converted', 'account.churned']);
    const converted = JSON.parse(bySub(churn.id)[0]?.payload as string);
    expect(converted).toMatchObject({
      type: 'account.converted',
      data: {
        accountId: 'a',
        from: { status: 'Trial', type: 'free', plan: null },
        to: { status: 'Pro', type: 'paying', plan: 'Pro' },
        source: 'api',
      },
    });
    expect(new Date(converted.timestamp).getTime()).not.toBeNaN();
    expect(sent.length).toBe(5);
    expect(bySub(all.id)[0]?.secrets).toEqual([all.secret]);
  });

  it('rolls the outbox back with the change', async () => {
    const t = await newTenant();
    await store.createWebhookSubscription(t, {
      url: 'https://example.com/',
      events: ['account.status_changed'],
    });
    await expect(
      store.db.transaction().execute(async (trx) => {
        const { enqueueStatusEvents } = await import('./webhook-outbox.js');
        const { catalog } = await store.config.catalog(trx, t);
        await enqueueStatusEvents(
          trx,
          t,
          catalog,
          [
            {
              id: 'x',
              kind: 'change',
              from: null,
              to: 'Pro',
              fromType: null,
              toType: 'paying',
              source: 'api',
              at: new Date(),
            },
          ],
          new Date(),
        );
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await drain()).toEqual([]);
  });

  it('delivers in order per account: a later event waits while an earlier one is retried', async () => {
    const t = await newTenant();
    const sub = await store.createWebhookSubscription(t, {
      url: 'https://example.com/',
      events: ['account.status_changed'],
    });
    await store.applyStatusUpdates(t, [
      { accountId: 'a', status: 'Trial' },
      { accountId: 'b', status: 'Trial' },
    ]);
    await store.applyStatusUpdates(t, [{ accountId: 'a', status: 'Pro' }]);
    const first = await store.claimWebhookDeliveries({ limit: 50, leaseMs: 60_000 });
    // a's first event and b's: a's second waits for a's first.
    expect(first.map((c) => JSON.parse(c.payload).data.accountId).sort()).toEqual(['a', 'b']);
    // Claimed ones are not claimed twice while their lease runs.
    expect(await store.claimWebhookDeliveries({ limit: 50, leaseMs: 60_000 })).toEqual([]);
    const a1 = first.find((c) => JSON.parse(c.payload).data.accountId === 'a') as ClaimedDelivery;
    const b1 = first.find((c) => JSON.parse(c.payload).data.accountId === 'b') as ClaimedDelivery;
    await store.recordWebhookAttempt(b1, ok, policy);
    expect(
      await store.recordWebhookAttempt(a1, failed, {
        ...policy,
        delayMs: () => 60_000,
        retryForMs: 3_600_000,
      }),
    ).toBe('pending');
    // a's first is waiting for its retry: a's second is not due either.
    expect(await store.claimWebhookDeliveries({ limit: 50, leaseMs: 60_000 })).toEqual([]);
    await sql`UPDATE outbound_deliveries SET next_attempt_at = now() WHERE tenant_id = ${t}`.execute(
      store.db,
    );
    const retried = await drain();
    expect(retried.map((c) => JSON.parse(c.payload).data.to.status)).toEqual(['Trial', 'Pro']);
    const log = await store.listSubscriptionDeliveries(t, sub.id, { limit: 10 });
    expect(log.deliveries.map((d) => d.state)).toEqual(['delivered', 'delivered', 'delivered']);
    const detail = await store.getSubscriptionDelivery(t, sub.id, a1.deliveryId);
    expect(detail?.attemptLog.map((x) => x.statusCode)).toEqual([500, 204]);
  });

  it('takes over an expired claim and ignores the late outcome of the old one', async () => {
    const t = await newTenant();
    await store.createWebhookSubscription(t, {
      url: 'https://example.com/',
      events: ['account.status_changed'],
    });
    await store.applyStatusUpdates(t, [{ accountId: 'a', status: 'Pro' }]);
    const [old] = await store.claimWebhookDeliveries({ limit: 50, leaseMs: 1 });
    await sql`SELECT pg_sleep(0.01)`.execute(store.db);
    const [taken] = await store.claimWebhookDeliveries({ limit: 50, leaseMs: 60_000 });
    expect(taken?.deliveryId).toBe(old?.deliveryId);
    expect(await store.recordWebhookAttempt(old as ClaimedDelivery, ok, policy)).toBeUndefined();
    expect(await store.recordWebhookAttempt(taken as ClaimedDelivery, ok, policy)).toBe('delivered');
  });

  it('gives up after the retry window, marks the subscription failing, recovers on success, and replays', async () => {
    const t = await newTenant();
    const sub = await store.createWebhookSubscription(t, {
      url: 'https://example.com/',
      events: ['account.status_changed'],
    });
    await store.applyStatusUpdates(t, [{ accountId: 'a', status: 'Pro' }]);
    const giveUp: RetryPolicy = { delayMs: () => 0, retryForMs: 0, failingAfter: 2 };
    const [c1] = await store.claimWebhookDeliveries({ limit: 50, leaseMs: 60_000 });
    expect(
      await store.recordWebhookAttempt(c1 as ClaimedDelivery, failed, { ...policy, failingAfter: 2 }),
    ).toBe('pending');
    expect((await store.getWebhookSubscription(t, sub.id))?.status).toBe('active');
    const [c2] = await store.claimWebhookDeliveries({ limit: 50, leaseMs: 60_000 });
    await sql`SELECT pg_sleep(0.01)`.execute(store.db);
    expect(await store.recordWebhookAttempt(c2 as ClaimedDelivery, failed, giveUp)).toBe('failed');
    const failing = await store.getWebhookSubscription(t, sub.id);
    expect(failing).toMatchObject({ status: 'failing', consecutiveFailures: 2 });
    expect(await store.claimWebhookDeliveries({ limit: 50, leaseMs: 60_000 })).toEqual([]);

    const replayed = await store.replaySubscriptionDelivery(t, sub.id, c1?.deliveryId as string);
    expect(replayed).toMatchObject({ state: 'pending', attempts: 2 });
    expect(await store.replaySubscriptionDelivery(t, sub.id, c1?.deliveryId as string)).toBe('pending');
    expect(await store.replaySubscriptionDelivery(t, sub.id, 'dlv_nope')).toBe('not-found');
    const again = await drain();
    expect(again.map((c) => c.eventId)).toEqual([c1?.eventId]);
    expect(await store.getWebhookSubscription(t, sub.id)).toMatchObject({
      status: 'active',
      consecutiveFailures: 0,
    });
  });

  it('emits health_run.completed with the run, and keeps tenants apart', async () => {
    const t = await newTenant();
    const other = await newTenant();
    const sub = await store.createWebhookSubscription(t, {
      url: 'https://example.com/',
      events: ['health_run.completed'],
    });
    await store.createWebhookSubscription(other, {
      url: 'https://example.com/',
      events: ['health_run.completed'],
    });
    await store.applyStatusUpdates(t, [{ accountId: 'a', status: 'Pro' }]);
    const run = await store.runHealth(t, { trigger: 'manual' });
    const sent = await drain();
    expect(sent).toHaveLength(1);
    expect(JSON.parse(sent[0]?.payload as string)).toMatchObject({
      type: 'health_run.completed',
      data: { runId: run?.id, state: 'done', summary: { total: 1, eligible: 1 } },
    });
    expect(await store.getWebhookSubscription(other, sub.id)).toBeUndefined();
    expect((await store.listSubscriptionDeliveries(other, sub.id, { limit: 10 })).deliveries).toEqual([]);
    expect(await store.deleteWebhookSubscription(other, sub.id)).toBe(false);
    expect(await store.deleteWebhookSubscription(t, sub.id)).toBe(true);
    expect((await store.listSubscriptionDeliveries(t, sub.id, { limit: 10 })).deliveries).toEqual([]);
  });

  it('signs with the previous secret too after a rotation', async () => {
    const t = await newTenant();
    const sub = await store.createWebhookSubscription(t, {
      url: 'https://example.com/',
      events: ['account.status_changed'],
    });
    const rotated = await store.rotateWebhookSecret(t, sub.id);
    expect(rotated?.secret).not.toBe(sub.secret);
    await store.applyStatusUpdates(t, [{ accountId: 'a', status: 'Pro' }]);
    const [c] = await drain();
    expect(c?.secrets).toEqual([rotated?.secret, sub.secret]);
  });

  it('refuses unknown event types and text it cannot store', async () => {
    const t = await newTenant();
    await expect(
      store.createWebhookSubscription(t, { url: 'https://example.com/', events: ['account.nope' as never] }),
    ).rejects.toThrow(/webhook subscription/);
    await expect(
      store.createWebhookSubscription(t, { url: 'https://example.com/\u0000', events: [] }),
    ).rejects.toThrow();
  });
});
