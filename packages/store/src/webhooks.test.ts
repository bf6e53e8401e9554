import { combineByPlan } from '@statuskit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from './open-store.js';
import { openTestStore, testEngines } from './testing.js';
import { logText } from './webhook-deliveries.js';
import { checkWebhookCredentials } from './webhook-endpoints.js';

const config = { plans: [{ status: 'Pro', prices: ['price_pro'] }] };
const at = (s: string) => new Date(s);

describe.each(testEngines())('inbound webhook endpoints and their events, on %s', (engine) => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore(engine);
    await store.createTenant({ id: 'hooks-a', name: 'A' });
    await store.createTenant({ id: 'hooks-b', name: 'B' });
  });
  afterAll(async () => {
    await store?.close();
  });

  it('creates, lists, finds, updates and deletes endpoints, each tenant seeing only its own', async () => {
    const { endpoint } = await store.createWebhookEndpoint('hooks-a', {
      provider: 'stripe',
      name: 'live',
      config,
      secret: 'whsec_one',
    });
    expect(endpoint).toMatchObject({ provider: 'stripe', name: 'live', hasSecret: true, config });
    expect(endpoint.id).toMatch(/^we_[0-9a-f]{24}$/);
    expect((await store.listWebhookEndpoints('hooks-a')).map((e) => e.id)).toContain(endpoint.id);
    expect(await store.listWebhookEndpoints('hooks-b')).toEqual([]);
    expect(await store.getWebhookEndpoint('hooks-b', endpoint.id)).toBeUndefined();
    expect(await store.updateWebhookEndpoint('hooks-b', endpoint.id, { name: 'x' })).toBeUndefined();
    expect(await store.deleteWebhookEndpoint('hooks-b', endpoint.id)).toBe(false);
    expect((await store.findWebhookEndpoint(endpoint.id))?.signingSecrets).toEqual(['whsec_one']);
    expect(await store.findWebhookEndpoint('we_000000000000000000000000')).toBeUndefined();
    expect(await store.findWebhookEndpoint("we_'; drop table x")).toBeUndefined();

    // Rotation: the replaced secret stays valid for the time asked, then not.
    const now = at('2026-05-01T00:00:00Z');
    const rotated = await store.updateWebhookEndpoint(
      'hooks-a',
      endpoint.id,
      { secret: 'whsec_two', keepPreviousSecretSeconds: 3600 },
      now,
    );
    expect(rotated?.previousSecretUntil?.toISOString()).toBe('2026-05-01T01:00:00.000Z');
    expect((await store.findWebhookEndpoint(endpoint.id, now))?.signingSecrets).toEqual([
      'whsec_two',
      'whsec_one',
    ]);
    expect(
      (await store.findWebhookEndpoint(endpoint.id, at('2026-05-01T01:00:01Z')))?.signingSecrets,
    ).toEqual(['whsec_two']);
    expect(
      (await store.updateWebhookEndpoint('hooks-a', endpoint.id, { disabled: true }))?.disabledAt,
    ).not.toBe(null);
    expect((await store.updateWebhookEndpoint('hooks-a', endpoint.id, { disabled: false }))?.disabledAt).toBe(
      null,
    );
    expect(await store.deleteWebhookEndpoint('hooks-a', endpoint.id)).toBe(true);
    expect(await store.findWebhookEndpoint(endpoint.id)).toBeUndefined();
  });

  it('generates Chargebee credentials once and checks them', async () => {
    const made = await store.createWebhookEndpoint('hooks-a', { provider: 'chargebee', config });
    expect(made.password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const found = await store.findWebhookEndpoint(made.endpoint.id);
    if (!found) throw new Error('not found');
    expect(found.username).toBe('statuskit');
    expect(checkWebhookCredentials(found, 'statuskit', made.password as string)).toBe(true);
    expect(checkWebhookCredentials(found, 'statuskit', `${made.password}x`)).toBe(false);
    expect(checkWebhookCredentials(found, 'other', made.password as string)).toBe(false);
    const given = await store.createWebhookEndpoint('hooks-a', {
      provider: 'chargebee',
      config,
      username: 'cb',
      password: 'a-long-password-1',
    });
    expect(given.password).toBeUndefined();
  });

  it('refuses what the database cannot store in an endpoint', async () => {
    await expect(
      store.createWebhookEndpoint('hooks-a', { provider: 'stripe', name: 'a\u0000b', config }),
    ).rejects.toThrow(/name/);
    await expect(
      store.createWebhookEndpoint('hooks-a', {
        provider: 'stripe',
        config: { plans: [{ status: 'P\u0000', prices: [] }] },
      }),
    ).rejects.toThrow(/config/);
  });

  it('applies an event once, leaves newer truth alone, logs skips and rejections', async () => {
    const { endpoint } = await store.createWebhookEndpoint('hooks-a', { provider: 'stripe', config });
    const receivedAt = at('2026-05-02T00:00:00Z');
    const update = (status: string, observedAt: string) => ({
      accountId: 'cus_1',
      status,
      observedAt,
      source: 'mapper:stripe',
    });
    const first = await store.receiveWebhookEvent('hooks-a', endpoint.id, {
      eventId: 'evt_2',
      eventType: 'customer.subscription.updated',
      receivedAt,
      update: update('Cancelled', '2026-05-01T12:00:00Z'),
    });
    expect(first).toMatchObject({ outcome: 'applied', result: { outcome: 'created', status: 'Cancelled' } });
    const again = await store.receiveWebhookEvent('hooks-a', endpoint.id, {
      eventId: 'evt_2',
      eventType: 'customer.subscription.updated',
      receivedAt,
      update: update('Pro', '2026-05-01T13:00:00Z'),
    });
    expect(again).toMatchObject({ outcome: 'duplicate' });
    const older = await store.receiveWebhookEvent('hooks-a', endpoint.id, {
      eventId: 'evt_1',
      eventType: 'customer.subscription.created',
      receivedAt,
      update: update('Pro', '2026-05-01T11:00:00Z'),
    });
    expect(older).toMatchObject({ outcome: 'applied', result: { outcome: 'stale', status: 'Cancelled' } });
    expect((await store.getAccount('hooks-a', 'cus_1'))?.status).toBe('Cancelled');
    expect(await store.accountHistory('hooks-a', 'cus_1')).toHaveLength(2); // the change and the stale one

    const skipped = await store.receiveWebhookEvent('hooks-a', endpoint.id, {
      eventId: 'evt_3',
      eventType: 'customer.subscription.updated',
      receivedAt,
      skip: { reason: 'unmapped-price', detail: 'no plan for prices price_x', accountId: 'cus_2' },
    });
    expect(skipped).toMatchObject({ outcome: 'skipped', reason: 'unmapped-price' });
    const future = await store.receiveWebhookEvent('hooks-a', endpoint.id, {
      eventId: 'evt_4',
      eventType: 'customer.subscription.updated',
      receivedAt,
      update: update('Pro', '2027-01-01T00:00:00Z'),
    });
    expect(future).toMatchObject({ outcome: 'skipped', reason: 'observed-in-future' });
    const nul = await store.receiveWebhookEvent('hooks-a', endpoint.id, {
      eventId: 'evt_5',
      eventType: 'x\u0000y',
      receivedAt,
      update: { ...update('Pro', '2026-05-01T14:00:00Z'), accountId: 'cus\u0000' },
    });
    expect(nul).toMatchObject({ outcome: 'skipped', reason: 'unstorable-update' });
    expect(await store.getAccount('hooks-a', 'cus_2')).toBeUndefined();
    await store.recordRejectedDelivery('hooks-a', endpoint.id, {
      reason: 'signature-mismatch',
      detail: 'no v1 signature matches \u0000\ud800',
      receivedAt,
    });

    const log = await store.listWebhookDeliveries('hooks-a', endpoint.id, { limit: 3 });
    expect(log.map((d) => d.outcome)).toEqual(['rejected', 'skipped', 'skipped']);
    const rest = await store.listWebhookDeliveries('hooks-a', endpoint.id, {
      limit: 10,
      before: log.at(-1)?.id,
    });
    expect(rest.map((d) => [d.outcome, d.eventId, d.result])).toEqual([
      ['skipped', 'evt_3', null],
      ['applied', 'evt_1', 'stale'],
      ['duplicate', 'evt_2', null],
      ['applied', 'evt_2', 'created'],
    ]);
    expect(
      await store.listWebhookDeliveries('hooks-a', endpoint.id, { limit: 10, outcome: 'duplicate' }),
    ).toHaveLength(1);
    expect(await store.webhookDeliveryCounts('hooks-a', endpoint.id)).toEqual({
      received: 7,
      applied: 2,
      duplicate: 1,
      skipped: { 'unmapped-price': 1, 'observed-in-future': 1, 'unstorable-update': 1 },
      rejected: { 'signature-mismatch': 1 },
    });
    expect(await store.listWebhookDeliveries('hooks-b', endpoint.id, { limit: 10 })).toEqual([]);
  });

  it("prunes an endpoint's delivery log to the newest N entries and to entries younger than a date", async () => {
    const { endpoint } = await store.createWebhookEndpoint('hooks-b', { provider: 'stripe', config });
    const { endpoint: other } = await store.createWebhookEndpoint('hooks-b', { provider: 'stripe', config });
    for (let day = 1; day <= 9; day++) {
      const receivedAt = at(`2026-03-0${day}T00:00:00Z`);
      await store.recordRejectedDelivery('hooks-b', endpoint.id, {
        reason: 'signature-mismatch',
        receivedAt,
      });
      await store.recordRejectedDelivery('hooks-b', other.id, { reason: 'signature-mismatch', receivedAt });
    }
    const days = async (id: string) =>
      (await store.listWebhookDeliveries('hooks-b', id, { limit: 100 })).map((d) =>
        d.receivedAt.toISOString().slice(8, 10),
      );
    expect(
      await store.pruneWebhookDeliveries('hooks-b', endpoint.id, {
        keep: 5,
        before: at('2026-01-01T00:00:00Z'),
      }),
    ).toBe(4);
    expect(await days(endpoint.id)).toEqual(['09', '08', '07', '06', '05']);
    expect(
      await store.pruneWebhookDeliveries('hooks-b', endpoint.id, {
        keep: 100,
        before: at('2026-03-08T00:00:00Z'),
      }),
    ).toBe(3);
    expect(await days(endpoint.id)).toEqual(['09', '08']);
    // Another endpoint's log is its own.
    expect(await days(other.id)).toHaveLength(9);
    expect(await store.pruneWebhookDeliveries('hooks-a', other.id, { keep: 1 })).toBe(0);
    expect(await days(other.id)).toHaveLength(9);
  });

  it("combines a customer's subscriptions even when their events are received at the same moment", async () => {
    const { endpoint } = await store.createWebhookEndpoint('hooks-a', { provider: 'stripe', config });
    const combine = combineByPlan(['Pro'], { trial: 'Trial', cancelled: 'Cancelled' });
    const receivedAt = at('2026-06-02T00:00:00Z');
    const event = (id: string, sub: string, status: string, second: number) => {
      const observedAt = new Date(Date.UTC(2026, 5, 1, 0, 0, second));
      return {
        eventId: id,
        eventType: 'customer.subscription.updated',
        receivedAt,
        occurredAt: observedAt,
        update: {
          accountId: 'cus_many',
          status,
          observedAt: observedAt.toISOString(),
          source: 'mapper:stripe',
        },
        observation: { object: sub, at: [observedAt.getTime() / 1000] },
        combine,
      };
    };
    const subs = ['sub_1', 'sub_2', 'sub_3', 'sub_4'];
    await Promise.all(
      subs.map((sub, i) =>
        store.receiveWebhookEvent('hooks-a', endpoint.id, event(`e_a${i}`, sub, 'Pro', i)),
      ),
    );
    expect((await store.getAccount('hooks-a', 'cus_many'))?.status).toBe('Pro');
    // All four cancel at once: whichever commits last sees the other three, so the customer ends Cancelled.
    await Promise.all(
      subs.map((sub, i) =>
        store.receiveWebhookEvent('hooks-a', endpoint.id, event(`e_c${i}`, sub, 'Cancelled', 10 + i)),
      ),
    );
    expect((await store.getAccount('hooks-a', 'cus_many'))?.status).toBe('Cancelled');
    // One comes back: paying again.
    const back = await store.receiveWebhookEvent('hooks-a', endpoint.id, event('e_back', 'sub_2', 'Pro', 30));
    expect(back).toMatchObject({ outcome: 'applied', result: { outcome: 'changed', status: 'Pro' } });
    // Deleting the endpoint forgets its subscriptions: a new endpoint starts from nothing.
    expect(await store.deleteWebhookEndpoint('hooks-a', endpoint.id)).toBe(true);
  });

  it('records each event id once when the same event arrives twice at the same moment', async () => {
    const { endpoint } = await store.createWebhookEndpoint('hooks-b', { provider: 'stripe', config });
    const deliver = () =>
      store.receiveWebhookEvent('hooks-b', endpoint.id, {
        eventId: 'evt_race',
        eventType: 'customer.subscription.updated',
        receivedAt: new Date(),
        update: { accountId: 'cus_race', status: 'Pro', observedAt: '2026-05-01T00:00:00Z' },
      });
    const outcomes = (await Promise.all([deliver(), deliver(), deliver()])).map((o) => o.outcome).sort();
    expect(outcomes).toEqual(['applied', 'duplicate', 'duplicate']);
    expect(await store.accountHistory('hooks-b', 'cus_race')).toHaveLength(1);
  });
});

describe('logText', () => {
  it('makes any text storable and short', () => {
    expect(logText('a\u0000b')).toBe('a\uFFFDb');
    expect(logText('\ud800x\udc00')).toBe('\uFFFDx\uFFFD');
    expect(logText('😀😀', 3)).toBe('😀…');
    expect(logText('😀😀', 2)).toBe('…');
    expect(logText(undefined)).toBeNull();
  });
});
