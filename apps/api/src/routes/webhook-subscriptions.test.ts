import type { Store } from '@statuskit/store';
import { openTestStore, testEngines } from '@statuskit/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../app.js';

const ADMIN = 'admin-secret-token';

describe.each(testEngines())('webhook subscription routes on %s', (engine) => {
  let store: Store;
  let app: App;
  beforeAll(async () => {
    store = await openTestStore(engine);
    app = createApp({ store, adminToken: ADMIN });
  });
  afterAll(async () => {
    await store?.close();
  });

  let seq = 0;
  const call = async (method: string, path: string, key?: string, body?: unknown) => {
    const headers: Record<string, string> = {};
    if (key) headers.authorization = `Bearer ${key}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await app.request(path, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
  };
  const newTenant = async () => {
    const id = `whr${Date.now().toString(36)}-${++seq}`;
    const res = await call('POST', '/v1/tenants', ADMIN, { id, name: id });
    return { id, key: res.json.apiKey.key as string };
  };

  it('creates (secret once), lists, reads, changes, rotates and deletes a subscription', async () => {
    const t = await newTenant();
    const created = await call('POST', '/v1/webhook-subscriptions', t.key, {
      url: 'https://example.com/hooks',
      events: ['account.converted', 'account.churned', 'account.converted'],
      description: 'CRM',
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    expect(created.json).toMatchObject({
      url: 'https://example.com/hooks',
      events: ['account.converted', 'account.churned'],
      description: 'CRM',
      enabled: true,
      status: 'active',
    });
    expect(created.json.secret).toMatch(/^whsec_/);
    const id = created.json.id as string;
    const listed = await call('GET', '/v1/webhook-subscriptions', t.key);
    expect(listed.json.subscriptions).toHaveLength(1);
    expect(listed.json.subscriptions[0].secret).toBeUndefined();
    expect((await call('GET', `/v1/webhook-subscriptions/${id}`, t.key)).json.secret).toBeUndefined();
    const patched = await call('PATCH', `/v1/webhook-subscriptions/${id}`, t.key, {
      enabled: false,
      events: ['account.status_changed'],
    });
    expect(patched.json).toMatchObject({
      enabled: false,
      status: 'disabled',
      events: ['account.status_changed'],
    });
    const rotated = await call('POST', `/v1/webhook-subscriptions/${id}/rotate-secret`, t.key);
    expect(rotated.status).toBe(200);
    expect(rotated.json.secret).toMatch(/^whsec_/);
    expect(rotated.json.secret).not.toBe(created.json.secret);
    expect((await call('DELETE', `/v1/webhook-subscriptions/${id}`, t.key)).status).toBe(204);
    expect((await call('GET', `/v1/webhook-subscriptions/${id}`, t.key)).status).toBe(404);
  });

  it('refuses bad URLs, private literal addresses and unknown events with 400 problems', async () => {
    const t = await newTenant();
    for (const url of [
      'ftp://example.com/',
      'not a url',
      'http://127.0.0.1:9/',
      'http://[::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://10.0.0.1/',
      'http://169.254.169.254/',
      'http://[fe80::1]/',
    ]) {
      const res = await call('POST', '/v1/webhook-subscriptions', t.key, {
        url,
        events: ['account.churned'],
      });
      expect(res.status, url).toBe(400);
      expect(res.json.errors[0].path).toEqual(['url']);
    }
    for (const events of [[], ['account.nope'], 'account.churned'])
      expect(
        (await call('POST', '/v1/webhook-subscriptions', t.key, { url: 'https://example.com/', events }))
          .status,
      ).toBe(400);
    const ok = await call('POST', '/v1/webhook-subscriptions', t.key, {
      url: 'https://example.com/',
      events: ['account.churned'],
    });
    expect(
      (await call('PATCH', `/v1/webhook-subscriptions/${ok.json.id}`, t.key, { url: 'http://192.168.0.1/' }))
        .status,
    ).toBe(400);
    expect((await call('GET', '/v1/webhook-subscriptions/nope', t.key)).status).toBe(400);
    expect((await call('GET', '/v1/webhook-subscriptions', undefined)).status).toBe(401);
  });

  it('keeps tenants apart', async () => {
    const a = await newTenant();
    const b = await newTenant();
    const sub = await call('POST', '/v1/webhook-subscriptions', a.key, {
      url: 'https://example.com/a',
      events: ['account.status_changed'],
    });
    const id = sub.json.id as string;
    expect((await call('GET', '/v1/webhook-subscriptions', b.key)).json.subscriptions).toEqual([]);
    for (const [method, path, body] of [
      ['GET', `/v1/webhook-subscriptions/${id}`],
      ['PATCH', `/v1/webhook-subscriptions/${id}`, { enabled: false }],
      ['POST', `/v1/webhook-subscriptions/${id}/rotate-secret`],
      ['GET', `/v1/webhook-subscriptions/${id}/deliveries`],
      ['DELETE', `/v1/webhook-subscriptions/${id}`],
    ] as const)
      expect((await call(method, path, b.key, body)).status, `${method} ${path}`).toBe(404);
    // b's changes make no delivery for a's subscription.
    await call('PUT', '/v1/accounts/x/status', b.key, { status: 'Pro' });
    expect((await call('GET', `/v1/webhook-subscriptions/${id}/deliveries`, a.key)).json.deliveries).toEqual(
      [],
    );
    await call('PUT', '/v1/accounts/x/status', a.key, { status: 'Pro' });
    const log = await call('GET', `/v1/webhook-subscriptions/${id}/deliveries`, a.key);
    expect(log.json.deliveries).toHaveLength(1);
    const deliveryId = log.json.deliveries[0].id;
    expect(
      (await call('GET', `/v1/webhook-subscriptions/${id}/deliveries/${deliveryId}`, b.key)).status,
    ).toBe(404);
    expect(
      (await call('POST', `/v1/webhook-subscriptions/${id}/deliveries/${deliveryId}/replay`, b.key)).status,
    ).toBe(404);
  });

  it('pages the delivery log and refuses to replay a pending delivery', async () => {
    const t = await newTenant();
    const sub = await call('POST', '/v1/webhook-subscriptions', t.key, {
      url: 'https://example.com/',
      events: ['account.status_changed'],
    });
    const id = sub.json.id as string;
    await call('POST', '/v1/statuses:batch', t.key, {
      updates: Array.from({ length: 5 }, (_, i) => ({ accountId: `a${i}`, status: 'Pro' })),
    });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await call(
        'GET',
        `/v1/webhook-subscriptions/${id}/deliveries?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        t.key,
      );
      expect(page.status).toBe(200);
      seen.push(
        ...page.json.deliveries.map(
          (d: { payload: { data: { accountId: string } } }) => d.payload.data.accountId,
        ),
      );
      cursor = page.json.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['a4', 'a3', 'a2', 'a1', 'a0']);
    const first = (await call('GET', `/v1/webhook-subscriptions/${id}/deliveries?limit=1`, t.key)).json
      .deliveries[0];
    expect(first).toMatchObject({ state: 'pending', attempts: 0, eventType: 'account.status_changed' });
    const detail = await call('GET', `/v1/webhook-subscriptions/${id}/deliveries/${first.id}`, t.key);
    expect(detail.json.attemptLog).toEqual([]);
    expect(
      (await call('POST', `/v1/webhook-subscriptions/${id}/deliveries/${first.id}/replay`, t.key)).status,
    ).toBe(409);
    expect(
      (await call('POST', `/v1/webhook-subscriptions/${id}/deliveries/dlv_nope/replay`, t.key)).status,
    ).toBe(404);
  });

  it('lists the routes in the OpenAPI document', async () => {
    const doc = (await call('GET', '/openapi.json')).json;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/webhook-subscriptions',
        '/v1/webhook-subscriptions/{subscriptionId}',
        '/v1/webhook-subscriptions/{subscriptionId}/rotate-secret',
        '/v1/webhook-subscriptions/{subscriptionId}/deliveries',
        '/v1/webhook-subscriptions/{subscriptionId}/deliveries/{deliveryId}',
        '/v1/webhook-subscriptions/{subscriptionId}/deliveries/{deliveryId}/replay',
      ]),
    );
  });
});
