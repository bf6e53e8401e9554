// Tenant isolation through every route of the OpenAPI document: tenant A's key, tenant B's ids, with header,
// query and body tricks. No answer to A may carry anything of B's, and B's data must be exactly as before.

import { createHmac } from 'node:crypto';
import type { Store } from '@statuskit/store';
import { openTestStore, testEngines } from '@statuskit/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from './app.js';
import { type Answer, type Call, type CallOptions, caller, newTenant } from './testing/in-process.js';

const ADMIN = 'admin-secret-token';
const NOW = new Date('2026-03-01T12:00:00Z');
const stripeSigned = (event: unknown, secret: string) => {
  const body = JSON.stringify(event);
  const t = Math.floor(NOW.getTime() / 1000);
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return {
    raw: body,
    headers: { 'content-type': 'application/json', 'stripe-signature': `t=${t},v1=${v1}` },
  };
};
const stripeEvent = (id: string, customer: string, status: string, price: string) => ({
  id,
  object: 'event',
  type: 'customer.subscription.updated',
  created: Math.floor(NOW.getTime() / 1000) - 60,
  data: {
    object: {
      id: `sub_${customer}`,
      object: 'subscription',
      status,
      customer,
      livemode: true,
      created: 1_700_000_000,
      items: { data: [{ price: { id: price, lookup_key: null, product: 'prod_1' } }] },
    },
  },
});

