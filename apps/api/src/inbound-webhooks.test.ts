// Stripe and Chargebee posting to a real API process, on PGlite and on PostgreSQL.
import { createHmac } from 'node:crypto';
import { request } from 'node:http';
import { combineUpdates } from '@statuskit/core';
import { stripeMapper } from '@statuskit/mapper-stripe';
import { testEngines } from '@statuskit/store/testing';
import { type ApiDatabase, type ApiProcess, apiDatabase, startApi } from '@statuskit/test-support';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMetrics, sample } from './testing/metrics-text.js';

const ADMIN = 'admin-token-for-webhook-tests';
const SECRET = 'whsec_test0123456789abcdefABCDEF';
const stripeConfig = {
  plans: [
    { status: 'Pro', prices: ['price_pro'] },
    { status: 'Personal', prices: ['price_personal'] },
  ],
};
const chargebeeConfig = { plans: [{ status: 'Enterprise', itemIds: ['enterprise'] }] };
const nowSeconds = () => Math.floor(Date.now() / 1000);

let n = 0;
function stripeEvent(
  customer: string,
  status: string,
  created: number,
  price = 'price_pro',
  id = `evt_${++n}`,
) {
  return {
    id,
    object: 'event',
    api_version: '2024-06-20',
    type: 'customer.subscription.updated',
    created,
    livemode: true,
    data: {
      object: {
        id: `sub_${customer}`,
        object: 'subscription',
        status,
        customer,
        livemode: true,
        created: created - 1000,
        items: {
          object: 'list',
          data: [{ id: 'si_1', price: { id: price, lookup_key: null, product: 'prod_1' } }],
        },
        metadata: {},
      },
    },
  };
}

function chargebeeEvent(customer: string, status: string, occurredAt: number, id = `ev_${++n}`) {
  return {
    id,
    occurred_at: occurredAt,
    source: 'admin_console',
    object: 'event',
    api_version: 'v2',
    event_type: 'subscription_changed',
    content: {
      subscription: {
        id: `sub_${customer}`,
        customer_id: customer,
        status,
        subscription_items: [{ item_price_id: 'enterprise-USD-Yearly', item_type: 'plan' }],
        updated_at: occurredAt,
      },
      customer: { id: customer },
    },
  };
}

/** A Stripe event about one subscription of a customer (several subscriptions per customer). */
function stripeSubEvent(
  customer: string,
  subscription: string,
  status: string,
  created: number,
  price = 'price_pro',
  type = 'customer.subscription.updated',
) {
  const event = stripeEvent(customer, status, created, price);
  return { ...event, type, data: { object: { ...event.data.object, id: subscription } } };
}

function chargebeeSubEvent(
  customer: string,
  subscription: string,
  status: string,
  occurredAt: number,
  extra: Record<string, unknown> = {},
  eventType = 'subscription_changed',
) {
  const event = chargebeeEvent(customer, status, occurredAt);
  return {
    ...event,
    event_type: eventType,
    content: {
      ...event.content,
      subscription: { ...event.content.subscription, id: subscription, ...extra },
    },
  };
}

