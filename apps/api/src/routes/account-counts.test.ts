import type { Store } from '@statuskit/store';
import { openTestStore, testEngines } from '@statuskit/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../app.js';

// The routes the dashboard needs beyond the others: accounts now (GET /v1/reports/accounts), a run's
// exclusions of one reason, and fewer runs at a time.
describe.each(testEngines())('dashboard reports on %s', (engine) => {
  let store: Store;
  let app: App;
  let key: string;
  let runId: string;
  beforeAll(async () => {
    store = await openTestStore(engine);
    app = createApp({ store, now: () => new Date('2026-03-01T12:00:00Z') });
    const tenant = await store.createTenant({ id: `dash${Date.now().toString(36)}`, name: 'Dash' });
    key = (await store.createApiKey(tenant.id)).key;
    await call('PUT', '/v1/rules', [
      {
        name: 'demo',
        conditions: { all: [{ fact: 'attributes', path: '$.demo', operator: 'equal', value: true }] },
        event: { type: 'exclude', params: { reason: 'demo tenant' } },
      },
    ]);
    const updates = [
      ...['Trial', 'Trial', 'Pro', 'Pro', 'Pro', 'Enterprise', 'Cancelled', 'Internal-use', 'Gold', null].map(
        (status, i) => ({ accountId: `a${i}`, status }),
      ),
      ...Array.from({ length: 5 }, (_, i) => ({
        accountId: `d${i}`,
        status: 'Pro',
        attributes: { demo: true },
      })),
    ];
    expect((await call('POST', '/v1/statuses:batch', { updates })).status).toBe(200);
    const run = await call('POST', '/v1/health-runs');
    expect(run.status).toBe(201);
    runId = run.json.id;
  });
  afterAll(async () => {
    await store?.close();
  });

  async function call(method: string, path: string, body?: unknown, auth = true) {
    const res = await app.request(path, {
      method,
      headers: {
        ...(auth ? { authorization: `Bearer ${key}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, type: res.headers.get('content-type'), json: JSON.parse(await res.text()) };
  }

  it('counts the accounts now: customers by type and plan, non-customers apart, Unknown by reason', async () => {
    const res = await call('GET', '/v1/reports/accounts');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      total: 15,
      byType: { free: 3, paying: 9, cancelled: 1, unknown: 2 },
      customers: {
        total: 12,
        byType: { free: 2, paying: 9, cancelled: 1 },
        trial: 2,
        byPlan: [
          { plan: 'Personal', count: 0 },
          { plan: 'Pro', count: 8 },
          { plan: 'Enterprise', count: 1 },
        ],
      },
      nonCustomers: { total: 1, byType: { free: 1, paying: 0, cancelled: 0 } },
      unknown: { total: 2, byReason: { missing: 1, 'not-in-catalog': 1 } },
    });
    expect(res.json.statuses.find((s: { status: string }) => s.status === 'Internal-use')).toEqual({
      status: 'Internal-use',
      type: 'free',
      plan: null,
      trial: false,
      nonCustomer: true,
      count: 1,
    });
  });

  it('keeps the counts behind the API key', async () => {
    const res = await call('GET', '/v1/reports/accounts', undefined, false);
    expect(res.status).toBe(401);
    expect(res.type).toBe('application/problem+json');
  });

  it("pages a run's excluded accounts of one reason; the summary counts them", async () => {
    const run = await call('GET', `/v1/health-runs/${runId}`);
    expect(run.json.summary.excludedByReason).toEqual({
      'demo tenant': 5,
      cancelled: 1,
      'non-customer': 1,
      'unknown-status': 2,
    });
    const first = await call('GET', `/v1/health-runs/${runId}/exclusions?reason=demo+tenant&limit=3`);
    expect(first.json.exclusions.map((x: { accountId: string }) => x.accountId)).toEqual(['d0', 'd1', 'd2']);
    expect(first.json.exclusions[0].eligibility).toMatchObject({ decidedBy: 'rule', rule: 'demo' });
    const second = await call(
      'GET',
      `/v1/health-runs/${runId}/exclusions?reason=demo+tenant&limit=3&cursor=${first.json.nextCursor}`,
    );
    expect(second.json).toMatchObject({
      exclusions: [{ accountId: 'd3' }, { accountId: 'd4' }],
      nextCursor: null,
    });
    const unknown = await call('GET', `/v1/health-runs/${runId}/exclusions?reason=unknown-status`);
    expect(unknown.json.exclusions.map((x: { accountId: string }) => x.accountId)).toEqual(['a8', 'a9']);
    expect((await call('GET', `/v1/health-runs/${runId}/exclusions?reason=nobody`)).json).toEqual({
      exclusions: [],
      nextCursor: null,
    });
    const empty = await call('GET', `/v1/health-runs/${runId}/exclusions?reason=`);
    expect(empty.status).toBe(400);
    expect(empty.json.errors[0].at).toBe('reason');
  });

  it('lists as many runs as asked, and refuses a limit out of range', async () => {
    expect((await call('POST', '/v1/health-runs')).status).toBe(201);
    expect((await call('GET', '/v1/health-runs')).json.runs).toHaveLength(2);
    expect((await call('GET', '/v1/health-runs?limit=1')).json.runs).toHaveLength(1);
    for (const limit of ['0', '101', 'ten']) {
      const res = await call('GET', `/v1/health-runs?limit=${limit}`);
      expect(res.status, limit).toBe(400);
      expect(res.json.errors[0].at, limit).toBe('limit');
    }
  });

  it('documents the routes in the OpenAPI document', async () => {
    const doc = (await (await app.request('/openapi.json')).json()) as {
      paths: Record<string, Record<string, { parameters?: { name: string }[] }>>;
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    };
    expect(doc.paths['/v1/reports/accounts']?.get).toBeDefined();
    const names = (path: string) => doc.paths[path]?.get?.parameters?.map((p) => p.name);
    expect(names('/v1/health-runs/{runId}/exclusions')).toContain('reason');
    expect(names('/v1/health-runs')).toContain('limit');
    expect(Object.keys(doc.components.schemas.AccountCounts?.properties ?? {})).toEqual([
      'total',
      'byType',
      'customers',
      'nonCustomers',
      'unknown',
      'statuses',
    ]);
    expect(doc.components.schemas.HealthRunSummary?.properties).toHaveProperty('excludedByReason');
  });
});