describe.each(testEngines())('tenant isolation on %s', (engine) => {
  let store: Store;
  let call: Call;
  let a: { id: string; key: string };
  let b: { id: string; key: string };
  const B = {
    runId: '',
    keyId: '',
    endpointId: '',
    subscriptionId: '',
    deliveryId: '',
    secrets: [] as string[],
  };
  const B_WHSEC = 'whsec_bSecretSigningKey0000';
  const A_WHSEC = 'whsec_aOwnSigningKey00000000';

  /** B's data as B sees it, to compare before and after A's attempts. */
  const snapshot = async () => {
    const read = async (path: string) => (await call('GET', path, { key: b.key })).json;
    const strip = (x: { updatedAt?: string }) => ({ ...x, updatedAt: undefined });
    return {
      catalog: strip(await read('/v1/catalog')),
      rules: strip(await read('/v1/rules')),
      account: strip(await read('/v1/accounts/b-acct')),
      accounts: (await read('/v1/accounts')).accounts.map((x: { id: string; status: string }) => [
        x.id,
        x.status,
      ]),
      keys: (await read('/v1/api-keys')).keys.map((k: { id: string; revokedAt: string | null }) => [
        k.id,
        k.revokedAt,
      ]),
      state: await read('/v1/connectors/sfdc/state'),
      subscriptions: (await read('/v1/webhook-subscriptions')).subscriptions,
      deliveries: (await read(`/v1/webhook-subscriptions/${B.subscriptionId}/deliveries`)).deliveries,
      runs: (await read('/v1/health-runs')).runs.map((r: { id: string }) => r.id),
      unknown: await read('/v1/reports/unknown'),
      // Anyone may post to an endpoint's URL, and refusals are logged: what must not change is the rest.
      webhookEndpoints: (await read('/v1/webhook-endpoints')).endpoints.map(
        (e: { deliveries: { rejected: unknown; received: unknown } }) => ({
          ...e,
          deliveries: { ...e.deliveries, rejected: undefined, received: undefined },
        }),
      ),
      webhookApplied: (await read(`/v1/webhook-endpoints/${B.endpointId}/deliveries?outcome=applied`))
        .deliveries,
    };
  };
  let before: Awaited<ReturnType<typeof snapshot>>;

  beforeAll(async () => {
    store = await openTestStore(engine);
    call = caller(createApp({ store, adminToken: ADMIN, now: () => NOW }));
    a = await newTenant(call, ADMIN);
    b = await newTenant(call, ADMIN);
    const asB = (method: string, path: string, options: CallOptions = {}) =>
      call(method, path, { key: b.key, ...options });
    const catalog = (await asB('GET', '/v1/catalog')).json.catalog;
    await asB('PUT', '/v1/catalog', {
      body: { ...catalog, statuses: [...catalog.statuses, { value: 'BOnlyStatus', type: 'paying' }] },
    });
    await asB('PUT', '/v1/rules', {
      body: [
        {
          name: 'b-secret-rule',
          conditions: { all: [{ fact: 'attributes', path: '$.tier', operator: 'equal', value: 'b-tier' }] },
          event: { type: 'exclude', params: { reason: 'b-secret-reason' } },
        },
      ],
    });
    await asB('POST', '/v1/statuses:batch', {
      headers: { 'idempotency-key': 'shared-key' },
      body: {
        updates: [
          {
            accountId: 'b-acct',
            status: 'BOnlyStatus',
            name: 'B Secret Name',
            attributes: { tier: 'b-tier' },
          },
          { accountId: 'b-unknown', status: 'BSecretValue', observedAt: '2026-02-27T10:00:00Z' },
        ],
      },
    });
    await asB('PUT', '/v1/connectors/sfdc/state', { body: { watermark: 'B-secret-watermark' } });
    B.runId = (await asB('POST', '/v1/health-runs')).json.id;
    B.keyId = (await asB('POST', '/v1/api-keys', { body: { name: 'b-secret-key-name' } })).json.id;
    B.endpointId = (
      await asB('POST', '/v1/webhook-endpoints', {
        body: {
          provider: 'stripe',
          name: 'b-secret-endpoint',
          config: { plans: [{ status: 'Pro', prices: ['price_b_secret'] }] },
          secret: B_WHSEC,
        },
      })
    ).json.id;
    const delivered = await call(
      'POST',
      `/v1/webhooks/stripe/${B.endpointId}`,
      stripeSigned(stripeEvent('evt_b_secret', 'cus_b_hooked', 'active', 'price_b_secret'), B_WHSEC),
    );
    expect(delivered.json).toMatchObject({ outcome: 'applied' });
    const subscription = await asB('POST', '/v1/webhook-subscriptions', {
      body: {
        url: 'https://b-secret-hook.example.com/',
        events: ['account.status_changed'],
        description: 'b-secret-hook',
      },
    });
    B.subscriptionId = subscription.json.id;
    await asB('PUT', '/v1/accounts/b-hooked/status', { body: { status: 'Pro' } });
    B.deliveryId = (
      await asB('GET', `/v1/webhook-subscriptions/${B.subscriptionId}/deliveries`)
    ).json.deliveries[0].id;
    B.secrets = [
      'BOnlyStatus',
      'b-secret-rule',
      'b-secret-reason',
      'B Secret Name',
      'b-tier',
      'BSecretValue',
      'b-unknown',
      'B-secret-watermark',
      'b-secret-key-name',
      B.runId,
      B.keyId,
      b.id,
      B.endpointId,
      'b-secret-endpoint',
      'price_b_secret',
      B_WHSEC,
      'evt_b_secret',
      'cus_b_hooked',
      'b-secret-hook',
      'b-hooked',
      B.subscriptionId,
      B.deliveryId,
      subscription.json.secret,
    ];
    before = await snapshot();
  });
  afterAll(async () => {
    await store?.close();
  });

  /** A call with A's key (unless the options say otherwise) whose answer must hold nothing of B's. */
  const asA = async (method: string, path: string, options: CallOptions = {}): Promise<Answer> => {
    const res = await call(method, path, { key: a.key, ...options });
    const text = JSON.stringify(res.json ?? '');
    for (const secret of B.secrets) expect(text, `${method} ${path} shows ${secret}`).not.toContain(secret);
    expect(res.status, `${method} ${path}`).toBeLessThan(500);
    return res;
  };
  const tricks = (extra: Record<string, string> = {}) => ({
    'x-tenant-id': b.id,
    'x-statuskit-tenant': b.id,
    forwarded: `for=${b.id}`,
    ...extra,
  });

  /** One attempt per operation of the OpenAPI document, keyed "METHOD path". */
  const attempts: Record<string, () => Promise<void>> = {
    'GET /v1/accounts/{accountId}': async () => {
      expect((await asA('GET', '/v1/accounts/b-acct', { headers: tricks() })).status).toBe(404);
      expect((await asA('GET', `/v1/accounts/b-acct?tenantId=${b.id}&tenant=${b.id}`)).status).toBe(404);
      for (const path of [
        '/v1/accounts/..%2F..%2Fv1%2Fcatalog',
        '/v1/accounts/b-acct%00',
        '/v1/accounts/%2e%2e',
      ])
        expect([400, 404]).toContain((await asA('GET', path)).status);
    },
    'PUT /v1/accounts/{accountId}/status': async () => {
      const own = await asA('PUT', '/v1/accounts/b-acct/status', {
        body: { status: 'Trial' },
        headers: tricks(),
      });
      expect(own.json.result.outcome).toBe('created');
      const smuggled = await asA('PUT', '/v1/accounts/b-acct/status', {
        body: { status: 'Pro', tenantId: b.id },
      });
      expect(smuggled.status).toBe(400);
    },
    'POST /v1/statuses:batch': async () => {
      const res = await asA('POST', '/v1/statuses:batch', {
        headers: tricks({ 'idempotency-key': 'shared-key' }),
        body: { updates: [{ accountId: 'a-1', status: 'Pro' }] },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('idempotent-replayed')).toBeNull();
      expect(res.json.results.map((r: { accountId: string }) => r.accountId)).toEqual(['a-1']);
      const smuggled = await asA('POST', '/v1/statuses:batch', {
        body: { tenantId: b.id, updates: [{ accountId: 'a-2', status: 'Pro', tenant: b.id }] },
      });
      expect(smuggled.status).toBe(400);
    },
    'GET /v1/accounts': async () => {
      const res = await asA('GET', `/v1/accounts?tenantId=${b.id}&status=BOnlyStatus&eligible=false`, {
        headers: tricks(),
      });
      expect(res.json.accounts).toEqual([]);
      const all = await asA('GET', '/v1/accounts?cursor=&limit=1000');
      expect(all.json.accounts.map((x: { id: string }) => x.id).sort()).toEqual(['a-1', 'b-acct']);
    },
    'GET /v1/catalog': async () => {
      expect((await asA('GET', `/v1/catalog?tenant=${b.id}`, { headers: tricks() })).status).toBe(200);
    },
    'PUT /v1/catalog': async () => {
      const mine = (await asA('GET', '/v1/catalog')).json.catalog;
      expect(
        (await asA('PUT', '/v1/catalog', { body: mine, headers: tricks({ 'if-match': '"1"' }) })).status,
      ).toBe(200);
      expect((await asA('PUT', '/v1/catalog', { body: { ...mine, tenantId: b.id } })).status).toBeLessThan(
        500,
      );
    },
    'GET /v1/rules': async () => {
      expect((await asA('GET', '/v1/rules', { headers: tricks() })).json.rules).toEqual([]);
    },
    'PUT /v1/rules': async () => {
      expect(
        (await asA('PUT', '/v1/rules', { body: [], headers: tricks({ 'if-match': '"2"' }) })).status,
      ).toBe(412);
      expect((await asA('PUT', '/v1/rules', { body: [], headers: tricks() })).status).toBe(200);
    },
    'POST /v1/rules/preview': async () => {
      const res = await asA('POST', '/v1/rules/preview', { body: [], headers: tricks() });
      expect(res.json.total).toBe(2);
    },
    'GET /v1/reports/unknown': async () => {
      expect((await asA('GET', '/v1/reports/unknown', { headers: tricks() })).json.total).toBe(0);
    },
    'GET /v1/reports/accounts': async () => {
      const res = await asA('GET', `/v1/reports/accounts?tenant=${b.id}`, { headers: tricks() });
      expect(res.json.total).toBe(2);
      expect(JSON.stringify(res.json)).not.toContain('BOnlyStatus');
    },
    'GET /v1/metrics': async () => {
      const res = await asA('GET', `/v1/metrics?from=2026-02-27&to=2026-03-01&tenant=${b.id}`);
      expect(res.json.days.every((d: { unknown: number }) => d.unknown === 0)).toBe(true);
    },
    'POST /v1/health-runs': async () => {
      const run = await asA('POST', '/v1/health-runs', { headers: tricks() });
      expect(run.json.summary.total).toBe(2);
    },
    'GET /v1/health-runs': async () => {
      expect((await asA('GET', '/v1/health-runs')).json.runs).toHaveLength(1);
    },
    'GET /v1/health-runs/{runId}': async () => {
      expect((await asA('GET', `/v1/health-runs/${B.runId}`, { headers: tricks() })).status).toBe(404);
    },
    'GET /v1/health-runs/{runId}/exclusions': async () => {
      expect((await asA('GET', `/v1/health-runs/${B.runId}/exclusions`)).status).toBe(404);
    },
    'GET /v1/api-keys': async () => {
      expect((await asA('GET', '/v1/api-keys', { headers: tricks() })).json.keys).toHaveLength(1);
    },
    'POST /v1/api-keys': async () => {
      const made = await asA('POST', '/v1/api-keys', { body: { name: 'a-key' }, headers: tricks() });
      expect(made.status).toBe(201);
      expect((await asA('POST', '/v1/api-keys', { body: { name: 'x', tenantId: b.id } })).status).toBe(400);
    },
    'DELETE /v1/api-keys/{keyId}': async () => {
      expect((await asA('DELETE', `/v1/api-keys/${B.keyId}`, { headers: tricks() })).status).toBe(404);
    },
    'GET /v1/connectors/{connector}/state': async () => {
      expect((await asA('GET', '/v1/connectors/sfdc/state', { headers: tricks() })).status).toBe(404);
    },
    'PUT /v1/connectors/{connector}/state': async () => {
      expect(
        (await asA('PUT', '/v1/connectors/sfdc/state', { body: { watermark: 'a' }, headers: tricks() }))
          .status,
      ).toBe(200);
    },
    'POST /v1/webhook-endpoints': async () => {
      const made = await asA('POST', '/v1/webhook-endpoints', {
        headers: tricks(),
        body: {
          provider: 'stripe',
          config: { plans: [{ status: 'Pro', prices: ['price_a'] }] },
          secret: A_WHSEC,
        },
      });
      expect(made.status).toBe(201);
      const smuggled = await asA('POST', '/v1/webhook-endpoints', {
        body: { provider: 'stripe', config: { plans: [{ status: 'Pro', prices: ['p'] }] }, tenantId: b.id },
      });
      expect(smuggled.status).toBe(400);
    },
    'GET /v1/webhook-endpoints': async () => {
      const mine = (await asA('GET', `/v1/webhook-endpoints?tenant=${b.id}`, { headers: tricks() })).json;
      expect(mine.endpoints.map((e: { id: string }) => e.id)).not.toContain(B.endpointId);
    },
    'GET /v1/webhook-endpoints/{endpointId}': async () => {
      expect((await asA('GET', `/v1/webhook-endpoints/${B.endpointId}`, { headers: tricks() })).status).toBe(
        404,
      );
    },
    'PATCH /v1/webhook-endpoints/{endpointId}': async () => {
      const res = await asA('PATCH', `/v1/webhook-endpoints/${B.endpointId}`, {
        headers: tricks(),
        body: { secret: A_WHSEC, disabled: true },
      });
      expect(res.status).toBe(404);
    },
    'DELETE /v1/webhook-endpoints/{endpointId}': async () => {
      expect(
        (await asA('DELETE', `/v1/webhook-endpoints/${B.endpointId}`, { headers: tricks() })).status,
      ).toBe(404);
    },
    'GET /v1/webhook-endpoints/{endpointId}/deliveries': async () => {
      expect((await asA('GET', `/v1/webhook-endpoints/${B.endpointId}/deliveries`)).status).toBe(404);
    },
    'POST /v1/webhooks/stripe/{endpointId}': async () => {
      // A's key is no way in, and A's own endpoint secret signs nothing for B's endpoint.
      const cancel = stripeEvent('evt_a_try', 'cus_b_hooked', 'canceled', 'price_b_secret');
      const signedByA = stripeSigned(cancel, A_WHSEC);
      const res = await asA('POST', `/v1/webhooks/stripe/${B.endpointId}`, {
        ...signedByA,
        headers: { ...signedByA.headers, ...tricks(), authorization: `Bearer ${a.key}` },
      });
      expect(res.status).toBe(400);
      expect((await asA('POST', `/v1/webhooks/stripe/${B.endpointId}`, { raw: signedByA.raw })).status).toBe(
        400,
      );
    },
    'POST /v1/webhooks/chargebee/{endpointId}': async () => {
      const res = await asA('POST', `/v1/webhooks/chargebee/${B.endpointId}`, {
        raw: '{}',
        headers: { authorization: `Basic ${Buffer.from(`statuskit:${a.key}`).toString('base64')}` },
      });
      expect(res.status).toBe(404);
    },
    'POST /v1/tenants': async () => {
      expect((await asA('POST', '/v1/tenants', { body: { id: b.id, name: 'taken over' } })).status).toBe(403);
    },
    'GET /v1/tenants': async () => {
      expect((await asA('GET', '/v1/tenants')).status).toBe(403);
    },
    'GET /v1/webhook-subscriptions': async () => {
      expect(
        (await asA('GET', '/v1/webhook-subscriptions', { headers: tricks() })).json.subscriptions,
      ).toEqual([]);
    },
    'POST /v1/webhook-subscriptions': async () => {
      const body = { url: 'https://a.example.com/', events: ['account.churned'] };
      expect((await asA('POST', '/v1/webhook-subscriptions', { body, headers: tricks() })).status).toBe(201);
      expect(
        (await asA('POST', '/v1/webhook-subscriptions', { body: { ...body, tenantId: b.id } })).status,
      ).toBe(400);
    },
    'GET /v1/webhook-subscriptions/{subscriptionId}': async () => {
      expect(
        (await asA('GET', `/v1/webhook-subscriptions/${B.subscriptionId}`, { headers: tricks() })).status,
      ).toBe(404);
    },
    'PATCH /v1/webhook-subscriptions/{subscriptionId}': async () => {
      const body = { url: 'https://a.example.com/taken', enabled: false };
      expect(
        (await asA('PATCH', `/v1/webhook-subscriptions/${B.subscriptionId}`, { body, headers: tricks() }))
          .status,
      ).toBe(404);
    },
    'DELETE /v1/webhook-subscriptions/{subscriptionId}': async () => {
      expect(
        (await asA('DELETE', `/v1/webhook-subscriptions/${B.subscriptionId}`, { headers: tricks() })).status,
      ).toBe(404);
    },
    'POST /v1/webhook-subscriptions/{subscriptionId}/rotate-secret': async () => {
      expect((await asA('POST', `/v1/webhook-subscriptions/${B.subscriptionId}/rotate-secret`)).status).toBe(
        404,
      );
    },
    'GET /v1/webhook-subscriptions/{subscriptionId}/deliveries': async () => {
      expect((await asA('GET', `/v1/webhook-subscriptions/${B.subscriptionId}/deliveries`)).status).toBe(404);
    },
    'GET /v1/webhook-subscriptions/{subscriptionId}/deliveries/{deliveryId}': async () => {
      const path = `/v1/webhook-subscriptions/${B.subscriptionId}/deliveries/${B.deliveryId}`;
      expect((await asA('GET', path)).status).toBe(404);
    },
    'POST /v1/webhook-subscriptions/{subscriptionId}/deliveries/{deliveryId}/replay': async () => {
      const path = `/v1/webhook-subscriptions/${B.subscriptionId}/deliveries/${B.deliveryId}/replay`;
      expect((await asA('POST', path)).status).toBe(404);
    },
  };

  it("tries B's ids through every route with A's key and finds nothing of B's, and changes nothing of B's", async () => {
    const doc = (await call('GET', '/openapi.json')).json as {
      paths: Record<string, Record<string, unknown>>;
    };
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    // A new route needs its own attempt here.
    expect(Object.keys(attempts).sort()).toEqual(operations.sort());
    for (const [operation, attempt] of Object.entries(attempts)) {
      try {
        await attempt();
      } catch (error) {
        throw new Error(`${operation}: ${(error as Error).message}`);
      }
    }
    expect(await snapshot()).toEqual(before);
    expect((await call('GET', '/v1/catalog', { key: b.key })).status).toBe(200);
  });

  it('refuses two keys at once, whichever comes first', async () => {
    for (const authorization of [`Bearer ${a.key}, Bearer ${b.key}`, `Bearer ${b.key} Bearer ${a.key}`]) {
      const res = await call('GET', '/v1/accounts/b-acct', { headers: { authorization } });
      expect(res.status).toBe(401);
    }
    const both = new Headers([
      ['authorization', `Bearer ${a.key}`],
      ['authorization', `Bearer ${b.key}`],
    ]);
    const app = createApp({ store, now: () => new Date('2026-03-01T12:00:00Z') });
    expect((await app.request('/v1/accounts/b-acct', { headers: both })).status).toBe(401);
  });
});