const sign = (body: string, secret = SECRET, t = nowSeconds()) =>
  `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;

describe.each(testEngines())('inbound billing webhooks through a real API process, on %s', (engine) => {
  let database: ApiDatabase;
  let api: ApiProcess;
  let key: string;
  let otherKey: string;
  let stripe: { id: string; url: string };
  let chargebee: { id: string; url: string; username: string; password: string };

  const call = async (method: string, path: string, body?: unknown, apiKey = key) => {
    const res = await fetch(`${api.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  };
  const post = async (
    url: string,
    body: string | Uint8Array<ArrayBuffer>,
    headers: Record<string, string> = {},
  ) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
    const text = await res.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = { text };
    }
    return { status: res.status, type: res.headers.get('content-type'), body: parsed };
  };
  const deliverStripe = (event: unknown, secret = SECRET, t?: number) => {
    const body = JSON.stringify(event);
    return post(stripe.url, body, { 'stripe-signature': sign(body, secret, t) });
  };
  const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
  const statusOf = async (accountId: string) => {
    const r = await call('GET', `/v1/accounts/${accountId}`);
    return r.status === 404 ? undefined : (r.body.status as string | null);
  };
  const lastDelivery = async (endpointId: string) =>
    (await call('GET', `/v1/webhook-endpoints/${endpointId}/deliveries?limit=1`)).body.deliveries[0];

  beforeAll(async () => {
    database = apiDatabase(engine);
    api = await startApi({ env: { ...database.env, STATUSKIT_ADMIN_TOKEN: ADMIN, STATUSKIT_METRICS: '1' } });
    key = api.key as string;
    const other = await fetch(`${api.url}/v1/tenants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'other-tenant', name: 'Other' }),
    });
    otherKey = ((await other.json()) as { apiKey: { key: string } }).apiKey.key;
  });
  afterAll(async () => {
    await api?.stop();
    await database?.cleanup();
  });

  it('creates endpoints with the URL to paste, validates the mapper config, and shows secrets once', async () => {
    const bad = await call('POST', '/v1/webhook-endpoints', { provider: 'stripe', config: { plans: [] } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].at).toBe('config.plans');
    const wrongField = await call('POST', '/v1/webhook-endpoints', {
      provider: 'stripe',
      config: stripeConfig,
      password: 'a-password-long-enough',
    });
    expect(wrongField.status).toBe(400);

    const s = await call('POST', '/v1/webhook-endpoints', {
      provider: 'stripe',
      name: 'Stripe live',
      config: { ...stripeConfig, plans: [...stripeConfig.plans, { status: 'Gold', prices: ['price_gold'] }] },
    });
    expect(s.status).toBe(201);
    expect(s.headers.get('cache-control')).toBe('no-store');
    expect(s.body).toMatchObject({ provider: 'stripe', hasSecret: false, disabled: false });
    expect(s.body.url).toBe(`${api.url}/v1/webhooks/stripe/${s.body.id}`);
    expect(s.body.warnings).toEqual([
      expect.objectContaining({ message: expect.stringContaining('"Gold"') }),
    ]);
    expect(s.body.setup).toMatch(/whsec_/);
    stripe = { id: s.body.id, url: s.body.url };

    const cb = await call('POST', '/v1/webhook-endpoints', {
      provider: 'chargebee',
      config: chargebeeConfig,
    });
    expect(cb.status).toBe(201);
    expect(cb.body.username).toBe('statuskit');
    expect(cb.body.password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    chargebee = { id: cb.body.id, url: cb.body.url, username: cb.body.username, password: cb.body.password };
    const again = await call('GET', `/v1/webhook-endpoints/${chargebee.id}`);
    expect(again.body).not.toHaveProperty('password');
    expect(JSON.stringify((await call('GET', '/v1/webhook-endpoints')).body)).not.toContain(
      chargebee.password,
    );
  });

  it('refuses every delivery until the Stripe secret is set, then applies a signed event', async () => {
    const early = await deliverStripe(stripeEvent('cus_early', 'active', nowSeconds() - 10));
    expect(early).toMatchObject({ status: 400, type: 'application/problem+json' });
    expect(early.body.type).toMatch(/no-secret$/);
    const set = await call('PATCH', `/v1/webhook-endpoints/${stripe.id}`, { secret: SECRET });
    expect(set.body.hasSecret).toBe(true);
    expect(JSON.stringify(set.body)).not.toContain(SECRET);

    const ok = await deliverStripe(stripeEvent('cus_acme', 'active', nowSeconds() - 10));
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      received: true,
      outcome: 'applied',
      result: { outcome: 'created', status: 'Pro' },
    });
    expect(await statusOf('cus_acme')).toBe('Pro');
    const account = await call('GET', '/v1/accounts/cus_acme');
    expect(account.body.history[0]).toMatchObject({ source: 'mapper:stripe' });
  });

  it('signs like the official stripe package: a header it generates is accepted', async () => {
    const body = JSON.stringify(stripeEvent('cus_official', 'trialing', nowSeconds() - 5));
    const header = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: SECRET });
    const r = await post(stripe.url, body, { 'stripe-signature': header });
    expect(r.body).toMatchObject({ outcome: 'applied', result: { status: 'Trial' } });
  });

  it('refuses tampered, expired, unsigned and wrongly signed events (400), applying nothing', async () => {
    const event = stripeEvent('cus_refused', 'active', nowSeconds() - 10);
    const body = JSON.stringify(event);
    const tampered = await post(stripe.url, body.replace('price_pro', 'price_personal'), {
      'stripe-signature': sign(body),
    });
    const expired = await deliverStripe(event, SECRET, nowSeconds() - 400);
    const unsigned = await post(stripe.url, body);
    const otherSecret = await deliverStripe(event, 'whsec_someoneelse0000000000');
    const reasons = [];
    for (const r of [tampered, expired, unsigned, otherSecret]) {
      expect(r.status).toBe(400);
      expect(r.type).toBe('application/problem+json');
      reasons.push(String(r.body.type).split('/').pop());
    }
    expect(reasons).toEqual([
      'signature-mismatch',
      'timestamp-outside-tolerance',
      'no-signature-header',
      'signature-mismatch',
    ]);
    expect(await statusOf('cus_refused')).toBeUndefined();
    expect(await lastDelivery(stripe.id)).toMatchObject({
      outcome: 'rejected',
      reason: 'signature-mismatch',
    });
    // And the event was not recorded as seen: once properly signed, it applies.
    expect((await deliverStripe(event)).body).toMatchObject({ outcome: 'applied' });
  });

  it('applies the same event once, however often it is delivered', async () => {
    const before = parseMetrics(await (await fetch(`${api.url}/metrics`)).text());
    const event = stripeEvent('cus_twice', 'active', nowSeconds() - 10);
    const first = await deliverStripe(event);
    const [second, third] = await Promise.all([deliverStripe(event), deliverStripe(event)]);
    expect(first.body.outcome).toBe('applied');
    expect([second?.status, third?.status]).toEqual([200, 200]);
    expect([second?.body.outcome, third?.body.outcome]).toEqual(['duplicate', 'duplicate']);
    expect((await call('GET', '/v1/accounts/cus_twice')).body.history).toHaveLength(1);
    // Counted as status writes like any other: one created, two replayed.
    const after = parseMetrics(await (await fetch(`${api.url}/metrics`)).text());
    const delta = (name: string, labels: Record<string, string>) =>
      (sample(after, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);
    expect(delta('statuskit_status_updates_total', { outcome: 'created' })).toBe(1);
    expect(delta('statuskit_status_updates_total', { outcome: 'replayed' })).toBe(2);
    expect(delta('statuskit_status_batches_total', { result: 'applied' })).toBe(1);
  });

  it('keeps the newer status when two events arrive out of order', async () => {
    const t = nowSeconds();
    const newer = stripeEvent('cus_order', 'canceled', t - 10);
    const older = stripeEvent('cus_order', 'active', t - 60);
    expect((await deliverStripe(newer)).body).toMatchObject({
      outcome: 'applied',
      result: { status: 'Cancelled' },
    });
    const late = await deliverStripe(older);
    expect(late.status).toBe(200);
    expect(late.body).toMatchObject({
      outcome: 'applied',
      result: { outcome: 'stale', status: 'Cancelled' },
    });
    expect(await statusOf('cus_order')).toBe('Cancelled');
    expect(await lastDelivery(stripe.id)).toMatchObject({
      result: 'stale',
      detail: expect.stringContaining('newer'),
    });
  });

  it('acknowledges skipped events (2xx) and logs them with their reason', async () => {
    const unmapped = await deliverStripe(
      stripeEvent('cus_skip', 'active', nowSeconds() - 10, 'price_unknown'),
    );
    expect(unmapped.status).toBe(200);
    expect(unmapped.body).toMatchObject({ outcome: 'skipped', reason: 'unmapped-price' });
    const invoice = {
      id: 'evt_invoice',
      object: 'event',
      type: 'invoice.paid',
      created: nowSeconds() - 5,
      data: { object: { id: 'in_1', object: 'invoice' } },
    };
    expect((await deliverStripe(invoice)).body).toMatchObject({
      outcome: 'skipped',
      reason: 'not-a-subscription-event',
    });
    expect(await statusOf('cus_skip')).toBeUndefined();
    const log = await call('GET', `/v1/webhook-endpoints/${stripe.id}/deliveries?outcome=skipped`);
    expect(log.body.deliveries.map((d: { reason: string }) => d.reason)).toEqual([
      'not-a-subscription-event',
      'unmapped-price',
    ]);
    expect(log.body.deliveries[1]).toMatchObject({
      accountId: 'cus_skip',
      detail: expect.stringContaining('price_unknown'),
    });
    const counts = (await call('GET', `/v1/webhook-endpoints/${stripe.id}`)).body.deliveries;
    expect(counts.skipped).toEqual({ 'unmapped-price': 1, 'not-a-subscription-event': 1 });
    expect(counts.rejected['signature-mismatch']).toBe(2);
  });

  it('pages the delivery log', async () => {
    const all = (await call('GET', `/v1/webhook-endpoints/${stripe.id}/deliveries?limit=500`)).body
      .deliveries;
    const seen: number[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const page: { body: { deliveries: { id: number }[]; nextCursor: string | null } } = await call(
        'GET',
        `/v1/webhook-endpoints/${stripe.id}/deliveries?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...page.body.deliveries.map((d) => d.id));
      cursor = page.body.nextCursor;
    }
    expect(seen).toEqual(all.map((d: { id: number }) => d.id));
    expect(seen.length).toBeGreaterThan(10);
  });

  it('applies a Chargebee event with the right basic auth and refuses wrong credentials (401)', async () => {
    const event = chargebeeEvent('cb_cust', 'active', nowSeconds() - 10);
    const body = JSON.stringify(event);
    const none = await post(chargebee.url, body);
    const wrongPass = await post(chargebee.url, body, { authorization: basic(chargebee.username, 'nope') });
    const wrongUser = await post(chargebee.url, body, {
      authorization: basic('someone', chargebee.password),
    });
    const garbage = await post(chargebee.url, body, { authorization: 'Basic %%%' });
    for (const r of [none, wrongPass, wrongUser, garbage]) {
      expect(r.status).toBe(401);
      expect(r.type).toBe('application/problem+json');
    }
    expect(await statusOf('cb_cust')).toBeUndefined();
    const ok = await post(chargebee.url, body, {
      authorization: basic(chargebee.username, chargebee.password),
    });
    expect(ok.body).toMatchObject({ outcome: 'applied', result: { status: 'Enterprise' } });
    expect(await statusOf('cb_cust')).toBe('Enterprise');
    const again = await post(chargebee.url, body, {
      authorization: basic(chargebee.username, chargebee.password),
    });
    expect(again.body.outcome).toBe('duplicate');
    const cancelled = await post(
      chargebee.url,
      JSON.stringify(chargebeeEvent('cb_cust', 'cancelled', nowSeconds() - 5)),
      {
        authorization: basic(chargebee.username, chargebee.password),
      },
    );
    expect(cancelled.body).toMatchObject({ outcome: 'applied', result: { status: 'Cancelled' } });
    const counts = (await call('GET', `/v1/webhook-endpoints/${chargebee.id}`)).body.deliveries;
    expect(counts).toMatchObject({
      applied: 2,
      duplicate: 1,
      rejected: { 'missing-credentials': 2, 'wrong-credentials': 2 },
    });
  });

  it('answers 404 for unknown endpoints and the wrong provider, 409 for a disabled one', async () => {
    const body = JSON.stringify(stripeEvent('cus_x', 'active', nowSeconds()));
    expect((await post(`${api.url}/v1/webhooks/stripe/we_000000000000000000000000`, body)).status).toBe(404);
    expect((await post(`${api.url}/v1/webhooks/stripe/nonsense`, body)).status).toBe(404);
    expect((await post(`${api.url}/v1/webhooks/chargebee/${stripe.id}`, body)).status).toBe(404);
    expect((await post(`${api.url}/v1/webhooks/paypal/${stripe.id}`, body)).status).toBe(404);
    await call('PATCH', `/v1/webhook-endpoints/${chargebee.id}`, { disabled: true });
    const disabled = await post(
      chargebee.url,
      JSON.stringify(chargebeeEvent('cb_dis', 'active', nowSeconds())),
      {
        authorization: basic(chargebee.username, chargebee.password),
      },
    );
    expect(disabled.status).toBe(409);
    expect(await statusOf('cb_dis')).toBeUndefined();
    await call('PATCH', `/v1/webhook-endpoints/${chargebee.id}`, { disabled: false });
  });

  it('answers hostile bodies with 4xx, never 5xx, and applies nothing', async () => {
    const auth = { authorization: basic(chargebee.username, chargebee.password) };
    const signed = (body: string | Uint8Array<ArrayBuffer>) => ({
      'stripe-signature': sign(typeof body === 'string' ? body : Buffer.from(body).toString('latin1')),
    });
    const nulEvent = JSON.stringify(chargebeeEvent('cb_\u0000nul', 'active', nowSeconds())).replace(
      /ev_\d+/,
      'ev_\\u0000x',
    );
    const cases: [string, string, string | Uint8Array<ArrayBuffer>, Record<string, string>][] = [
      ['not JSON (chargebee)', chargebee.url, 'this is not json', auth],
      ['not JSON (stripe, signed)', stripe.url, '{"id": ', signed('{"id": ')],
      ['empty', chargebee.url, '', auth],
      ['JSON but not an event', chargebee.url, '[1,2,3]', auth],
      ['null', chargebee.url, 'null', auth],
      ['NUL in the event id', chargebee.url, nulEvent, auth],
      [
        'NUL in the account id',
        chargebee.url,
        JSON.stringify(chargebeeEvent('cb\u0000nul', 'active', nowSeconds())),
        auth,
      ],
      ['deep nesting', chargebee.url, `${'['.repeat(100_000)}${']'.repeat(100_000)}`, auth],
      ['invalid UTF-8', chargebee.url, new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), auth],
      [
        'an event from year 3000',
        chargebee.url,
        JSON.stringify(chargebeeEvent('cb_future', 'active', 32_503_680_000)),
        auth,
      ],
      [
        'an event id too long',
        chargebee.url,
        JSON.stringify(chargebeeEvent('cb_long', 'active', nowSeconds(), 'e'.repeat(300))),
        auth,
      ],
    ];
    for (const [name, url, body, headers] of cases) {
      const r = await post(url, body, headers);
      expect(r.status, name).toBeLessThan(500);
      if (r.status >= 400) expect(r.type, name).toBe('application/problem+json');
    }
    // Over 1 MiB: 413, answered before the whole body is read (so through node:http, which keeps the answer).
    const huge = await new Promise<{ status: number; type: string | undefined }>((resolve, reject) => {
      const req = request(chargebee.url, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
      });
      req.on('response', (res) => {
        resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'] });
        res.resume();
      });
      req.on('error', (error) => setImmediate(() => reject(error)));
      req.end(`{"pad":"${'x'.repeat(2 * 1024 * 1024)}"}`);
    });
    expect(huge).toEqual({ status: 413, type: 'application/problem+json' });
    expect(await statusOf('cb_future')).toBeUndefined();
    expect(await statusOf('cb_long')).toBeUndefined();
    const log = (await call('GET', `/v1/webhook-endpoints/${chargebee.id}/deliveries?limit=20`)).body
      .deliveries;
    expect(log.map((d: { reason: string }) => d.reason)).toEqual(
      expect.arrayContaining(['malformed-body', 'not-an-event', 'observed-in-future', 'unstorable-update']),
    );
  });

  it("combines a Stripe customer's subscriptions: one cancels and the customer stays paying; both cancel -> Cancelled", async () => {
    const t = nowSeconds();
    const a = await deliverStripe(stripeSubEvent('cus_multi', 'sub_multi_a', 'active', t - 100));
    expect(a.body).toMatchObject({ outcome: 'applied', result: { outcome: 'created', status: 'Pro' } });
    const b = await deliverStripe(
      stripeSubEvent('cus_multi', 'sub_multi_b', 'active', t - 90, 'price_personal'),
    );
    // The higher plan wins across the customer's subscriptions, whichever event came last.
    expect(b.body).toMatchObject({ outcome: 'applied', result: { status: 'Pro' } });
    const bCancels = await deliverStripe(
      stripeSubEvent('cus_multi', 'sub_multi_b', 'canceled', t - 80, 'price_personal'),
    );
    expect(bCancels.body).toMatchObject({ outcome: 'applied', result: { status: 'Pro' } });
    expect(await statusOf('cus_multi')).toBe('Pro');
    const logged = await lastDelivery(stripe.id);
    expect(logged).toMatchObject({ accountId: 'cus_multi', status: 'Pro' });
    expect(logged.detail).toMatch(/2 subscriptions.*sub_multi_a Pro.*sub_multi_b Cancelled/);
    const aDeleted = await deliverStripe(
      stripeSubEvent(
        'cus_multi',
        'sub_multi_a',
        'canceled',
        t - 70,
        'price_pro',
        'customer.subscription.deleted',
      ),
    );
    expect(aDeleted.body).toMatchObject({
      outcome: 'applied',
      result: { outcome: 'changed', status: 'Cancelled' },
    });
    expect(await statusOf('cus_multi')).toBe('Cancelled');
  });

  it("keeps the newer truth per subscription when a customer's events arrive out of order", async () => {
    const t = nowSeconds();
    // Both subscriptions cancel; their older "active" events come late and change nothing.
    await deliverStripe(stripeSubEvent('cus_ooo1', 'sub_ooo1_a', 'active', t - 100));
    await deliverStripe(stripeSubEvent('cus_ooo1', 'sub_ooo1_b', 'active', t - 90));
    await deliverStripe(stripeSubEvent('cus_ooo1', 'sub_ooo1_b', 'canceled', t - 50));
    await deliverStripe(stripeSubEvent('cus_ooo1', 'sub_ooo1_a', 'canceled', t - 40));
    expect(await statusOf('cus_ooo1')).toBe('Cancelled');
    const lateA = await deliverStripe(stripeSubEvent('cus_ooo1', 'sub_ooo1_a', 'active', t - 95));
    expect(lateA.body).toMatchObject({
      outcome: 'applied',
      result: { outcome: 'stale', status: 'Cancelled' },
    });
    const lateB = await deliverStripe(stripeSubEvent('cus_ooo1', 'sub_ooo1_b', 'active', t - 60));
    expect(lateB.body).toMatchObject({ result: { outcome: 'stale', status: 'Cancelled' } });
    expect(await statusOf('cus_ooo1')).toBe('Cancelled');

    // B's cancellation comes first; A's older activation (A never seen before) still counts: A pays.
    const bCancel = await deliverStripe(stripeSubEvent('cus_ooo2', 'sub_ooo2_b', 'canceled', t - 10));
    expect(bCancel.body).toMatchObject({ result: { status: 'Cancelled' } });
    const aLate = await deliverStripe(stripeSubEvent('cus_ooo2', 'sub_ooo2_a', 'active', t - 60));
    expect(aLate.body).toMatchObject({ outcome: 'applied', result: { outcome: 'changed', status: 'Pro' } });
    const bOlder = await deliverStripe(stripeSubEvent('cus_ooo2', 'sub_ooo2_b', 'active', t - 70));
    expect(bOlder.body).toMatchObject({ result: { outcome: 'stale', status: 'Pro' } });
    expect(await statusOf('cus_ooo2')).toBe('Pro');
  });

  it('ends where `statuskit map` over the same events ends, in whatever order they are delivered', async () => {
    const t = nowSeconds() - 200;
    const story = (customer: string) => [
      stripeSubEvent(customer, `${customer}_a`, 'active', t + 1),
      stripeSubEvent(customer, `${customer}_b`, 'trialing', t + 2, 'price_personal'),
      stripeSubEvent(customer, `${customer}_b`, 'past_due', t + 3, 'price_personal'),
      stripeSubEvent(customer, `${customer}_a`, 'canceled', t + 4),
      stripeSubEvent(customer, `${customer}_c`, 'incomplete', t + 5, 'price_pro'),
      stripeSubEvent(customer, `${customer}_a`, 'active', t + 2),
    ];
    const orders = [
      [0, 1, 2, 3, 4, 5],
      [5, 4, 3, 2, 1, 0],
      [3, 0, 5, 2, 4, 1],
      [2, 3, 1, 0, 5, 4],
    ];
    const mapper = stripeMapper(stripeConfig);
    for (const [i, order] of orders.entries()) {
      const customer = `cus_perm${i}`;
      const events = story(customer);
      for (const k of order) expect((await deliverStripe(events[k])).status).toBe(200);
      const [expected] = combineUpdates(
        mapper,
        events.map((e) => mapper.map(e)),
      );
      expect(expected?.status).toBe('Personal');
      expect(await statusOf(customer), `order ${order.join(',')}`).toBe(expected?.status);
    }
  });

  it("combines a Chargebee customer's subscriptions; a deleted subscription counts as the mapper says", async () => {
    const t = nowSeconds();
    const auth = { authorization: basic(chargebee.username, chargebee.password) };
    const send = (event: unknown) => post(chargebee.url, JSON.stringify(event), auth);
    await send(chargebeeSubEvent('cb_multi', 'cb_multi_a', 'active', t - 100));
    await send(chargebeeSubEvent('cb_multi', 'cb_multi_b', 'active', t - 90));
    const bCancels = await send(chargebeeSubEvent('cb_multi', 'cb_multi_b', 'cancelled', t - 80));
    expect(bCancels.body).toMatchObject({ outcome: 'applied', result: { status: 'Enterprise' } });
    expect(await statusOf('cb_multi')).toBe('Enterprise');
    // A is deleted: by default a deleted subscription gives no status, so B's cancellation is what is left.
    const aDeleted = await send(
      chargebeeSubEvent(
        'cb_multi',
        'cb_multi_a',
        'active',
        t - 70,
        { deleted: true },
        'subscription_deleted',
      ),
    );
    expect(aDeleted.body).toMatchObject({
      outcome: 'applied',
      result: { outcome: 'changed', status: 'Cancelled' },
    });
    expect(await statusOf('cb_multi')).toBe('Cancelled');
    // A late event of the deleted subscription does not bring it back.
    const late = await send(chargebeeSubEvent('cb_multi', 'cb_multi_a', 'active', t - 75));
    expect(late.body).toMatchObject({ result: { outcome: 'stale', status: 'Cancelled' } });

    // The only subscription deleted: nothing left to give a status, so the event is skipped as the mapper does.
    await send(chargebeeSubEvent('cb_solo', 'cb_solo_a', 'active', t - 50));
    const soloDeleted = await send(
      chargebeeSubEvent(
        'cb_solo',
        'cb_solo_a',
        'cancelled',
        t - 40,
        { deleted: true },
        'subscription_deleted',
      ),
    );
    expect(soloDeleted.body).toMatchObject({ outcome: 'skipped', reason: 'deleted' });

    // Out of order: B's cancellation first, then A's older activation: A pays.
    await send(chargebeeSubEvent('cb_ooo', 'cb_ooo_b', 'cancelled', t - 10));
    const aLate = await send(chargebeeSubEvent('cb_ooo', 'cb_ooo_a', 'active', t - 60));
    expect(aLate.body).toMatchObject({ result: { outcome: 'changed', status: 'Enterprise' } });
    expect(await statusOf('cb_ooo')).toBe('Enterprise');
  });

  it('limits failed verifications per endpoint and client address: 429 with Retry-After, nothing applied', async () => {
    const s = await call('POST', '/v1/webhook-endpoints', { provider: 'stripe', config: stripeConfig });
    await call('PATCH', `/v1/webhook-endpoints/${s.body.id}`, { secret: SECRET });
    const cb = await call('POST', '/v1/webhook-endpoints', {
      provider: 'chargebee',
      config: chargebeeConfig,
    });
    const event = stripeEvent('cus_limited', 'active', nowSeconds() - 5);
    const body = JSON.stringify(event);
    // The API's failed-authentication limit (20 a minute by default): each wrong signature counts.
    for (let i = 0; i < 20; i++) {
      const r = await post(s.body.url, body, { 'stripe-signature': sign(body, 'whsec_guess000000000000') });
      expect(r.status, `attempt ${i + 1}`).toBe(400);
    }
    const blocked = await post(s.body.url, body, { 'stripe-signature': sign(body) });
    expect(blocked.status).toBe(429);
    expect(blocked.type).toBe('application/problem+json');
    expect(blocked.body.type).toMatch(/too-many-failed-authentications$/);
    expect(Number(blocked.body.retryAfterSeconds)).toBeGreaterThan(0);
    expect(await statusOf('cus_limited')).toBeUndefined();
    const raw = await fetch(s.body.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': sign(body) },
      body,
    });
    expect(raw.status).toBe(429);
    expect(Number(raw.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another endpoint from the same address, and the API keys, are not blocked.
    expect((await deliverStripe(stripeEvent('cus_not_limited', 'active', nowSeconds() - 5))).status).toBe(
      200,
    );
    expect((await call('GET', '/v1/webhook-endpoints')).status).toBe(200);

    // Chargebee: wrong basic-auth credentials count the same way.
    const cbBody = JSON.stringify(chargebeeEvent('cb_limited', 'active', nowSeconds() - 5));
    for (let i = 0; i < 20; i++)
      expect(
        (await post(cb.body.url, cbBody, { authorization: basic('statuskit', `guess${i}`) })).status,
      ).toBe(401);
    const cbBlocked = await post(cb.body.url, cbBody, {
      authorization: basic(cb.body.username, cb.body.password),
    });
    expect(cbBlocked.status).toBe(429);
    expect(await statusOf('cb_limited')).toBeUndefined();
    for (const id of [s.body.id, cb.body.id]) await call('DELETE', `/v1/webhook-endpoints/${id}`);
  });

  it('keeps tenants apart: another tenant cannot list, read, change, delete or read the log of an endpoint', async () => {
    expect((await call('GET', '/v1/webhook-endpoints', undefined, otherKey)).body.endpoints).toEqual([]);
    for (const [method, path, body] of [
      ['GET', `/v1/webhook-endpoints/${stripe.id}`, undefined],
      ['PATCH', `/v1/webhook-endpoints/${stripe.id}`, { name: 'mine now' }],
      ['GET', `/v1/webhook-endpoints/${stripe.id}/deliveries`, undefined],
      ['DELETE', `/v1/webhook-endpoints/${stripe.id}`, undefined],
    ] as const) {
      expect((await call(method, path, body, otherKey)).status, `${method} ${path}`).toBe(404);
    }
    expect((await call('GET', '/v1/webhook-endpoints')).body.endpoints).toHaveLength(2);
    // Events posted to one tenant's endpoint land in that tenant only.
    await deliverStripe(stripeEvent('cus_isolated', 'active', nowSeconds() - 1));
    expect((await call('GET', '/v1/accounts/cus_isolated', undefined, otherKey)).status).toBe(404);
    expect((await call('GET', '/v1/webhook-endpoints', undefined, 'sk_nope')).status).toBe(401);
  });

  it('rotates the Stripe secret: the previous one is accepted for the time asked', async () => {
    const next = 'whsec_next0123456789abcdefABCDEF';
    await call('PATCH', `/v1/webhook-endpoints/${stripe.id}`, {
      secret: next,
      keepPreviousSecretSeconds: 3600,
    });
    expect((await deliverStripe(stripeEvent('cus_rot1', 'active', nowSeconds() - 1), SECRET)).status).toBe(
      200,
    );
    expect((await deliverStripe(stripeEvent('cus_rot2', 'active', nowSeconds() - 1), next)).status).toBe(200);
    await call('PATCH', `/v1/webhook-endpoints/${stripe.id}`, {
      secret: SECRET,
      keepPreviousSecretSeconds: 0,
    });
    expect((await deliverStripe(stripeEvent('cus_rot3', 'active', nowSeconds() - 1), next)).status).toBe(400);
  });

  it('deletes an endpoint: its URL then answers 404', async () => {
    expect((await call('DELETE', `/v1/webhook-endpoints/${stripe.id}`)).status).toBe(204);
    expect((await deliverStripe(stripeEvent('cus_gone', 'active', nowSeconds()))).status).toBe(404);
    expect((await call('GET', `/v1/webhook-endpoints/${stripe.id}`)).status).toBe(404);
  });
});
