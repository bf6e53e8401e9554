import { CLIENT_ROUTES, createClient, StatuskitApiError } from '@statuskit/client';
import { openTestStore } from '@statuskit/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from './server.js';

describe('@statuskit/client against the real API', () => {
  let server: RunningServer;
  let client: ReturnType<typeof createClient>;
  beforeAll(async () => {
    server = await startServer({ store: await openTestStore('pglite'), port: 0, scheduler: false });
    await server.store.createTenant({ id: 'client-test', name: 'Client test' });
    client = createClient({ url: server.url, apiKey: (await server.store.createApiKey('client-test')).key });
  });
  afterAll(async () => {
    await server?.close();
    await server?.store.close();
  });

  it('calls only routes the OpenAPI document declares', async () => {
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    for (const route of CLIENT_ROUTES) {
      const [method, path] = route.split(' ') as [string, string];
      expect(doc.paths[path]?.[method.toLowerCase()], route).toBeDefined();
    }
  });

  it('sets statuses, pushes batches idempotently, and reads them back', async () => {
    const one = await client.setStatus('acme', { status: 'Pro', name: 'Acme' });
    expect(one.result.outcome).toBe('created');
    const updates = Array.from({ length: 2500 }, (_, i) => ({
      accountId: `bulk-${String(i).padStart(4, '0')}`,
      status: i % 3 ? 'Pro' : 'Trial',
    }));
    const first = await client.pushAll(updates, { batchSize: 1000, idempotencyKeyPrefix: 'bulk-file' });
    expect(first).toMatchObject({ batches: 3, updates: 2500, counts: { created: 2500 }, replayedBatches: 0 });
    const rerun = await client.pushAll(updates, { batchSize: 1000, idempotencyKeyPrefix: 'bulk-file' });
    expect(rerun.replayedBatches).toBe(3);
    expect((await client.getAccount('bulk-0000'))?.history).toHaveLength(1);
    let trials = 0;
    for await (const a of client.accounts({ statusType: 'free', limit: 300 }))
      if (a.classification.trial) trials++;
    expect(trials).toBe(834);
    expect(await client.getAccount('missing')).toBeUndefined();
  });

  it('manages catalog, rules, reports, health runs, keys and connector state', async () => {
    const catalog = await client.getCatalog();
    await client.setStatus('goldie', { status: 'Gold' });
    expect((await client.unknownReport()).values[0]).toMatchObject({ value: 'Gold', count: 1 });
    const saved = await client.putCatalog({
      ...catalog.catalog,
      statuses: [...catalog.catalog.statuses, { value: 'Gold', type: 'paying' }],
    });
    expect(saved.reclassified).toBe(1);
    const rules = [
      {
        name: 'no-trials',
        conditions: { all: [{ fact: 'trial', operator: 'equal', value: true }] },
        event: { type: 'exclude', params: { reason: 'trial' } },
      },
    ];
    expect((await client.previewRules(rules)).leaving).toBe(834);
    await client.putRules(rules);
    const bad = await client.putRules([{ name: 'x' }]).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(StatuskitApiError);
    const run = await client.runHealth();
    expect(run.summary).toMatchObject({ excludedByReason: { trial: 834 } });
    expect((await client.getHealthRun(run.id))?.id).toBe(run.id);
    expect((await client.healthRunExclusions(run.id, { limit: 5 })).exclusions).toHaveLength(5);
    const trials = await client.healthRunExclusions(run.id, { reason: 'trial', limit: 1000 });
    expect(trials.exclusions).toHaveLength(834);
    expect(trials.exclusions[0]?.eligibility).toMatchObject({ decidedBy: 'rule', rule: 'no-trials' });
    expect((await client.listHealthRuns({ limit: 1 })).runs.map((r) => r.id)).toEqual([run.id]);
    expect((await client.accountCounts()).customers).toMatchObject({ trial: 834, byType: { free: 834 } });
    expect((await client.metrics()).days.length).toBe(30);
    const key = await client.createApiKey('temp');
    expect((await client.listApiKeys()).keys.map((k) => k.id)).toContain(key.id);
    await client.revokeApiKey(key.id);
    expect(await client.getConnectorState('sfdc')).toBeUndefined();
    await client.putConnectorState('sfdc', { watermark: 'w1' });
    expect(await client.getConnectorState('sfdc')).toEqual({ watermark: 'w1' });
  });

  it('manages inbound webhook endpoints and reads their delivery log', async () => {
    const made = await client.createWebhookEndpoint({
      provider: 'chargebee',
      name: 'billing',
      config: { plans: [{ status: 'Pro', itemIds: ['pro'] }] },
    });
    expect(made.url).toBe(`${server.url}/v1/webhooks/chargebee/${made.id}`);
    expect(made.password).toBeDefined();
    expect((await client.listWebhookEndpoints()).endpoints.map((e) => e.id)).toEqual([made.id]);
    const auth = `Basic ${Buffer.from(`statuskit:${made.password}`).toString('base64')}`;
    const event = {
      id: 'ev_client',
      event_type: 'subscription_created',
      occurred_at: 1_767_225_600,
      content: { subscription: { id: 's1', customer_id: 'hooked', status: 'active', plan_id: 'pro' } },
    };
    const posted = await fetch(made.url, {
      method: 'POST',
      headers: { authorization: auth },
      body: JSON.stringify(event),
    });
    expect(posted.status).toBe(200);
    const page = await client.webhookDeliveries(made.id, { limit: 10 });
    expect(page.deliveries[0]).toMatchObject({
      outcome: 'skipped',
      reason: 'unmapped-price',
      accountId: 'hooked',
    });
    expect((await client.updateWebhookEndpoint(made.id, { disabled: true })).disabled).toBe(true);
    expect((await client.getWebhookEndpoint(made.id))?.deliveries.skipped).toEqual({ 'unmapped-price': 1 });
    await client.deleteWebhookEndpoint(made.id);
    expect(await client.getWebhookEndpoint(made.id)).toBeUndefined();
  });

  it('manages webhook subscriptions and reads their delivery log', async () => {
    // Disabled: nothing is sent from this test.
    const created = await client.createWebhookSubscription({
      url: 'https://example.com/hooks',
      events: ['account.churned', 'account.status_changed'],
      enabled: false,
    });
    expect(created.secret).toMatch(/^whsec_/);
    expect((await client.listWebhookSubscriptions()).subscriptions.map((s) => s.id)).toContain(created.id);
    expect(await client.getWebhookSubscription('whs_missing')).toBeUndefined();
    expect((await client.updateWebhookSubscription(created.id, { description: 'CRM' })).description).toBe(
      'CRM',
    );
    await client.createWebhookSubscription({ url: 'http://127.0.0.1/', events: ['account.churned'] }).then(
      () => expect.unreachable(),
      (e: unknown) => expect((e as StatuskitApiError).status).toBe(400),
    );
    await client.setStatus('hooked', { status: 'Pro' });
    const page = await client.listSubscriptionDeliveries(created.id, { limit: 5 });
    expect(page.deliveries).toHaveLength(0); // disabled: no delivery is made for it
    await client.updateWebhookSubscription(created.id, { enabled: true, url: 'https://example.com/other' });
    const rotated = await client.rotateWebhookSecret(created.id);
    expect(rotated.secret).not.toBe(created.secret);
    await client.deleteWebhookSubscription(created.id);
    expect(await client.getWebhookSubscription(created.id)).toBeUndefined();
  });
});
