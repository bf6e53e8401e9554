// The delivery log of an endpoint keeps at most STATUSKIT_WEBHOOK_LOG_KEEP entries (a real API process).
import { testEngines } from '@statuskit/store/testing';
import { type ApiDatabase, type ApiProcess, apiDatabase, startApi } from '@statuskit/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe.each(testEngines())('webhook delivery log retention through a real API process, on %s', (engine) => {
  let database: ApiDatabase;
  let api: ApiProcess;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${api.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${api.key}`, 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: await res.json() };
  };

  beforeAll(async () => {
    database = apiDatabase(engine);
    api = await startApi({
      env: {
        ...database.env,
        STATUSKIT_WEBHOOK_LOG_KEEP: '5',
        STATUSKIT_WEBHOOK_LOG_PRUNE_EVERY: '1',
        STATUSKIT_AUTH_FAILURE_LIMIT: '0',
      },
    });
  });
  afterAll(async () => {
    await api?.stop();
    await database?.cleanup();
  });

  it('keeps the newest STATUSKIT_WEBHOOK_LOG_KEEP deliveries of each endpoint', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const created = await call('POST', '/v1/webhook-endpoints', {
        provider: 'chargebee',
        config: { plans: [{ status: 'Enterprise', itemIds: ['enterprise'] }] },
      });
      ids.push(created.body.id);
    }
    const [busy, quiet] = ids as [string, string];
    for (let i = 0; i < 12; i++) {
      const r = await fetch(`${api.url}/v1/webhooks/chargebee/${busy}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Basic ${Buffer.from(`statuskit:wrong-${i}`).toString('base64')}`,
        },
        body: JSON.stringify({ attempt: i }),
      });
      expect(r.status).toBe(401);
    }
    await fetch(`${api.url}/v1/webhooks/chargebee/${quiet}`, { method: 'POST', body: '{}' });
    const log = (await call('GET', `/v1/webhook-endpoints/${busy}/deliveries?limit=100`)).body.deliveries;
    expect(log).toHaveLength(5);
    const counts = (await call('GET', `/v1/webhook-endpoints/${busy}`)).body.deliveries;
    expect(counts.rejected['wrong-credentials']).toBe(5);
    expect((await call('GET', `/v1/webhook-endpoints/${quiet}/deliveries`)).body.deliveries).toHaveLength(1);
  });
});
